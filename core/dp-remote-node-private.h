/* dp-remote-node-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-remote-node.h"

G_BEGIN_DECLS

gboolean dp_remote_node_send_control (DpRemoteNode  *self,
                                      guint          kind,
                                      guint32        channel,
                                      guint32        aux,
                                      GVariant      *payload,
                                      GError       **error);

gboolean dp_remote_node_relaunch_place (DpRemoteNode        *self,
                                        DpRemoteConnection  *place,
                                        GError             **error);

G_END_DECLS
