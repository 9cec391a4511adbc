/* dp-rpc-client.h: calling an RPC server — the client half of the seeds'
 * define-rpc and define-cast
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
 * DP_RPC_REQUEST_TYPE:
 *
 * The type of a request, as a GVariant type pattern: `(method, serial,
 * arguments)`. The arguments are a tuple (`()` for none). A serial of 0
 * is a cast, which gets no answer; a call's serial is unique in the
 * calling process and comes back in the reply.
 */
#define DP_RPC_REQUEST_TYPE "(sur)"

/**
 * DP_RPC_REPLY_TYPE:
 *
 * The type of a reply: `(serial, ok, value)`. With ok the value is the
 * method's result; without, it is a %DP_RPC_ERROR_VALUE_TYPE.
 */
#define DP_RPC_REPLY_TYPE "(ubv)"

/**
 * DP_RPC_ERROR_VALUE_TYPE:
 *
 * The type of a failed call's value: `(domain, code, message)`, the
 * domain being the name of a #GError quark.
 */
#define DP_RPC_ERROR_VALUE_TYPE "(sis)"

/**
 * DP_RPC_TIMEOUT_DEFAULT:
 *
 * A call's timeout: the channel's ([func@Dp.rpc_channel_set_timeout]),
 * else the process default ([func@Dp.rpc_set_default_timeout]).
 */
#define DP_RPC_TIMEOUT_DEFAULT (-1)

/**
 * DP_RPC_TIMEOUT_NONE:
 *
 * A call's timeout: wait for the answer as long as the server lives.
 */
#define DP_RPC_TIMEOUT_NONE G_MAXINT64

/**
 * DP_RPC_DEFAULT_TIMEOUT_USEC:
 *
 * The process default timeout of a call until changed, as D-Bus's: 25 s.
 */
#define DP_RPC_DEFAULT_TIMEOUT_USEC (25 * G_USEC_PER_SEC)

DP_RPC_AVAILABLE_IN_ALL
GVariant *dp_rpc_call                (DpChannel          *dest,
                                      const char         *method,
                                      GVariant           *args,
                                      const GVariantType *reply_type,
                                      GError            **error);
DP_RPC_AVAILABLE_IN_ALL
GVariant *dp_rpc_call_full           (DpChannel          *dest,
                                      const char         *method,
                                      GVariant           *args,
                                      const GVariantType *reply_type,
                                      gint64              timeout_usec,
                                      GError            **error);
DP_RPC_AVAILABLE_IN_ALL
gboolean  dp_rpc_cast                (DpChannel          *dest,
                                      const char         *method,
                                      GVariant           *args,
                                      GError            **error);

DP_RPC_AVAILABLE_IN_ALL
void      dp_rpc_channel_set_timeout (DpChannel          *dest,
                                      gint64              timeout_usec);
DP_RPC_AVAILABLE_IN_ALL
gint64    dp_rpc_channel_get_timeout (DpChannel          *dest);
DP_RPC_AVAILABLE_IN_ALL
void      dp_rpc_set_default_timeout (gint64              timeout_usec);
DP_RPC_AVAILABLE_IN_ALL
gint64    dp_rpc_get_default_timeout (void);

G_END_DECLS
