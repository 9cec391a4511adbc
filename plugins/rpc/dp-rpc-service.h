/* dp-rpc-service.h: the `rpc` service — a keyfile's [rpc] group hands the
 * system's RPC servers to client places
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_RPC_SERVICE (dp_rpc_service_get_type ())
G_DECLARE_FINAL_TYPE (DpRpcService, dp_rpc_service, DP, RPC_SERVICE, GObject)

void dp_rpc_service_register (GTypeModule *module);

G_END_DECLS
