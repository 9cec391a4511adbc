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

G_END_DECLS
