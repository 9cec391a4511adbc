/* dp-status.h: `dplaces status` — a running system, from its control plane
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int dp_status_command (int    argc,
                       char **argv);

G_END_DECLS
