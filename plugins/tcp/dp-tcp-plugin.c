/* dp-tcp-plugin.c: the tcp transport plugin
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-tcp-transport.h"

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  dp_tcp_transport_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_TRANSPORT_EXTENSION_POINT_NAME,
                                  DP_TYPE_TCP_TRANSPORT, "tcp", 10);
  dp_plugin_set_description (DP_TYPE_TCP_TRANSPORT,
                             "Nodes talk over TCP: a node listens on its port (GSocketService, "
                             "TCP_NODELAY on every connection) and reaches others with one "
                             "blocking connect per attempt. Set bind-address=127.0.0.1 to keep "
                             "a node on this machine.");
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  char *points[] = { DP_TRANSPORT_EXTENSION_POINT_NAME, NULL };

  return g_strdupv (points);
}
