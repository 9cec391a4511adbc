/* dp-status.c: `dplaces status HOST:PORT [--json]` — a running system's
 * nodes, places, connections and jobs, from its control plane
 *
 * The client is the http plugin's (plugins/http/dp-http-client.c, with
 * libsoup): the host runs it from there, as it runs a processes place from
 * the processes plugin. Linking libsoup into the host would slow the start
 * of every node and every processes place (0.7 ms more, measured with
 * `dplaces bench spawn`) for a command run by hand.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces"

#include "config.h"

#include <dplaces/dplaces.h>

#include "dp-status.h"

typedef int (*StatusCommand) (int argc, char **argv);

int
dp_status_command (int    argc,
                   char **argv)
{
  DpPluginRegistry *registry = dp_plugin_registry_get_default ();
  g_autoptr(GError) error = NULL;
  StatusCommand command = NULL;
  GType service;

  service = dp_plugin_registry_lookup_plugin (registry, DP_SERVICE_EXTENSION_POINT_NAME, "http", &error);
  if (service != G_TYPE_INVALID)
    command = (StatusCommand) dp_plugin_registry_lookup_symbol (registry, dp_plugin_get_module_path (service),
                                                                "dp_http_status_command", &error);
  if (command == NULL)
    {
      g_printerr ("dplaces status: needs the http plugin: %s\n", error->message);
      return 1;
    }
  return command (argc, argv);
}
