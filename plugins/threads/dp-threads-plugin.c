/* dp-threads-plugin.c: the threads place backend plugin
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-threads-backend.h"

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  dp_threads_backend_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_PLACE_BACKEND_EXTENSION_POINT_NAME,
                                  DP_TYPE_THREADS_BACKEND, "threads", 10);
  dp_plugin_set_description (DP_TYPE_THREADS_BACKEND,
                             "Each place is a thread of the node's process; messages pass by "
                             "reference, without a copy. Not isolated: a place that crashes "
                             "takes the node and its other places with it — use processes for that.");
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
