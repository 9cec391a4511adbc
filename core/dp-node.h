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
#include "dp-remote-node.h"
#include "dp-socket-connection.h"

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

/**
 * DpLogSeverity:
 * @DP_LOG_FATAL: `'fatal`
 * @DP_LOG_ERROR: `'error`
 * @DP_LOG_WARNING: `'warning`
 * @DP_LOG_INFO: `'info`
 * @DP_LOG_DEBUG: `'debug`
 *
 * Severities of [func@Dp.log_message].
 */
typedef enum {
  DP_LOG_FATAL,
  DP_LOG_ERROR,
  DP_LOG_WARNING,
  DP_LOG_INFO,
  DP_LOG_DEBUG,
} DpLogSeverity;

DP_AVAILABLE_IN_ALL
DpNode       *dp_node_get_default         (void);
DP_AVAILABLE_IN_ALL
void          dp_node_set_default         (DpNode           *node);
DP_AVAILABLE_IN_ALL
gboolean      dp_node_listen              (DpNode           *self,
                                           GError          **error);
DP_AVAILABLE_IN_ALL
DpRemoteNode *dp_node_connect_to          (DpNode           *self,
                                           const char       *host,
                                           guint             port,
                                           GError          **error);
DP_AVAILABLE_IN_ALL
GPtrArray    *dp_node_list_spawned_nodes  (DpNode           *self);
DP_AVAILABLE_IN_ALL
GVariant     *dp_node_dup_status          (DpNode           *self);
DP_AVAILABLE_IN_ALL
DpRemoteConnection *dp_connect_to_named_place_at (const char *host,
                                                  guint       port,
                                                  const char *name,
                                                  GError    **error);
DP_AVAILABLE_IN_ALL
void          dp_log_message              (DpLogSeverity     severity,
                                           const char       *message);

/* For place backends whose places are processes of their own. */
DP_AVAILABLE_IN_ALL
void          dp_node_set_parent_connection (DpSocketConnection *connection);
DP_AVAILABLE_IN_ALL
gboolean      dp_node_handle_child_request  (DpSocketConnection *connection,
                                             guint               kind,
                                             guint32             channel,
                                             guint32             aux,
                                             GVariant           *payload,
                                             const char         *prefix);

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
