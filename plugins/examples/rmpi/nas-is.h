/* nas-is.h: the NAS Parallel Benchmarks' IS kernel, class S, on RMPI
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dp-rmpi.h>

G_BEGIN_DECLS

G_MODULE_EXPORT void nas_is_place (DpChannel *ch);

G_END_DECLS
