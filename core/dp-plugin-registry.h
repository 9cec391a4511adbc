/* dp-plugin-registry.h: finding plugins and place modules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include <gio/gio.h>

G_BEGIN_DECLS

#define DP_TYPE_PLUGIN_REGISTRY (dp_plugin_registry_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpPluginRegistry, dp_plugin_registry, DP, PLUGIN_REGISTRY, GObject)

DP_AVAILABLE_IN_ALL
DpPluginRegistry   *dp_plugin_registry_get_default      (void);

DP_AVAILABLE_IN_ALL
void                dp_plugin_registry_add_directory    (DpPluginRegistry *self,
                                                         const char       *directory);
DP_AVAILABLE_IN_ALL
GStrv               dp_plugin_registry_dup_directories  (DpPluginRegistry *self);
DP_AVAILABLE_IN_ALL
gboolean            dp_plugin_registry_contains_path    (DpPluginRegistry *self,
                                                         const char       *path);

DP_AVAILABLE_IN_ALL
char               *dp_plugin_registry_find_module      (DpPluginRegistry *self,
                                                         const char       *module,
                                                         GError          **error);
DP_AVAILABLE_IN_ALL
gpointer            dp_plugin_registry_lookup_symbol    (DpPluginRegistry *self,
                                                         const char       *module,
                                                         const char       *symbol,
                                                         GError          **error);
DP_AVAILABLE_IN_ALL
gboolean            dp_procedure_address_parse          (const char       *address,
                                                         char            **out_module,
                                                         char            **out_symbol,
                                                         GError          **error);
DP_AVAILABLE_IN_ALL
gpointer            dp_procedure_address_resolve        (const char       *address,
                                                         GError          **error);

DP_AVAILABLE_IN_ALL
GType               dp_plugin_registry_lookup_plugin    (DpPluginRegistry *self,
                                                         const char       *extension_point,
                                                         const char       *name,
                                                         GError          **error);
DP_AVAILABLE_IN_ALL
gpointer            dp_plugin_registry_create           (DpPluginRegistry *self,
                                                         const char       *extension_point,
                                                         const char       *name,
                                                         GError          **error);
DP_AVAILABLE_IN_ALL
void                dp_plugin_registry_load_all         (DpPluginRegistry *self);
DP_AVAILABLE_IN_ALL
const char * const *dp_plugin_registry_get_extension_points (void);
DP_AVAILABLE_IN_ALL
const char         *dp_plugin_registry_describe_extension_point (const char *extension_point);

DP_AVAILABLE_IN_ALL
char               *dp_distributed_launch_path          (void);

DP_AVAILABLE_IN_ALL
void                dp_plugin_set_description           (GType       type,
                                                         const char *description);
DP_AVAILABLE_IN_ALL
const char         *dp_plugin_get_description           (GType       type);
DP_AVAILABLE_IN_ALL
const char         *dp_plugin_get_module_path           (GType       type);

G_END_DECLS
