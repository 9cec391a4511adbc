/* dp-local-plugin.c: the local launcher plugin
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-local-launcher.h"

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  dp_local_launcher_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_LAUNCHER_EXTENSION_POINT_NAME,
                                  DP_TYPE_LOCAL_LAUNCHER, "local", 10);
  dp_plugin_set_description (DP_TYPE_LOCAL_LAUNCHER,
                             "Starts a node on this machine by running `dplaces node` directly, "
                             "without ssh. Only for localhost, 127.0.0.1, ::1 or this machine's "
                             "own name: use launcher=ssh for other hosts.");
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
