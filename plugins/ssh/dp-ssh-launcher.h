/* dp-ssh-launcher.h: nodes started on other machines over ssh
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_SSH_LAUNCHER (dp_ssh_launcher_get_type ())
G_DECLARE_FINAL_TYPE (DpSshLauncher, dp_ssh_launcher, DP, SSH_LAUNCHER, GObject)

void dp_ssh_launcher_register (GTypeModule *module);

G_END_DECLS
