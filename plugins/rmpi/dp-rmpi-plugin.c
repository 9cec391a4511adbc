/* dp-rmpi-plugin.c: the rmpi service plugin
 *
 * libdplaces-rmpi.so is both the GIO module that gives keyfiles their
 * [rmpi] group and the library RMPI programs link (dp_rmpi_*).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-rmpi.h"
#include "dp-rmpi-service.h"

G_MODULE_EXPORT void g_io_module_load (GIOModule *module);
G_MODULE_EXPORT void g_io_module_unload (GIOModule *module);
G_MODULE_EXPORT char **g_io_module_query (void);

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* Place modules link this library too: never unload it. */
  g_type_module_use (G_TYPE_MODULE (module));

  dp_rmpi_service_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_SERVICE_EXTENSION_POINT_NAME,
                                  DP_TYPE_RMPI_SERVICE, "rmpi", 10);
  dp_plugin_set_description (DP_TYPE_RMPI_SERVICE,
                             "MPI-style ranks and collectives over places (the seeds' RMPI): "
                             "[rmpi] starts a node per host, ranks-per-host rank places on "
                             "each, and runs function from module in every rank, which calls "
                             "dp_rmpi_init() and talks to the other ranks over direct channels "
                             "(dp_rmpi_send/recv, broadcast, reduce, allreduce, barrier, "
                             "gather, allgather, alltoall(v), comm-split).");
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
