/* dp-node.h: a node and its message router
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include "dp-event-container.h"
#include "dp-place.h"

G_BEGIN_DECLS

/**
 * DP_DEFAULT_ROUTER_PORT:
 *
 * The port a message router listens on unless told otherwise (the seeds'
 * `DEFAULT-ROUTER-PORT`).
 */
#define DP_DEFAULT_ROUTER_PORT 6340

#define DP_TYPE_NODE (dp_node_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpNode, dp_node, DP, NODE, GObject)

DP_AVAILABLE_IN_ALL
DpNode       *dp_node_new                 (guint             listen_port);
DP_AVAILABLE_IN_ALL
guint         dp_node_get_listen_port     (DpNode           *self);
DP_AVAILABLE_IN_ALL
GMainContext *dp_node_get_context         (DpNode           *self);

DP_AVAILABLE_IN_ALL
void          dp_node_add                 (DpNode           *self,
                                           DpEventContainer *container);
DP_AVAILABLE_IN_ALL
gint          dp_node_sync_events         (DpNode           *self);
DP_AVAILABLE_IN_ALL
void          dp_node_exit                (DpNode           *self,
                                           gint              status);
DP_AVAILABLE_IN_ALL
gboolean      dp_node_is_running          (DpNode           *self);

DP_AVAILABLE_IN_ALL
void          dp_node_add_place           (DpNode           *self,
                                           DpPlace          *place,
                                           const char       *name);
DP_AVAILABLE_IN_ALL
DpPlace      *dp_node_lookup_place        (DpNode           *self,
                                           const char       *name);
DP_AVAILABLE_IN_ALL
GPtrArray    *dp_node_list_places         (DpNode           *self);

DP_AVAILABLE_IN_ALL
gint          dp_message_router           (DpNode           *node,
                                           DpEventContainer *first,
                                           ...) G_GNUC_NULL_TERMINATED;
DP_AVAILABLE_IN_ALL
gint          dp_message_routerv          (DpNode           *node,
                                           DpEventContainer **containers,
                                           guint             n_containers);

DP_AVAILABLE_IN_ALL
gboolean      dp_port_no_p                (gint64            value);

G_END_DECLS
