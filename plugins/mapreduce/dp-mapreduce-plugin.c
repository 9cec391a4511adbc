/* dp-mapreduce-plugin.c: the mapreduce plugin
 *
 * libdplaces-mapreduce.so is three things at once: the GIO module of the
 * `mapreduce` service (a keyfile's [mapreduce] group), the place module
 * the worker places run from (dp_map_reduce_worker), and the library C
 * programs and place modules link to call dp_make_map_reduce_workers()
 * and dp_map_reduce(), or to emit pairs from a mapper.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-map-reduce-service.h"

G_MODULE_EXPORT void g_io_module_load   (GIOModule *module);
G_MODULE_EXPORT void g_io_module_unload (GIOModule *module);
G_MODULE_EXPORT char **g_io_module_query (void);

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* The library registers static types too (the jobs, the workers) and
   * programs link it: it must never be unloaded. One more use than the
   * loader's keeps it loaded. */
  g_type_module_use (G_TYPE_MODULE (module));

  dp_map_reduce_service_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_SERVICE_EXTENSION_POINT_NAME,
                                  DP_TYPE_MAP_REDUCE_SERVICE, "mapreduce", 10);
  dp_plugin_set_description (DP_TYPE_MAP_REDUCE_SERVICE,
                             "MapReduce over distributed places (the seeds' map-reduce): worker "
                             "places on nodes map tasks, sort and coalesce the output by key, "
                             "combine it locally and reduce pairwise until one result remains; a "
                             "worker that dies has its tasks run again elsewhere. The [mapreduce] "
                             "group runs one job; C programs link libdplaces-mapreduce.");
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  char *points[] = { DP_SERVICE_EXTENSION_POINT_NAME, NULL };

  return g_strdupv (points);
}
