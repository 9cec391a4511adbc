/* dp-rpc-plugin.c: the rpc plugin — RPC servers on places (the seeds'
 * define-remote-server), and the `rpc` service of keyfiles
 *
 * libdplaces-rpc.so is at once this GIO module and the library RPC
 * servers and clients link (dplaces-rpc-1.0).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gio.h>

#include "dp-rpc-service.h"

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  dp_rpc_service_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_SERVICE_EXTENSION_POINT_NAME,
                                  DP_TYPE_RPC_SERVICE, "rpc", 10);
  dp_plugin_set_description (DP_TYPE_RPC_SERVICE,
                             "RPC servers on places (define-remote-server, define-rpc, define-cast): "
                             "servers are [place] groups running a make_NAME function that "
                             "dplaces-codegen generates from schemas/NAME.rpc.json; the [rpc] group "
                             "hands them to the client places that call them.");
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
