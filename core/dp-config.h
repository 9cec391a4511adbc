/* dp-config.h: keyfiles, validated against the schema
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include <glib-object.h>

G_BEGIN_DECLS

#define DP_TYPE_CONFIG (dp_config_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpConfig, dp_config, DP, CONFIG, GObject)

DP_AVAILABLE_IN_ALL
DpConfig    *dp_config_new_from_file    (const char  *path,
                                         GError     **error);
DP_AVAILABLE_IN_ALL
DpConfig    *dp_config_new_from_data    (const char  *data,
                                         gssize       length,
                                         const char  *path,
                                         GError     **error);

DP_AVAILABLE_IN_ALL
const char  *dp_config_get_path         (DpConfig    *self);
DP_AVAILABLE_IN_ALL
GKeyFile    *dp_config_get_key_file     (DpConfig    *self);
DP_AVAILABLE_IN_ALL
guint        dp_config_get_line         (DpConfig    *self,
                                         const char  *group,
                                         const char  *key);
DP_AVAILABLE_IN_ALL
GStrv        dp_config_dup_group_names  (DpConfig    *self,
                                         const char  *kind);
DP_AVAILABLE_IN_ALL
GStrv        dp_config_dup_service_groups (DpConfig  *self);
DP_AVAILABLE_IN_ALL
char        *dp_config_resolve_path     (DpConfig    *self,
                                         const char  *path);
DP_AVAILABLE_IN_ALL
gboolean     dp_config_apply_plugin_keys (DpConfig   *self,
                                          const char *group,
                                          GObject    *object,
                                          GError    **error);
DP_AVAILABLE_IN_ALL
GObject     *dp_config_create_plugin    (DpConfig    *self,
                                         const char  *group,
                                         const char  *plugin_key,
                                         GError     **error);
DP_AVAILABLE_IN_ALL
void         dp_config_prefix_error     (DpConfig    *self,
                                         GError     **error,
                                         const char  *group,
                                         const char  *key);

DP_AVAILABLE_IN_ALL
GBytes      *dp_config_get_schema       (void);

G_END_DECLS
