/* dp-system.h: the system a keyfile declares, running
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include "dp-config.h"
#include "dp-node.h"

G_BEGIN_DECLS

#define DP_TYPE_SYSTEM (dp_system_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpSystem, dp_system, DP, SYSTEM, GObject)

DP_AVAILABLE_IN_ALL
DpSystem *dp_system_new          (DpConfig  *config);
DP_AVAILABLE_IN_ALL
DpNode   *dp_system_get_node     (DpSystem  *self);
DP_AVAILABLE_IN_ALL
DpChannel *dp_system_lookup_place (DpSystem  *self,
                                  const char *name);
DP_AVAILABLE_IN_ALL
DpConfig     *dp_system_get_config   (DpSystem   *self);
DP_AVAILABLE_IN_ALL
DpRemoteNode *dp_system_lookup_node  (DpSystem   *self,
                                      const char *name);
DP_AVAILABLE_IN_ALL
GStrv         dp_system_dup_node_names (DpSystem *self);
DP_AVAILABLE_IN_ALL
GVariant     *dp_system_dup_status   (DpSystem   *self);
DP_AVAILABLE_IN_ALL
void          dp_system_hold         (DpSystem   *self);
DP_AVAILABLE_IN_ALL
void          dp_system_release      (DpSystem   *self);
DP_AVAILABLE_IN_ALL
void          dp_system_exit         (DpSystem   *self,
                                      gint        status);
DP_AVAILABLE_IN_ALL
gboolean  dp_system_start        (DpSystem  *self,
                                  GError   **error);
DP_AVAILABLE_IN_ALL
gint      dp_system_run          (DpSystem  *self,
                                  GError   **error);

G_END_DECLS
