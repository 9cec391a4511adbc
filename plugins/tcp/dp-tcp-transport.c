/* dp-tcp-transport.c: nodes reach each other over TCP
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-tcp"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "dp-tcp-transport.h"

/* DpTcpTransport: the byte streams between nodes. Listening is a
 * GSocketService started in the caller's thread-default main context, so
 * the accept callback runs there (the node's router context); connecting is
 * one blocking GSocketClient attempt, the caller (DpSocketConnection) owning
 * the retries. Every connection, accepted or made, has TCP_NODELAY set: the
 * message router writes whole frames and wants them on the wire at once.
 *
 * The keys (bind-address, connect-timeout, backlog) are read when listening
 * starts and on each connect; changing them later does not touch a running
 * listener. */

struct _DpTcpTransport
{
  GObject parent_instance;

  /* keys */
  char *bind_address;
  guint connect_timeout;
  guint backlog;

  /* while listening */
  GSocketService *service;
  gulong incoming_id;
  guint port;
};

enum {
  PROP_0,
  PROP_BIND_ADDRESS,
  PROP_CONNECT_TIMEOUT,
  PROP_BACKLOG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_BACKLOG 128

static void dp_tcp_transport_transport_init (DpTransportInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpTcpTransport, dp_tcp_transport, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_TRANSPORT,
                                                               dp_tcp_transport_transport_init))

/* What listen() was given, owned by the "incoming" handler: freed when the
 * handler is disconnected, which calls the caller's destroy notify. */
typedef struct {
  DpTcpTransport *transport;  /* not a reference: the transport owns the service */
  DpTransportAcceptFunc accept;
  gpointer user_data;
  GDestroyNotify destroy;
} Listening;

static void
listening_free (gpointer  data,
                GClosure *closure)
{
  Listening *listening = data;

  if (listening->destroy != NULL)
    listening->destroy (listening->user_data);
  g_free (listening);
}

/* "HOST:PORT", with brackets around an IPv6 address. */
static char *
format_host_port (const char *host,
                  guint       port)
{
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

static void
set_no_delay (GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GError) error = NULL;

  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &error))
    g_warning ("Cannot set TCP_NODELAY on a connection: %s", error->message);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           data)
{
  Listening *listening = data;

  set_no_delay (connection);
  listening->accept (DP_TRANSPORT (listening->transport), connection, listening->user_data);
  return TRUE;
}

/* Turns GLib's bind error into one that says which port, keeping its
 * domain and code. */
static void
set_listen_error (GError     **error,
                  GError      *cause,
                  const char  *bind_address,
                  guint        port)
{
  g_autofree char *where = NULL;
  const char *reason = cause->message;
  g_autofree char *owned_reason = NULL;

  if (bind_address != NULL)
    where = port == 0 ? g_strdup_printf ("%s (any port)", bind_address)
                      : g_strdup_printf ("%s port %u", bind_address, port);
  else
    where = port == 0 ? g_strdup ("any port") : g_strdup_printf ("port %u", port);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    reason = g_strerror (EADDRINUSE);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED) && port < 1024)
    reason = owned_reason = g_strdup_printf ("%s (ports below 1024 need privileges)",
                                             g_strerror (EACCES));

  g_set_error (error, cause->domain, cause->code, "Cannot listen on %s: %s", where, reason);
}

static gboolean
dp_tcp_transport_listen (DpTransport            *transport,
                         guint                   port,
                         DpTransportAcceptFunc   accept,
                         gpointer                user_data,
                         GDestroyNotify          destroy,
                         guint                  *out_port,
                         GError                **error)
{
  DpTcpTransport *self = DP_TCP_TRANSPORT (transport);
  g_autoptr(GSocketService) service = NULL;
  g_autoptr(GError) local_error = NULL;
  GSocketListener *listener;
  const char *bind_address;
  Listening *listening;
  guint chosen = 0;

  if (self->service != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   "Cannot listen on port %u: this tcp transport already listens on port %u",
                   port, self->port);
      return FALSE;
    }
  if (port > G_MAXUINT16)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Cannot listen on port %u: a TCP port is 1 to 65535 (0 lets the system pick)",
                   port);
      return FALSE;
    }

  /* Inactive until g_socket_service_start(), below: the accepts are then
   * attached to the main context that is thread-default now. */
  service = g_object_new (G_TYPE_SOCKET_SERVICE, "active", FALSE, NULL);
  listener = G_SOCKET_LISTENER (service);
  g_socket_listener_set_backlog (listener, (int) MIN (self->backlog, (guint) G_MAXINT));

  bind_address = self->bind_address != NULL && self->bind_address[0] != '\0'
                 ? self->bind_address : NULL;
  if (bind_address != NULL)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (bind_address);
      g_autoptr(GSocketAddress) address = NULL;
      g_autoptr(GSocketAddress) effective = NULL;

      if (inet == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Cannot listen on %s: bind-address must be an IP address, "
                       "such as 127.0.0.1 or ::1", bind_address);
          return FALSE;
        }
      address = g_inet_socket_address_new (inet, (guint16) port);
      if (g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                         G_SOCKET_PROTOCOL_TCP, NULL, &effective, &local_error))
        chosen = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
    }
  else if (port == 0)
    chosen = g_socket_listener_add_any_inet_port (listener, NULL, &local_error);
  else if (g_socket_listener_add_inet_port (listener, (guint16) port, NULL, &local_error))
    chosen = port;

  if (local_error != NULL)
    {
      set_listen_error (error, local_error, bind_address, port);
      return FALSE;
    }

  listening = g_new0 (Listening, 1);
  listening->transport = self;
  listening->accept = accept;
  listening->user_data = user_data;
  listening->destroy = destroy;
  self->incoming_id = g_signal_connect_data (service, "incoming", G_CALLBACK (on_incoming),
                                             listening, listening_free, 0);
  g_socket_service_start (service);

  self->service = g_steal_pointer (&service);
  self->port = chosen;
  g_debug ("Listening on %s port %u", bind_address != NULL ? bind_address : "every address",
           chosen);

  if (out_port != NULL)
    *out_port = chosen;
  return TRUE;
}

static void
dp_tcp_transport_stop (DpTransport *transport)
{
  DpTcpTransport *self = DP_TCP_TRANSPORT (transport);

  if (self->service == NULL)
    return;

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_clear_signal_handler (&self->incoming_id, self->service);
  g_clear_object (&self->service);
  g_debug ("Stopped listening on port %u", self->port);
  self->port = 0;
}

static GSocketConnection *
dp_tcp_transport_connect (DpTransport   *transport,
                          const char    *host,
                          guint          port,
                          GCancellable  *cancellable,
                          GError       **error)
{
  DpTcpTransport *self = DP_TCP_TRANSPORT (transport);
  g_autofree char *where = format_host_port (host, port);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) local_error = NULL;

  if (port == 0 || port > G_MAXUINT16)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Cannot connect to %s: a TCP port is 1 to 65535", where);
      return NULL;
    }

  client = g_socket_client_new ();
  /* Nodes talk directly; a desktop's proxy settings are not for them. */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, self->connect_timeout);

  address = g_network_address_new (host, (guint16) port);
  connection = g_socket_client_connect (client, address, cancellable, &local_error);
  if (connection == NULL)
    {
      const char *reason = local_error->message;

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        reason = g_strerror (ECONNREFUSED);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        reason = g_strerror (ETIMEDOUT);
      g_set_error (error, local_error->domain, local_error->code, "Cannot connect to %s: %s",
                   where, reason);
      return NULL;
    }

  /* The client's timeout stays on the socket it made; a node connection
   * waits for frames as long as it lives, so reads and writes have none. */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 0);
  set_no_delay (connection);

  return g_steal_pointer (&connection);
}

static void
dp_tcp_transport_transport_init (DpTransportInterface *iface)
{
  iface->listen = dp_tcp_transport_listen;
  iface->stop = dp_tcp_transport_stop;
  iface->connect = dp_tcp_transport_connect;
}

static void
dp_tcp_transport_dispose (GObject *object)
{
  dp_tcp_transport_stop (DP_TRANSPORT (object));

  G_OBJECT_CLASS (dp_tcp_transport_parent_class)->dispose (object);
}

static void
dp_tcp_transport_finalize (GObject *object)
{
  DpTcpTransport *self = DP_TCP_TRANSPORT (object);

  g_free (self->bind_address);

  G_OBJECT_CLASS (dp_tcp_transport_parent_class)->finalize (object);
}

static void
dp_tcp_transport_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DpTcpTransport *self = DP_TCP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_BIND_ADDRESS:
      g_value_set_string (value, self->bind_address);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout);
      break;
    case PROP_BACKLOG:
      g_value_set_uint (value, self->backlog);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_tcp_transport_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DpTcpTransport *self = DP_TCP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_BIND_ADDRESS:
      g_free (self->bind_address);
      self->bind_address = g_value_dup_string (value);
      break;
    case PROP_CONNECT_TIMEOUT:
      self->connect_timeout = g_value_get_uint (value);
      break;
    case PROP_BACKLOG:
      self->backlog = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_tcp_transport_class_init (DpTcpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_tcp_transport_dispose;
  object_class->finalize = dp_tcp_transport_finalize;
  object_class->get_property = dp_tcp_transport_get_property;
  object_class->set_property = dp_tcp_transport_set_property;

  properties[PROP_BIND_ADDRESS] =
    g_param_spec_string ("bind-address", "Bind address",
                         "The IP address a node listens on; empty for every address of the "
                         "machine, 127.0.0.1 (or ::1) to accept only connections from this one",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_uint ("connect-timeout", "Connect timeout",
                       "Seconds one connection attempt to another node may take; 0 for the "
                       "system's own limit",
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BACKLOG] =
    g_param_spec_uint ("backlog", "Backlog",
                       "How many incoming connections may wait to be accepted (the listen "
                       "backlog)",
                       1, G_MAXINT, DEFAULT_BACKLOG,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_tcp_transport_class_finalize (DpTcpTransportClass *klass)
{
}

static void
dp_tcp_transport_init (DpTcpTransport *self)
{
  self->backlog = DEFAULT_BACKLOG;
}

void
dp_tcp_transport_register (GTypeModule *module)
{
  dp_tcp_transport_register_type (module);
}
