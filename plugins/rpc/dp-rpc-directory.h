/* dp-rpc-directory.h: the RPC servers of a keyfile's system, as the `rpc`
 * service hands them to client places
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_RPC_INSIDE) && !defined(DPLACES_RPC_COMPILATION)
#error "Only <dplaces/dp-rpc.h> can be included directly."
#endif

#include "dp-rpc-version-macros.h"

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

/**
 * DP_RPC_DIRECTORY_TAG:
 *
 * The tag of the message the `rpc` service puts to each of its clients.
 */
#define DP_RPC_DIRECTORY_TAG "rpc-servers"

/**
 * DP_RPC_DIRECTORY_TYPE:
 *
 * The type of that message: `('rpc-servers', {server: (connection, host,
 * port, name)})` — for each server place, a connection of the client's
 * own to it, and where to open more when it is named (`name` is empty for
 * a private server; `host` empty and `port` 0 for a place on a root node
 * that does not listen).
 */
#define DP_RPC_DIRECTORY_TYPE "(sa{s(hsqs)})"

DP_RPC_AVAILABLE_IN_ALL
GVariant  *dp_rpc_directory_receive     (DpChannel   *channel,
                                         gint64       timeout_usec,
                                         GError     **error);
DP_RPC_AVAILABLE_IN_ALL
DpChannel *dp_rpc_directory_get_channel (GVariant    *directory,
                                         const char  *server,
                                         GError     **error);
DP_RPC_AVAILABLE_IN_ALL
DpChannel *dp_rpc_directory_connect     (GVariant    *directory,
                                         const char  *server,
                                         GError     **error);
DP_RPC_AVAILABLE_IN_ALL
gboolean   dp_rpc_directory_lookup      (GVariant    *directory,
                                         const char  *server,
                                         char       **out_host,
                                         guint       *out_port,
                                         char       **out_name,
                                         GError     **error);

G_END_DECLS
