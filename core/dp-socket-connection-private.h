/* dp-socket-connection-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-socket-connection.h"

G_BEGIN_DECLS

/* For the control plane (dp_node_dup_status()): every live connection of
 * the process, and what to show of one. */
GPtrArray *dp_socket_connection_list_all   (void);
GVariant  *dp_socket_connection_dup_status (DpSocketConnection *self);

/* For the node: sends CLOSE for channel @id, which has no endpoint on
 * this side (a request on it was refused), so that the requester's end
 * fails with @reason — its message, and its code when it is in the
 * DP_ERROR domain (dp_close_code_encode()). */
gboolean   dp_socket_connection_send_close (DpSocketConnection  *self,
                                            guint32              id,
                                            const GError        *reason,
                                            GError             **error);

G_END_DECLS
