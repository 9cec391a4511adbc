/* dp-local-launcher.h: nodes started on this machine, without ssh
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_LOCAL_LAUNCHER (dp_local_launcher_get_type ())
G_DECLARE_FINAL_TYPE (DpLocalLauncher, dp_local_launcher, DP, LOCAL_LAUNCHER, GObject)

void dp_local_launcher_register (GTypeModule *module);

G_END_DECLS
