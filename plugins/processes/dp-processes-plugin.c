/* dp-processes-plugin.c: the processes place backend plugin
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-processes-backend.h"

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  dp_processes_backend_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_PLACE_BACKEND_EXTENSION_POINT_NAME,
                                  DP_TYPE_PROCESSES_BACKEND, "processes", 5);
  dp_plugin_set_description (DP_TYPE_PROCESSES_BACKEND,
                             "Each place is a child process, talking to its creator over a Unix "
                             "socket pair; messages are serialized once and read once, shared "
                             "vectors are shared memory. Isolated: a place that crashes is reported "
                             "dead with its signal and everything else keeps running.");
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  char *points[] = { DP_PLACE_BACKEND_EXTENSION_POINT_NAME, NULL };

  return g_strdupv (points);
}
