/* dp-remote-node.c: another node, as seen from here
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-node"

#include "config.h"

#include <string.h>

#include "dp-auth-private.h"
#include "dp-error.h"
#include "dp-event-container.h"
#include "dp-node-private.h"
#include "dp-plugin-registry.h"
#include "dp-remote-connection-private.h"
#include "dp-remote-node-private.h"
#include "dp-socket-connection.h"
#include "dp-transport.h"
#include "dp-wire-private.h"

/**
 * DpRemoteNode:
 *
 * Another node, as seen from this process: the seeds' `remote-node%`.
 * [method@Dp.RemoteNode.spawn] starts it with a launcher plugin (`local`
 * or `ssh`), hands it the cookie on its standard input, waits until it
 * listens and connects; [method@Dp.RemoteNode.connect] connects to a node
 * that runs already. Either way both sides authenticate before anything
 * else crosses.
 *
 * Then it launches places there ([method@Dp.RemoteNode.launch_place]) and
 * connects to named places ([method@Dp.RemoteNode.remote_connect]); both
 * give a [class@Dp.RemoteConnection]. The node's output reaches ours,
 * each line prefixed with [method@Dp.RemoteNode.get_log_prefix]. When the
 * node dies, every channel to it fails with the reason and
 * #DpRemoteNode::died is emitted.
 */

struct _DpRemoteNode
{
  GObject parent_instance;

  char *host;
  guint listen_port;
  char *launcher_name;
  DpLauncher *launcher;
  char *launch_path;
  guint retry_times;
  gdouble delay;
  gboolean use_current_ports;
  gboolean solo;
  GObject *restart_on_exit;

  DpSpawnedProcess *process;
  GSocketConnection *stream;
  DpSocketConnection *connection;
  GMainContext *creator_context;

  GMutex lock;
  GHashTable *places;             /* channel id → DpRemoteConnection* (no reference) */
  DpRemoteConnection *first_place;
  gboolean died;
};

enum {
  PROP_0,
  PROP_HOST,
  PROP_LISTEN_PORT,
  PROP_LAUNCHER,
  PROP_LAUNCH_PATH,
  PROP_RETRY_TIMES,
  PROP_DELAY,
  PROP_USE_CURRENT_PORTS,
  PROP_SOLO,
  PROP_RESTART_ON_EXIT,
  N_PROPS
};

enum {
  SIGNAL_DIED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void dp_remote_node_event_container_init (DpEventContainerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DpRemoteNode, dp_remote_node, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DP_TYPE_EVENT_CONTAINER,
                                                      dp_remote_node_event_container_init))

static GPtrArray *
dp_remote_node_register_events (DpEventContainer *container,
                                GPtrArray        *events)
{
  DpRemoteNode *self = DP_REMOTE_NODE (container);
  g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  /* The node's traffic is read on the connection's own threads; what the
   * loop waits on are the places' on-channel handlers. */
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->places);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (places, g_object_ref (value));
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < places->len; i++)
    dp_event_container_register (g_ptr_array_index (places, i), events);

  return events;
}

static void
dp_remote_node_event_container_init (DpEventContainerInterface *iface)
{
  iface->register_events = dp_remote_node_register_events;
}

static void
dp_remote_node_dispose (GObject *object)
{
  DpRemoteNode *self = DP_REMOTE_NODE (object);

  if (self->connection != NULL)
    {
      /* Nothing is left to hear from the node: no place on it is held. */
      g_signal_handlers_disconnect_by_data (self->connection, self);
      dp_socket_connection_set_reason_func (self->connection, NULL, NULL, NULL);
      dp_socket_connection_close (self->connection, NULL);
      dp_socket_connection_set_control_handler (self->connection, NULL, NULL, NULL);
    }
  g_clear_object (&self->connection);
  g_clear_object (&self->stream);
  g_clear_weak_pointer (&self->first_place);

  G_OBJECT_CLASS (dp_remote_node_parent_class)->dispose (object);
}

static void
dp_remote_node_finalize (GObject *object)
{
  DpRemoteNode *self = DP_REMOTE_NODE (object);

  g_free (self->host);
  g_free (self->launcher_name);
  g_free (self->launch_path);
  g_clear_object (&self->launcher);
  g_clear_object (&self->restart_on_exit);
  g_clear_object (&self->process);
  g_clear_pointer (&self->creator_context, g_main_context_unref);
  g_hash_table_unref (self->places);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_remote_node_parent_class)->finalize (object);
}

static void
dp_remote_node_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DpRemoteNode *self = DP_REMOTE_NODE (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_LISTEN_PORT:
      g_value_set_uint (value, self->listen_port);
      break;
    case PROP_LAUNCHER:
      g_value_set_string (value, self->launcher_name);
      break;
    case PROP_LAUNCH_PATH:
      g_value_set_string (value, self->launch_path);
      break;
    case PROP_RETRY_TIMES:
      g_value_set_uint (value, self->retry_times);
      break;
    case PROP_DELAY:
      g_value_set_double (value, self->delay);
      break;
    case PROP_USE_CURRENT_PORTS:
      g_value_set_boolean (value, self->use_current_ports);
      break;
    case PROP_SOLO:
      g_value_set_boolean (value, self->solo);
      break;
    case PROP_RESTART_ON_EXIT:
      g_value_set_object (value, self->restart_on_exit);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_remote_node_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DpRemoteNode *self = DP_REMOTE_NODE (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_free (self->host);
      self->host = g_value_dup_string (value);
      break;
    case PROP_LISTEN_PORT:
      self->listen_port = g_value_get_uint (value);
      break;
    case PROP_LAUNCHER:
      g_free (self->launcher_name);
      self->launcher_name = g_value_dup_string (value);
      break;
    case PROP_LAUNCH_PATH:
      g_free (self->launch_path);
      self->launch_path = g_value_dup_string (value);
      break;
    case PROP_RETRY_TIMES:
      self->retry_times = g_value_get_uint (value);
      break;
    case PROP_DELAY:
      self->delay = g_value_get_double (value);
      break;
    case PROP_USE_CURRENT_PORTS:
      self->use_current_ports = g_value_get_boolean (value);
      break;
    case PROP_SOLO:
      self->solo = g_value_get_boolean (value);
      break;
    case PROP_RESTART_ON_EXIT:
      g_set_object (&self->restart_on_exit, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_remote_node_class_init (DpRemoteNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_remote_node_dispose;
  object_class->finalize = dp_remote_node_finalize;
  object_class->get_property = dp_remote_node_get_property;
  object_class->set_property = dp_remote_node_set_property;

  /**
   * DpRemoteNode:host:
   *
   * Where the node runs.
   */
  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, "localhost",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * DpRemoteNode:listen-port:
   *
   * The port it listens on; 0 until a spawned node says which one it got.
   */
  properties[PROP_LISTEN_PORT] =
    g_param_spec_uint ("listen-port", NULL, NULL, 0, 65535, 6340,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * DpRemoteNode:launcher:
   *
   * The launcher plugin that starts it: `local` or `ssh`; %NULL picks by
   * host.
   */
  properties[PROP_LAUNCHER] =
    g_param_spec_string ("launcher", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DpRemoteNode:launch-path:
   *
   * The `dplaces` binary on that machine, when the launcher should not
   * guess it.
   */
  properties[PROP_LAUNCH_PATH] =
    g_param_spec_string ("launch-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DpRemoteNode:retry-times:
   *
   * How many times to retry connecting (the seeds' socket-connection%
   * `retry-times`).
   */
  properties[PROP_RETRY_TIMES] =
    g_param_spec_uint ("retry-times", NULL, NULL, 0, G_MAXUINT, 30,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * DpRemoteNode:delay:
   *
   * Seconds between connection attempts (the seeds' `delay`).
   */
  properties[PROP_DELAY] =
    g_param_spec_double ("delay", NULL, NULL, 0, 3600, 1,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * DpRemoteNode:use-current-ports:
   *
   * Forward the node's output without prefixing its lines.
   */
  properties[PROP_USE_CURRENT_PORTS] =
    g_param_spec_boolean ("use-current-ports", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DpRemoteNode:solo:
   *
   * Keep the node out of the full mesh of the system's nodes.
   */
  properties[PROP_SOLO] =
    g_param_spec_boolean ("solo", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DpRemoteNode:restart-on-exit:
   *
   * What to do when the node dies: a restart strategy, or %NULL.
   */
  properties[PROP_RESTART_ON_EXIT] =
    g_param_spec_object ("restart-on-exit", NULL, NULL, G_TYPE_OBJECT,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DpRemoteNode::died:
   * @self: the node
   * @reason: why, as a #GError
   *
   * The node is gone: its process died or the connection to it broke.
   * Emitted in the main context that was the thread default when @self
   * was made.
   */
  signals[SIGNAL_DIED] =
    g_signal_new ("died", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
dp_remote_node_init (DpRemoteNode *self)
{
  g_mutex_init (&self->lock);
  self->places = g_hash_table_new (NULL, NULL);
  /* "died" goes to the context that made us — or, made on a thread with
   * no context of its own, to the running node's. */
  if (g_main_context_get_thread_default () != NULL || !dp_node_is_running (dp_node_get_default ()))
    self->creator_context = g_main_context_ref_thread_default ();
  else
    self->creator_context = g_main_context_ref (dp_node_get_context (dp_node_get_default ()));
}

/**
 * dp_remote_node_new:
 * @host: where the node runs
 * @listen_port: the port it listens on, or 0 for one it picks when spawned
 *
 * Returns: (transfer full): a node not yet spawned or connected
 */
DpRemoteNode *
dp_remote_node_new (const char *host,
                    guint       listen_port)
{
  g_return_val_if_fail (host != NULL, NULL);

  return g_object_new (DP_TYPE_REMOTE_NODE, "host", host, "listen-port", listen_port, NULL);
}

const char *
dp_remote_node_get_host (DpRemoteNode *self)
{
  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  return self->host;
}

guint
dp_remote_node_get_listen_port (DpRemoteNode *self)
{
  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), 0);
  return self->listen_port;
}

/**
 * dp_remote_node_set_launcher:
 * @self: a node
 * @launcher: (nullable): a configured launcher, such as an `ssh` one with
 *   its user and identity file set
 *
 * Sets the launcher [method@Dp.RemoteNode.spawn] uses.
 */
void
dp_remote_node_set_launcher (DpRemoteNode *self,
                             DpLauncher   *launcher)
{
  g_return_if_fail (DP_IS_REMOTE_NODE (self));
  g_set_object (&self->launcher, launcher);
}

/**
 * dp_remote_node_get_process:
 * @self: a node
 *
 * Returns: (transfer none) (nullable): the node's process, if this
 *   process spawned it
 */
DpSpawnedProcess *
dp_remote_node_get_process (DpRemoteNode *self)
{
  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  return self->process;
}

/**
 * dp_remote_node_get_log_prefix:
 * @self: a node
 *
 * Returns: (transfer full): `PLACE host:port` (the seeds'
 *   `get-log-prefix`)
 */
char *
dp_remote_node_get_log_prefix (DpRemoteNode *self)
{
  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  return g_strdup_printf ("PLACE %s:%u", self->host, self->listen_port);
}

gboolean
dp_remote_node_is_alive (DpRemoteNode *self)
{
  gboolean alive;

  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), FALSE);

  g_mutex_lock (&self->lock);
  alive = self->connection != NULL && !self->died;
  g_mutex_unlock (&self->lock);

  return alive;
}

static gboolean
host_is_local (const char *host)
{
  return g_str_equal (host, "localhost") || g_str_equal (host, "127.0.0.1") ||
         g_str_equal (host, "::1") || g_str_equal (host, g_get_host_name ());
}

static GBytes *
process_cookie (GError **error)
{
  GBytes *cookie = dp_cookie_get_process ();

  if (cookie == NULL)
    {
      cookie = dp_cookie_load (NULL, error);
      if (cookie != NULL)
        dp_cookie_set_process (cookie);
    }
  return cookie;
}

/* Control frames from the node: its logs, its places' deaths. Called on
 * whichever thread reads the connection. */
static gboolean
remote_node_control_cb (DpSocketConnection *connection,
                        guint               kind,
                        guint32             channel,
                        guint32             aux,
                        GVariant           *payload,
                        gpointer            data)
{
  DpRemoteNode *self = data;

  switch (kind)
    {
    case DP_FRAME_LOG:
      {
        const char *severity, *text;
        g_autofree char *prefix = dp_remote_node_get_log_prefix (self);

        if (payload == NULL || !g_variant_is_of_type (payload, G_VARIANT_TYPE (DP_LOG_TYPE)))
          return FALSE;
        g_variant_get (payload, "(&s&s)", &severity, &text);
        dp_node_log_from_child (severity, text, prefix);
        return TRUE;
      }

    case DP_FRAME_PLACE_DIED:
      {
        DpRemoteConnection *place;
        const char *reason;
        gint status;

        if (payload == NULL || !g_variant_is_of_type (payload, G_VARIANT_TYPE (DP_PLACE_DIED_TYPE)))
          return FALSE;
        g_variant_get (payload, "(i&s)", &status, &reason);
        g_mutex_lock (&self->lock);
        place = g_hash_table_lookup (self->places, GUINT_TO_POINTER (channel));
        if (place != NULL)
          g_object_ref (place);
        g_mutex_unlock (&self->lock);
        if (place != NULL)
          {
            dp_remote_connection_report_exit (place, status, reason);
            g_object_unref (place);
          }
        return TRUE;
      }

    default:
      /* A node may also ask us what it would ask any node. */
      return dp_node_handle_request (dp_node_get_default (), connection, kind, channel, aux, payload);
    }
}

/* The connection died: say how, if we can tell. */
static GError *
remote_node_reason_cb (DpSocketConnection *connection,
                       const GError       *reason,
                       gpointer            data)
{
  DpRemoteNode *self = data;
  DpSpawnedProcess *process = self->process;

  if (process == NULL)
    return g_error_new (DP_ERROR, DP_ERROR_PEER_DIED, "Node %s:%u: %s", self->host,
                        self->listen_port, reason->message);

  /* A dead node closes its socket moments before it is reaped. */
  if (dp_spawned_process_wait_timeout (process, 1000))
    return g_error_new (DP_ERROR, DP_ERROR_PEER_DIED, "Node %s:%u %s", self->host,
                        self->listen_port, dp_spawned_process_get_exit_reason (process));
  return g_error_new (DP_ERROR, DP_ERROR_PEER_DIED, "Node %s:%u: %s", self->host,
                      self->listen_port, reason->message);
}

static gboolean
emit_died_cb (gpointer data)
{
  GPtrArray *args = data;

  g_signal_emit (args->pdata[0], signals[SIGNAL_DIED], 0, args->pdata[1]);
  return G_SOURCE_REMOVE;
}

static void
free_died_args (gpointer data)
{
  GPtrArray *args = data;

  g_object_unref (args->pdata[0]);
  g_error_free (args->pdata[1]);
  g_ptr_array_free (args, TRUE);
}

static void
connection_closed_cb (DpSocketConnection *connection,
                      GError             *reason,
                      gpointer            data)
{
  DpRemoteNode *self = data;
  g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;
  GPtrArray *args;

  g_mutex_lock (&self->lock);
  self->died = TRUE;
  g_hash_table_iter_init (&iter, self->places);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (places, g_object_ref (value));
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < places->len; i++)
    dp_remote_connection_report_exit (g_ptr_array_index (places, i), 1, reason->message);

  g_debug ("%s", reason->message);

  args = g_ptr_array_new ();
  g_ptr_array_add (args, g_object_ref (self));
  g_ptr_array_add (args, g_error_copy (reason));
  g_main_context_invoke_full (self->creator_context, G_PRIORITY_DEFAULT, emit_died_cb,
                              args, free_died_args);
}

/* Connects, authenticates, and starts reading. */
static gboolean
connect_and_authenticate (DpRemoteNode  *self,
                          GError       **error)
{
  g_autoptr(DpTransport) transport = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GBytes) cookie = NULL;
  g_autoptr(GError) last_error = NULL;
  g_autoptr(DpSocketConnection) connection = NULL;
  g_autofree char *own_name = NULL;
  GSocket *socket;

  cookie = process_cookie (error);
  if (cookie == NULL)
    return FALSE;

  transport = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                         DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp", error);
  if (transport == NULL)
    return FALSE;

  /* A node may still be booting: retry, as socket-connection% does. */
  for (guint attempt = 0; attempt <= self->retry_times; attempt++)
    {
      g_clear_error (&last_error);
      stream = dp_transport_connect (transport, self->host, self->listen_port, NULL, &last_error);
      if (stream != NULL)
        break;
      if (attempt < self->retry_times)
        {
          g_debug ("Connecting to %s:%u failed (%s); retrying in %g s", self->host,
                   self->listen_port, last_error->message, self->delay);
          g_usleep ((gulong) (self->delay * G_USEC_PER_SEC));
        }
    }
  if (stream == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "Cannot connect to node %s:%u: %s",
                   self->host, self->listen_port, last_error->message);
      return FALSE;
    }

  socket = g_socket_connection_get_socket (stream);
  own_name = dp_node_describe_self ();
  if (!dp_auth_handshake (socket, cookie, TRUE, own_name, NULL, error))
    {
      g_prefix_error (error, "Node %s:%u: ", self->host, self->listen_port);
      return FALSE;
    }

  connection = dp_socket_connection_new (socket, TRUE);
  dp_socket_connection_set_control_handler (connection, remote_node_control_cb, self, NULL);
  dp_socket_connection_set_reason_func (connection, remote_node_reason_cb, self, NULL);
  g_signal_connect (connection, "closed", G_CALLBACK (connection_closed_cb), self);

  g_mutex_lock (&self->lock);
  self->stream = g_steal_pointer (&stream);
  self->connection = g_object_ref (connection);
  self->died = FALSE;
  g_mutex_unlock (&self->lock);

  dp_socket_connection_start (connection);
  return TRUE;
}

/**
 * dp_remote_node_connect:
 * @self: a node that runs already
 * @error: return location for a #GError
 *
 * Connects to the node at [property@Dp.RemoteNode:host] and
 * [property@Dp.RemoteNode:listen-port], retrying
 * [property@Dp.RemoteNode:retry-times] times, and authenticates.
 *
 * Returns: %TRUE once connected
 */
gboolean
dp_remote_node_connect (DpRemoteNode  *self,
                        GError       **error)
{
  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), FALSE);
  g_return_val_if_fail (self->connection == NULL, FALSE);

  return connect_and_authenticate (self, error);
}

/**
 * dp_remote_node_spawn:
 * @self: a node not yet running
 * @error: return location for a #GError
 *
 * Starts `dplaces node` at [property@Dp.RemoteNode:host] with the
 * launcher, gives it the cookie on its standard input, waits until it
 * listens, connects and becomes its owner: the node exits when this
 * process goes away.
 *
 * Returns: %TRUE once the node runs and is connected
 */
gboolean
dp_remote_node_spawn (DpRemoteNode  *self,
                      GError       **error)
{
  g_autoptr(GBytes) cookie = NULL;
  g_autoptr(GBytes) input = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr(GPtrArray) node_argv = g_ptr_array_new ();
  g_auto(GStrv) plugin_dirs = NULL;
  guint port = 0;

  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), FALSE);
  g_return_val_if_fail (self->process == NULL, FALSE);

  cookie = process_cookie (error);
  if (cookie == NULL)
    return FALSE;

  if (self->launcher == NULL)
    {
      const char *name = self->launcher_name != NULL ? self->launcher_name
                       : host_is_local (self->host) ? "local" : "ssh";

      self->launcher = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                                  DP_LAUNCHER_EXTENSION_POINT_NAME, name, error);
      if (self->launcher == NULL)
        return FALSE;
      if (self->launch_path != NULL &&
          g_object_class_find_property (G_OBJECT_GET_CLASS (self->launcher), "launch-path") != NULL)
        g_object_set (self->launcher, "launch-path", self->launch_path, NULL);
      else if (self->launch_path != NULL &&
               g_object_class_find_property (G_OBJECT_GET_CLASS (self->launcher), "remote-path") != NULL)
        g_object_set (self->launcher, "remote-path", self->launch_path, NULL);
    }

  port_text = g_strdup_printf ("%u", self->listen_port);
  g_ptr_array_add (node_argv, "node");
  g_ptr_array_add (node_argv, "--listen-port");
  g_ptr_array_add (node_argv, port_text);
  g_ptr_array_add (node_argv, "--cookie-stdin");
  g_ptr_array_add (node_argv, "--host");
  g_ptr_array_add (node_argv, self->host);
  /* Modules are found where we find them: the seeds assume the same
   * module paths on every machine. */
  plugin_dirs = dp_plugin_registry_dup_directories (dp_plugin_registry_get_default ());
  for (guint i = 0; plugin_dirs[i] != NULL; i++)
    {
      g_ptr_array_add (node_argv, "--plugin-dir");
      g_ptr_array_add (node_argv, plugin_dirs[i]);
    }
  g_ptr_array_add (node_argv, NULL);

  argv = dp_launcher_build_argv (self->launcher, self->host,
                                 (const char * const *) node_argv->pdata, error);
  if (argv == NULL)
    return FALSE;

  {
    /* The cookie, then a newline: the node reads one line. */
    GByteArray *line = g_byte_array_new ();
    g_byte_array_append (line, g_bytes_get_data (cookie, NULL), g_bytes_get_size (cookie));
    g_byte_array_append (line, (const guint8 *) "\n", 1);
    input = g_byte_array_free_to_bytes (line);
  }

  prefix = dp_remote_node_get_log_prefix (self);
  self->process = dp_spawned_process_new ((const char * const *) argv,
                                          self->use_current_ports ? NULL : prefix, input, error);
  if (self->process == NULL)
    return FALSE;

  if (!dp_spawned_process_wait_ready (self->process, 30000, &port, error))
    {
      g_prefix_error (error, "Node %s:%u: ", self->host, self->listen_port);
      dp_spawned_process_kill (self->process);
      return FALSE;
    }
  if (self->listen_port == 0)
    {
      self->listen_port = port;
      g_free (prefix);
      prefix = dp_remote_node_get_log_prefix (self);
      if (!self->use_current_ports)
        dp_spawned_process_set_log_prefix (self->process, prefix);
    }

  if (!connect_and_authenticate (self, error))
    {
      dp_spawned_process_kill (self->process);
      return FALSE;
    }

  /* We started it: it is ours, and ends when we do. */
  dp_socket_connection_send_control (self->connection, DP_FRAME_SET_OWNER, 0, 0, NULL, NULL);
  dp_node_add_spawned_node (dp_node_get_default (), self);

  g_debug ("node %s:%u spawned (pid %d)", self->host, self->listen_port,
           dp_spawned_process_get_pid (self->process));
  return TRUE;
}

static void
forget_place (gpointer  data,
              GObject  *where_the_place_was)
{
  DpRemoteNode *self = data;
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->places);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value == where_the_place_was)
      g_hash_table_iter_remove (&iter);
  g_mutex_unlock (&self->lock);
}

static DpRemoteConnection *
open_remote_connection (DpRemoteNode  *self,
                        guint          kind,
                        GVariant      *request,
                        const char    *name,
                        GError       **error)
{
  g_autoptr(GVariant) owned_request = g_variant_ref_sink (request);
  g_autoptr(DpPlaceChannel) endpoint = NULL;
  g_autoptr(DpSocketConnection) connection = NULL;
  DpRemoteConnection *place;
  guint32 id;

  g_mutex_lock (&self->lock);
  if (self->connection != NULL && !self->died)
    connection = g_object_ref (self->connection);
  g_mutex_unlock (&self->lock);

  if (connection == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "Node %s:%u is not connected",
                   self->host, self->listen_port);
      return NULL;
    }

  endpoint = dp_socket_connection_open_new_channel (connection, &id);
  place = dp_remote_connection_new (self, endpoint, id, name);

  g_mutex_lock (&self->lock);
  g_hash_table_insert (self->places, GUINT_TO_POINTER (id), place);
  g_mutex_unlock (&self->lock);
  /* The place holds the node, so the node outlives this notification. */
  g_object_weak_ref (G_OBJECT (place), forget_place, self);

  if (!dp_socket_connection_send_control (connection, kind, id, 0, owned_request, error))
    {
      g_object_unref (place);
      return NULL;
    }

  return place;
}

/**
 * dp_remote_node_launch_place:
 * @self: a connected node
 * @exec: how to start the place
 * @module: a module on that node
 * @function: its exported function
 * @named: (nullable): a name, for a named place others connect to
 * @backend: (nullable): the place backend there; %NULL for threads
 * @error: return location for a #GError
 *
 * Starts a place on the node (the seeds' `launch-place`). If it cannot
 * start there — an unknown module, a module outside the node's plugin
 * directories — the first get on the result fails with the node's
 * reason.
 *
 * Returns: (transfer full): the place, or %NULL with @error set when the
 *   node cannot be reached
 */
DpRemoteConnection *
dp_remote_node_launch_place (DpRemoteNode  *self,
                             DpPlaceExec    exec,
                             const char    *module,
                             const char    *function,
                             const char    *named,
                             const char    *backend,
                             GError       **error)
{
  DpRemoteConnection *place;

  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  g_return_val_if_fail (module != NULL && function != NULL, NULL);

  place = open_remote_connection (self, DP_FRAME_NEW_PLACE,
                                  g_variant_new (DP_NEW_PLACE_TYPE, (guint32) exec, module, function,
                                                 named != NULL ? named : "",
                                                 backend != NULL ? backend : ""),
                                  named, error);
  if (place != NULL)
    {
      g_mutex_lock (&self->lock);
      /* Weak: the place holds its node. */
      if (self->first_place == NULL)
        g_set_weak_pointer (&self->first_place, place);
      g_mutex_unlock (&self->lock);
    }
  return place;
}

/**
 * dp_remote_node_remote_connect:
 * @self: a connected node
 * @name: the name of a named place on it
 * @error: return location for a #GError
 *
 * Connects to a named place (the seeds' `remote-connect`). If there is no
 * such place, the first get on the result fails saying so.
 *
 * Returns: (transfer full): the connection, or %NULL with @error set when
 *   the node cannot be reached
 */
DpRemoteConnection *
dp_remote_node_remote_connect (DpRemoteNode  *self,
                               const char    *name,
                               GError       **error)
{
  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return open_remote_connection (self, DP_FRAME_NEW_CONNECTION,
                                 g_variant_new (DP_NEW_CONNECTION_TYPE, name, DP_CONNECTION_MODE_CONNECT,
                                                g_variant_new ("()")),
                                 name, error);
}

/**
 * dp_remote_node_connect_channel:
 * @self: a connected node
 * @src_id: (transfer floating): who asks: any message without channels
 * @name: the name of a named place on it
 * @error: return location for a #GError
 *
 * Opens a plain channel to a named place (the seeds' `connect-channel`,
 * what [func@Dp.send_new_place_channel_to_named_dest] does through a
 * message router). The named place gets one message
 * `('channel-connect', src_id, channel)` — type `(svh)` — and from then on
 * reads what you put on the result from that channel as it is, without
 * the `(message, reply)` wrapping of [method@Dp.RemoteNode.remote_connect];
 * what it puts on that channel you get. If there is no such place, the
 * first get on the result fails saying so.
 *
 * Returns: (transfer full): the connection, or %NULL with @error set when
 *   the node cannot be reached or @src_id holds channels
 */
DpRemoteConnection *
dp_remote_node_connect_channel (DpRemoteNode  *self,
                                GVariant      *src_id,
                                const char    *name,
                                GError       **error)
{
  g_autoptr(GVariant) owned_src_id = NULL;

  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  g_return_val_if_fail (src_id != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  owned_src_id = g_variant_ref_sink (src_id);
  if (dp_message_has_handles (owned_src_id))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "The source id of a channel to %s cannot hold channels or shared vectors", name);
      return NULL;
    }

  return open_remote_connection (self, DP_FRAME_NEW_CONNECTION,
                                 g_variant_new (DP_NEW_CONNECTION_TYPE, name, DP_CONNECTION_MODE_CHANNEL,
                                                owned_src_id),
                                 name, error);
}

/**
 * dp_remote_node_send_exit:
 * @self: a node
 *
 * Tells the node to exit at once (the seeds' `send-exit`).
 */
void
dp_remote_node_send_exit (DpRemoteNode *self)
{
  g_autoptr(DpSocketConnection) connection = NULL;

  g_return_if_fail (DP_IS_REMOTE_NODE (self));

  g_mutex_lock (&self->lock);
  if (self->connection != NULL)
    connection = g_object_ref (self->connection);
  g_mutex_unlock (&self->lock);

  if (connection != NULL)
    dp_socket_connection_send_control (connection, DP_FRAME_EXIT, 0, 0, NULL, NULL);
}

/**
 * dp_remote_node_get_first_place:
 * @self: a node
 *
 * Returns: (transfer none) (nullable): the first place launched there
 */
DpRemoteConnection *
dp_remote_node_get_first_place (DpRemoteNode *self)
{
  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  return self->first_place;
}

/**
 * dp_remote_node_get_first_place_channel:
 * @self: a node
 *
 * Returns: (transfer none) (nullable): the first place's channel
 */
DpChannel *
dp_remote_node_get_first_place_channel (DpRemoteNode *self)
{
  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  return self->first_place != NULL ? DP_CHANNEL (self->first_place) : NULL;
}

/* The seeds' functions. */

/**
 * dp_node_options_init:
 * @options: (out caller-allocates): options to fill with the defaults
 *
 * Sets @options to the seeds' defaults.
 */
void
dp_node_options_init (DpNodeOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->listen_port = 6340;
}

static DpRemoteNode *
new_node_from_options (const char          *hostname,
                       const DpNodeOptions *options)
{
  DpNodeOptions defaults;
  DpRemoteNode *node;

  if (options == NULL)
    {
      dp_node_options_init (&defaults);
      options = &defaults;
    }

  node = g_object_new (DP_TYPE_REMOTE_NODE,
                       "host", hostname,
                       "listen-port", options->listen_port,
                       "launcher", options->launcher,
                       "launch-path", options->launch_path,
                       "use-current-ports", options->use_current_ports,
                       "solo", options->solo,
                       "restart-on-exit", options->restart_on_exit,
                       NULL);
  if (options->launcher_object != NULL)
    dp_remote_node_set_launcher (node, options->launcher_object);
  return node;
}

/**
 * dp_spawn_remote_node:
 * @hostname: where to start the node
 * @options: (nullable): keyword options; %NULL for the defaults
 * @error: return location for a #GError
 *
 * Starts a node and connects to it (the seeds' `spawn-remote-racket-node`).
 *
 * Returns: (transfer full): the node, or %NULL with @error set
 */
DpRemoteNode *
dp_spawn_remote_node (const char           *hostname,
                      const DpNodeOptions  *options,
                      GError              **error)
{
  g_autoptr(DpRemoteNode) node = NULL;

  g_return_val_if_fail (hostname != NULL, NULL);

  node = new_node_from_options (hostname, options);
  if (!dp_remote_node_spawn (node, error))
    return NULL;
  return g_steal_pointer (&node);
}

/**
 * dp_create_place_node:
 * @hostname: where to start the node
 * @options: (nullable): keyword options; %NULL for the defaults
 * @error: return location for a #GError
 *
 * Like [func@Dp.spawn_remote_node], forwarding the node's output as it is
 * (the seeds' `create-place-node`, `#:use-current-ports #t`).
 *
 * Returns: (transfer full): the node, or %NULL with @error set
 */
DpRemoteNode *
dp_create_place_node (const char           *hostname,
                      const DpNodeOptions  *options,
                      GError              **error)
{
  g_autoptr(DpRemoteNode) node = NULL;

  g_return_val_if_fail (hostname != NULL, NULL);

  node = new_node_from_options (hostname, options);
  g_object_set (node, "use-current-ports", TRUE, NULL);
  if (!dp_remote_node_spawn (node, error))
    return NULL;
  return g_steal_pointer (&node);
}

static DpRemoteConnection *
launch_first_place (DpRemoteNode         *node,
                    const char           *module,
                    const char           *function,
                    const DpNodeOptions  *options,
                    GError              **error)
{
  DpRemoteConnection *place;

  place = dp_remote_node_launch_place (node,
                                       options != NULL && options->thunk ? DP_PLACE_EXEC_PLACE
                                                                         : DP_PLACE_EXEC_DYNAMIC_PLACE,
                                       module, function,
                                       options != NULL ? options->named : NULL,
                                       options != NULL ? options->backend : NULL, error);
  if (place != NULL && options != NULL && options->initial_message != NULL &&
      !dp_channel_put (DP_CHANNEL (place), options->initial_message, error))
    g_clear_object (&place);

  return place;
}

/**
 * dp_spawn_node_with_place_at:
 * @hostname: where to start the node
 * @module: a module on that node
 * @function: its place function (or thunk, with `options->thunk`)
 * @options: (nullable): keyword options
 * @error: return location for a #GError
 *
 * Starts a node with one place (the seeds' `spawn-node-with-place-at`).
 * Get the place with [method@Dp.RemoteNode.get_first_place].
 *
 * Returns: (transfer full): the node, or %NULL with @error set
 */
DpRemoteNode *
dp_spawn_node_with_place_at (const char           *hostname,
                             const char           *module,
                             const char           *function,
                             const DpNodeOptions  *options,
                             GError              **error)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;

  node = dp_spawn_remote_node (hostname, options, error);
  if (node == NULL)
    return NULL;
  place = launch_first_place (node, module, function, options, error);
  if (place == NULL)
    return NULL;
  return g_steal_pointer (&node);
}

/**
 * dp_spawn_node_supervise_place_at:
 * @hostname: where to start the node
 * @module: a module on that node
 * @function: its place function (or thunk, with `options->thunk`)
 * @options: (nullable): keyword options
 * @out_node: (out) (transfer full) (optional): the node
 * @out_place: (out) (transfer full) (optional): its place
 * @error: return location for a #GError
 *
 * Starts a node with one place and returns both (the seeds'
 * `spawn-node-supervise-place-at`).
 *
 * Returns: %TRUE on success
 */
gboolean
dp_spawn_node_supervise_place_at (const char           *hostname,
                                  const char           *module,
                                  const char           *function,
                                  const DpNodeOptions  *options,
                                  DpRemoteNode        **out_node,
                                  DpRemoteConnection  **out_place,
                                  GError              **error)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;

  node = dp_spawn_remote_node (hostname, options, error);
  if (node == NULL)
    return FALSE;
  place = launch_first_place (node, module, function, options, error);
  if (place == NULL)
    return FALSE;

  if (out_node != NULL)
    *out_node = g_steal_pointer (&node);
  if (out_place != NULL)
    *out_place = g_steal_pointer (&place);
  return TRUE;
}

/**
 * dp_supervise_place_at:
 * @node: a node
 * @module: a module on that node
 * @function: its place function, or thunk if @thunk
 * @named: (nullable): a name for the place
 * @thunk: @function makes the place itself
 * @error: return location for a #GError
 *
 * The seeds' `supervise-place-at`.
 *
 * Returns: (transfer full): the place, or %NULL with @error set
 */
DpRemoteConnection *
dp_supervise_place_at (DpRemoteNode  *node,
                       const char    *module,
                       const char    *function,
                       const char    *named,
                       gboolean       thunk,
                       GError       **error)
{
  return dp_remote_node_launch_place (node, thunk ? DP_PLACE_EXEC_PLACE : DP_PLACE_EXEC_DYNAMIC_PLACE,
                                      module, function, named, NULL, error);
}

/**
 * dp_dynamic_place_at:
 * @node: a node
 * @module: a module on that node
 * @function: its place function
 * @error: return location for a #GError
 *
 * The seeds' `dynamic-place #:at node`.
 *
 * Returns: (transfer full): the place, or %NULL with @error set
 */
DpRemoteConnection *
dp_dynamic_place_at (DpRemoteNode  *node,
                     const char    *module,
                     const char    *function,
                     GError       **error)
{
  return dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, module, function,
                                      NULL, NULL, error);
}

/**
 * dp_supervise_thread_at:
 * @node: a node
 * @module: a module on that node
 * @function: its place function
 * @error: return location for a #GError
 *
 * The seeds' `supervise-thread-at`: @function runs in a thread of the
 * node's process.
 *
 * Returns: (transfer full): the thread's channel, or %NULL with @error set
 */
DpRemoteConnection *
dp_supervise_thread_at (DpRemoteNode  *node,
                        const char    *module,
                        const char    *function,
                        GError       **error)
{
  return dp_remote_node_launch_place (node, DP_PLACE_EXEC_THREAD, module, function, NULL, NULL, error);
}

/**
 * dp_connect_to_named_place:
 * @node: a node
 * @name: a named place on it
 * @error: return location for a #GError
 *
 * The seeds' `connect-to-named-place`.
 *
 * Returns: (transfer full): the connection, or %NULL with @error set
 */
DpRemoteConnection *
dp_connect_to_named_place (DpRemoteNode  *node,
                           const char    *name,
                           GError       **error)
{
  return dp_remote_node_remote_connect (node, name, error);
}

/**
 * dp_node_send_exit:
 * @node: a node
 *
 * The seeds' `node-send-exit`.
 */
void
dp_node_send_exit (DpRemoteNode *node)
{
  dp_remote_node_send_exit (node);
}

/**
 * dp_node_get_first_place:
 * @node: a node
 *
 * The seeds' `node-get-first-place`.
 *
 * Returns: (transfer none) (nullable): its first place
 */
DpRemoteConnection *
dp_node_get_first_place (DpRemoteNode *node)
{
  return dp_remote_node_get_first_place (node);
}

typedef struct {
  char *hostname;
  DpNodeOptions options;
} SpawnRequest;

static void
spawn_request_free (SpawnRequest *request)
{
  g_free (request->hostname);
  g_free (request);
}

static void
spawn_node_thread (GTask        *task,
                   gpointer      source,
                   gpointer      data,
                   GCancellable *cancellable)
{
  SpawnRequest *request = data;
  GError *error = NULL;
  DpRemoteNode *node = dp_spawn_remote_node (request->hostname, &request->options, &error);

  if (node != NULL)
    g_task_return_pointer (task, node, g_object_unref);
  else
    g_task_return_error (task, error);
}

/**
 * dp_spawn_node_at_async:
 * @hostname: where to start the node
 * @options: (nullable): keyword options (copied; strings must outlive the
 *   call)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the node runs, or failed to
 * @user_data: data for @callback
 *
 * Spawns a node in the background (the seeds' `spawn-node-at`).
 */
void
dp_spawn_node_at_async (const char          *hostname,
                        const DpNodeOptions *options,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SpawnRequest *request = g_new0 (SpawnRequest, 1);

  request->hostname = g_strdup (hostname);
  if (options != NULL)
    request->options = *options;
  else
    dp_node_options_init (&request->options);
  g_task_set_source_tag (task, dp_spawn_node_at_async);
  g_task_set_task_data (task, request, (GDestroyNotify) spawn_request_free);
  g_task_run_in_thread (task, spawn_node_thread);
}

/**
 * dp_spawn_node_at_finish:
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the node, or %NULL with @error set
 */
DpRemoteNode *
dp_spawn_node_at_finish (GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  GMainLoop *loop;
  GPtrArray *nodes;
  GError *error;
  guint pending;
} JoinState;

static void
joined_one_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  JoinState *state = data;
  GError *error = NULL;
  DpRemoteNode *node = dp_spawn_node_at_finish (result, &error);

  if (node != NULL)
    g_ptr_array_add (state->nodes, node);
  else if (state->error == NULL)
    state->error = error;
  else
    g_error_free (error);

  if (--state->pending == 0)
    g_main_loop_quit (state->loop);
}

/**
 * dp_spawn_nodes_join:
 * @hostnames: (array zero-terminated=1): where to start nodes
 * @options: (nullable): keyword options for all of them
 * @error: return location for a #GError
 *
 * Spawns the nodes at once and waits for all (the seeds'
 * `spawn-nodes/join`).
 *
 * Returns: (transfer container) (element-type DpRemoteNode): the nodes, or
 *   %NULL with @error set if any failed
 */
GPtrArray *
dp_spawn_nodes_join (const char * const  *hostnames,
                     const DpNodeOptions *options,
                     GError             **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  JoinState state = { NULL, g_ptr_array_new_with_free_func (g_object_unref), NULL, 0 };

  g_return_val_if_fail (hostnames != NULL, NULL);

  g_main_context_push_thread_default (context);
  state.loop = g_main_loop_new (context, FALSE);
  for (guint i = 0; hostnames[i] != NULL; i++, state.pending++)
    dp_spawn_node_at_async (hostnames[i], options, NULL, joined_one_cb, &state);
  if (state.pending > 0)
    g_main_loop_run (state.loop);
  g_main_loop_unref (state.loop);
  g_main_context_pop_thread_default (context);

  if (state.error != NULL)
    {
      g_propagate_error (error, state.error);
      g_ptr_array_unref (state.nodes);
      return NULL;
    }
  return state.nodes;
}

/**
 * dp_ssh_bin_path:
 *
 * Returns: (transfer full): the ssh binary (the seeds' `ssh-bin-path`)
 */
char *
dp_ssh_bin_path (void)
{
  char *path = g_find_program_in_path ("ssh");

  return path != NULL ? path : g_strdup ("/usr/bin/ssh");
}

/**
 * dp_racket_path:
 *
 * Returns: (transfer full): the program running now (the seeds'
 *   `racket-path`)
 */
char *
dp_racket_path (void)
{
  char *path = g_file_read_link ("/proc/self/exe", NULL);

  return path != NULL ? path : dp_distributed_launch_path ();
}

/**
 * dp_build_distributed_launch_path:
 * @prefix: (nullable): an installation prefix, or %NULL for this one
 *
 * Returns: (transfer full): where `dplaces` is under @prefix (the seeds'
 *   `build-distributed-launch-path`)
 */
char *
dp_build_distributed_launch_path (const char *prefix)
{
  if (prefix == NULL)
    return dp_distributed_launch_path ();
  return g_build_filename (prefix, "bin", "dplaces", NULL);
}

/* Sends a router frame on the node's connection. */
gboolean
dp_remote_node_send_control (DpRemoteNode  *self,
                             guint          kind,
                             guint32        channel,
                             guint32        aux,
                             GVariant      *payload,
                             GError       **error)
{
  g_autoptr(DpSocketConnection) connection = NULL;
  g_autoptr(GVariant) owned = payload != NULL ? g_variant_ref_sink (payload) : NULL;

  g_mutex_lock (&self->lock);
  if (self->connection != NULL)
    connection = g_object_ref (self->connection);
  g_mutex_unlock (&self->lock);

  if (connection == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "Node %s:%u is not connected",
                   self->host, self->listen_port);
      return FALSE;
    }
  return dp_socket_connection_send_control (connection, kind, channel, aux, owned, error);
}
