/* dp-ndp-plugin.c: the ndp plugin
 *
 * libdplaces-ndp.so is three things at once: the GIO module of the `ndp`
 * service (a keyfile's [ndp] group), the place module the worker places
 * run from (dp_ndp_worker), and the library programs and procedure
 * modules link (dp_make_ndp_group(), dp_ndp_get_node(), …).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-ndp-service.h"

G_MODULE_EXPORT void g_io_module_load   (GIOModule *module);
G_MODULE_EXPORT void g_io_module_unload (GIOModule *module);
G_MODULE_EXPORT char **g_io_module_query (void);

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* The library registers static types too (the group) and programs
   * link it: it must never be unloaded. */
  g_type_module_use (G_TYPE_MODULE (module));

  dp_ndp_service_register (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_SERVICE_EXTENSION_POINT_NAME,
                                  DP_TYPE_NDP_SERVICE, "ndp", 10);
  dp_plugin_set_description (DP_TYPE_NDP_SERVICE,
                             "Nested data parallelism (the dissertation's NDP): a coordinator and a "
                             "pool of worker places; work — a procedure MODULE:SYMBOL and its data — "
                             "asks the group for free workers (ndp-get-node), hands them parts of its "
                             "data (ndp-send-work) and collects their results (ndp-get-result), "
                             "recursively, as the parallel quicksort does. [ndp] runs one work and "
                             "prints its result; C programs link libdplaces-ndp.");
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
