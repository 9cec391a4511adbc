/* restart.h: the restart example's place functions
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

G_MODULE_EXPORT void     wait_place       (DpChannel *channel);
G_MODULE_EXPORT DpPlace *wait_place_thunk (void);

G_END_DECLS
