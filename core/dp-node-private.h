/* dp-node-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-node.h"
#include "dp-socket-connection.h"

G_BEGIN_DECLS

char     *dp_node_describe_self    (void);
void      dp_node_log_from_child   (const char         *severity,
                                    const char         *message,
                                    const char         *prefix);
gboolean  dp_node_handle_request   (DpNode             *self,
                                    DpSocketConnection *connection,
                                    guint               kind,
                                    guint32             channel,
                                    guint32             aux,
                                    GVariant           *payload);
void      dp_node_add_spawned_node (DpNode             *self,
                                    DpRemoteNode       *node);
void      dp_node_remove_place     (DpNode             *self,
                                    DpPlace            *place);

G_END_DECLS
