/* dp-rpc-server.h: a place that serves RPC requests — the seeds'
 * define-remote-server and define-named-remote-server
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

#define DP_TYPE_RPC_SERVER (dp_rpc_server_get_type ())
DP_RPC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpRpcServer, dp_rpc_server, DP, RPC_SERVER, GObject)

/**
 * DpRpcHandler:
 * @server: the server
 * @args: (transfer none): the arguments, a tuple of the method's declared
 *   argument type (the server checked it)
 * @user_data: the data given with the handler
 * @error: return location for a #GError; never %NULL
 *
 * Runs one method: the body of a `define-rpc` or `define-cast`.
 *
 * Returns: (transfer full) (nullable): the result, of the method's reply
 *   type (a floating reference is fine); %NULL with @error set if it
 *   failed. A method whose reply type is `()` may return %NULL without an
 *   error; a cast's result is ignored.
 */
typedef GVariant * (*DpRpcHandler) (DpRpcServer  *server,
                                    GVariant     *args,
                                    gpointer      user_data,
                                    GError      **error);

DP_RPC_AVAILABLE_IN_ALL
DpRpcServer  *dp_rpc_server_new           (const char     *name);
DP_RPC_AVAILABLE_IN_ALL
const char   *dp_rpc_server_get_name      (DpRpcServer    *self);

DP_RPC_AVAILABLE_IN_ALL
void          dp_rpc_server_set_state     (DpRpcServer    *self,
                                           gpointer        state,
                                           GDestroyNotify  destroy);
DP_RPC_AVAILABLE_IN_ALL
gpointer      dp_rpc_server_get_state     (DpRpcServer    *self);

DP_RPC_AVAILABLE_IN_ALL
void          dp_rpc_server_add_rpc       (DpRpcServer    *self,
                                           const char     *method,
                                           const char     *args_type,
                                           const char     *reply_type,
                                           DpRpcHandler    handler,
                                           gpointer        user_data,
                                           GDestroyNotify  destroy);
DP_RPC_AVAILABLE_IN_ALL
void          dp_rpc_server_add_cast      (DpRpcServer    *self,
                                           const char     *method,
                                           const char     *args_type,
                                           DpRpcHandler    handler,
                                           gpointer        user_data,
                                           GDestroyNotify  destroy);
DP_RPC_AVAILABLE_IN_ALL
GStrv         dp_rpc_server_list_methods  (DpRpcServer    *self);

DP_RPC_AVAILABLE_IN_ALL
void          dp_rpc_server_handle        (DpRpcServer    *self,
                                           DpChannel      *channel,
                                           GVariant       *message);
DP_RPC_AVAILABLE_IN_ALL
void          dp_rpc_server_run           (DpRpcServer    *self,
                                           DpChannel      *channel);
DP_RPC_AVAILABLE_IN_ALL
GSource      *dp_rpc_server_create_source (DpRpcServer    *self,
                                           DpChannel      *channel);
DP_RPC_AVAILABLE_IN_ALL
void          dp_rpc_server_quit          (DpRpcServer    *self);
DP_RPC_AVAILABLE_IN_ALL
guint64       dp_rpc_server_get_n_handled (DpRpcServer    *self);

DP_RPC_AVAILABLE_IN_ALL
void          dp_rpc_server_log_to_parent (DpRpcServer    *self,
                                           DpLogSeverity   severity,
                                           const char     *message);
DP_RPC_AVAILABLE_IN_ALL
DpRpcServer  *dp_rpc_server_get_current   (void);
DP_RPC_AVAILABLE_IN_ALL
void          dp_rpc_log_to_parent        (DpLogSeverity   severity,
                                           const char     *format,
                                           ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
