/* dp-ssh-plugin.c: the ssh launcher plugin
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-ssh-launcher.h"

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  dp_ssh_launcher_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_LAUNCHER_EXTENSION_POINT_NAME,
                                  DP_TYPE_SSH_LAUNCHER, "ssh", 5);
  dp_plugin_set_description (DP_TYPE_SSH_LAUNCHER,
                             "Starts a node on another machine with ssh: "
                             "`ssh -T -o BatchMode=yes [user@]host remote-path node …`. "
                             "Authentication must need no password (keys or an agent); the "
                             "node's cookie travels on ssh's standard input, never on a "
                             "command line.");
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  char *points[] = { DP_LAUNCHER_EXTENSION_POINT_NAME, NULL };

  return g_strdupv (points);
}
