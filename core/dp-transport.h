/* dp-transport.h: how nodes reach each other — the interface transport
 * plugins implement
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * DP_TRANSPORT_EXTENSION_POINT_NAME:
 *
 * The extension point transport plugins implement [iface@Dp.Transport]
 * under.
 */
#define DP_TRANSPORT_EXTENSION_POINT_NAME "dplaces-transport"

#define DP_TYPE_TRANSPORT (dp_transport_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (DpTransport, dp_transport, DP, TRANSPORT, GObject)

/**
 * DpTransportAcceptFunc:
 * @transport: the transport
 * @connection: (transfer none): a new connection from a peer, not yet
 *   authenticated
 * @user_data: data given to [method@Dp.Transport.listen]
 *
 * Called in the main context that was thread-default when listening
 * started, for every incoming connection.
 */
typedef void (*DpTransportAcceptFunc) (DpTransport       *transport,
                                       GSocketConnection *connection,
                                       gpointer           user_data);

/**
 * DpTransportInterface:
 * @listen: starts accepting connections on @port (0: let the system pick)
 *   and says which port in @out_port
 * @stop: stops accepting
 * @connect: connects to @host:@port once, blocking; the caller retries
 *
 * Byte streams between nodes. The `tcp` plugin is the transport; the
 * message router does the framing and authentication on top.
 */
struct _DpTransportInterface
{
  GTypeInterface parent_iface;

  gboolean            (*listen)  (DpTransport            *self,
                                  guint                   port,
                                  DpTransportAcceptFunc   accept,
                                  gpointer                user_data,
                                  GDestroyNotify          destroy,
                                  guint                  *out_port,
                                  GError                **error);
  void                (*stop)    (DpTransport            *self);
  GSocketConnection * (*connect) (DpTransport            *self,
                                  const char             *host,
                                  guint                   port,
                                  GCancellable           *cancellable,
                                  GError                **error);

  /*< private >*/
  gpointer padding[8];
};

DP_AVAILABLE_IN_ALL
gboolean           dp_transport_listen  (DpTransport            *self,
                                         guint                   port,
                                         DpTransportAcceptFunc   accept,
                                         gpointer                user_data,
                                         GDestroyNotify          destroy,
                                         guint                  *out_port,
                                         GError                **error);
DP_AVAILABLE_IN_ALL
void               dp_transport_stop    (DpTransport            *self);
DP_AVAILABLE_IN_ALL
GSocketConnection *dp_transport_connect (DpTransport            *self,
                                         const char             *host,
                                         guint                   port,
                                         GCancellable           *cancellable,
                                         GError                **error);

G_END_DECLS
