/* dp-tcp-transport.h: nodes reach each other over TCP
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_TCP_TRANSPORT (dp_tcp_transport_get_type ())
G_DECLARE_FINAL_TYPE (DpTcpTransport, dp_tcp_transport, DP, TCP_TRANSPORT, GObject)

void dp_tcp_transport_register (GTypeModule *module);

G_END_DECLS
