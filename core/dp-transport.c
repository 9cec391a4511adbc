/* dp-transport.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-transport.h"

/**
 * DpTransport:
 *
 * How nodes reach each other, implemented by a plugin under the
 * %DP_TRANSPORT_EXTENSION_POINT_NAME extension point (the `tcp` plugin).
 */

G_DEFINE_INTERFACE (DpTransport, dp_transport, G_TYPE_OBJECT)

static void
dp_transport_default_init (DpTransportInterface *iface)
{
}

/**
 * dp_transport_listen:
 * @self: a transport
 * @port: the port to listen on, or 0 for one the system picks
 * @accept: (scope notified) (closure user_data) (destroy destroy): called
 *   for each incoming connection
 * @user_data: data for @accept
 * @destroy: (nullable): frees @user_data
 * @out_port: (out) (optional): the port listened on
 * @error: return location for a #GError
 *
 * Returns: %TRUE if listening
 */
gboolean
dp_transport_listen (DpTransport            *self,
                     guint                   port,
                     DpTransportAcceptFunc   accept,
                     gpointer                user_data,
                     GDestroyNotify          destroy,
                     guint                  *out_port,
                     GError                **error)
{
  g_return_val_if_fail (DP_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (accept != NULL, FALSE);

  return DP_TRANSPORT_GET_IFACE (self)->listen (self, port, accept, user_data, destroy,
                                                out_port, error);
}

/**
 * dp_transport_stop:
 * @self: a transport
 *
 * Stops listening.
 */
void
dp_transport_stop (DpTransport *self)
{
  g_return_if_fail (DP_IS_TRANSPORT (self));

  DP_TRANSPORT_GET_IFACE (self)->stop (self);
}

/**
 * dp_transport_connect:
 * @self: a transport
 * @host: a host name or address
 * @port: a port
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Connects once, blocking.
 *
 * Returns: (transfer full): the connection, or %NULL with @error set
 */
GSocketConnection *
dp_transport_connect (DpTransport   *self,
                      const char    *host,
                      guint          port,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (DP_IS_TRANSPORT (self), NULL);
  g_return_val_if_fail (host != NULL, NULL);

  return DP_TRANSPORT_GET_IFACE (self)->connect (self, host, port, cancellable, error);
}
