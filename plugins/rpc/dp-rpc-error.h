/* dp-rpc-error.h: the error domain of RPC calls
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_RPC_INSIDE) && !defined(DPLACES_RPC_COMPILATION)
#error "Only <dplaces/dp-rpc.h> can be included directly."
#endif

#include "dp-rpc-version-macros.h"

G_BEGIN_DECLS

/**
 * DP_RPC_ERROR:
 *
 * Error domain of RPC calls. Errors in this domain are from the
 * [enum@Dp.RpcError] enumeration. An error a server's handler returns
 * reaches the caller in its own domain and code when the caller's process
 * knows that domain, and as %DP_RPC_ERROR_FAILED otherwise.
 */
#define DP_RPC_ERROR (dp_rpc_error_quark ())

/**
 * DpRpcError:
 * @DP_RPC_ERROR_FAILED: the server's handler failed, in an error domain
 *   this process does not know, or without saying why
 * @DP_RPC_ERROR_UNKNOWN_METHOD: the server has no method of that name
 * @DP_RPC_ERROR_INVALID_ARGS: the arguments do not have the types the
 *   server's interface declares (checked by the server)
 * @DP_RPC_ERROR_INVALID_REPLY: the answer is not of the type the caller
 *   expects, or not an RPC reply at all
 * @DP_RPC_ERROR_SERVER_DIED: the server's place, its node or the
 *   connection to it is gone; the message says why
 * @DP_RPC_ERROR_TIMED_OUT: no answer within the call's timeout
 *
 * Error codes in the %DP_RPC_ERROR domain.
 */
typedef enum {
  DP_RPC_ERROR_FAILED,
  DP_RPC_ERROR_UNKNOWN_METHOD,
  DP_RPC_ERROR_INVALID_ARGS,
  DP_RPC_ERROR_INVALID_REPLY,
  DP_RPC_ERROR_SERVER_DIED,
  DP_RPC_ERROR_TIMED_OUT,
} DpRpcError;

DP_RPC_AVAILABLE_IN_ALL
GQuark dp_rpc_error_quark (void);

G_END_DECLS
