/* dp-restart-plugin.c: the GIO module entry points of a restart strategy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-restart-plugin.h"

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  dp_restart_plugin_load (module);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  char *points[] = { DP_RESTART_STRATEGY_EXTENSION_POINT_NAME, NULL };

  return g_strdupv (points);
}
