/* dp-place-socket-bridge.h: a place channel bridged to a channel id of a
 * socket connection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include "dp-channel.h"
#include "dp-socket-connection.h"

G_BEGIN_DECLS

#define DP_TYPE_PLACE_SOCKET_BRIDGE (dp_place_socket_bridge_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpPlaceSocketBridge, dp_place_socket_bridge, DP, PLACE_SOCKET_BRIDGE, GObject)

DP_AVAILABLE_IN_ALL
DpPlaceSocketBridge *dp_place_socket_bridge_new        (DpChannel           *pch,
                                                        DpSocketConnection  *sch,
                                                        guint32              id,
                                                        GError             **error);
DP_AVAILABLE_IN_ALL
guint32              dp_place_socket_bridge_get_sc_id  (DpPlaceSocketBridge *self);
DP_AVAILABLE_IN_ALL
DpChannel           *dp_place_socket_bridge_get_channel (DpPlaceSocketBridge *self);
DP_AVAILABLE_IN_ALL
DpSocketConnection  *dp_place_socket_bridge_get_connection (DpPlaceSocketBridge *self);

G_END_DECLS
