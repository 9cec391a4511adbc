/* dp-http-plugin.c: the http plugin — the control plane of a running
 * system: an HTTP/JSON API, a WebSocket of its events and a dashboard
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gio.h>

#include "dp-http-service.h"

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  dp_http_service_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_SERVICE_EXTENSION_POINT_NAME,
                                  DP_TYPE_HTTP_SERVICE, "http", 10);
  dp_plugin_set_description (DP_TYPE_HTTP_SERVICE,
                             "The control plane, on the root node: GET /api/status, /api/nodes, "
                             "/api/places, /api/connections, /api/jobs, /api/logs, /api/events, "
                             "/api/metrics (Prometheus); POST /api/places/NAME/messages; a WebSocket "
                             "of events at /api/events; a live dashboard at /. See plugins/http/README.md.");
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
