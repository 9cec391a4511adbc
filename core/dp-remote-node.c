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
#include "dp-monitor.h"
#include "dp-node-private.h"
#include "dp-plugin-registry.h"
#include "dp-remote-connection-private.h"
#include "dp-remote-node-private.h"
#include "dp-restart-strategy.h"
#include "dp-socket-connection.h"
#include "dp-supervisor-private.h"
#include "dp-transport.h"
#include "dp-wire-private.h"
#include "dp-worker-private.h"

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
 *
 * With a restart strategy in [property@Dp.RemoteNode:restart-on-exit]
 * (the seeds' `remote-node%` `restart-on-exit`), a node this process
 * spawned is spawned again when it dies — when the launcher's session
 * ends —, on the same port, and every place launched on it is started
 * there again, each [class@Dp.RemoteConnection] talking to the new
 * instance; #DpRemoteNode::restarted says when. A node told to exit
 * ([method@Dp.RemoteNode.send_exit]) is not restarted.
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
  DpRemoteConnection *kept_first_place;  /* spawn_node_with_place_at's, held */
  gboolean died;

  /* Supervision of the node itself. */
  DpSupervisor *supervisor;
  gboolean restarting;            /* dead, and being spawned again */
  gboolean gone;                  /* dead for good */
  gboolean exit_sent;             /* we told it to exit: not a failure */
  GMutex relaunch_lock;           /* one relaunch of a place at a time */
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
  SIGNAL_RESTARTED,
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

static void connection_closed_cb (DpSocketConnection *connection,
                                  GError             *reason,
                                  gpointer            data);

/* The connection's callbacks run on the threads that read it, and may be
 * running while the node goes away: they hold it weakly. */
static GWeakRef *
weak_self (DpRemoteNode *self)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  g_weak_ref_init (weak, self);
  return weak;
}

static void
weak_self_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
weak_self_free_closure (gpointer  data,
                        GClosure *closure)
{
  weak_self_free (data);
}

/* Lets go of a connection: no more "closed" from it; its other callbacks
 * stay until it is finalized (one may be running), finding no node or a
 * node that has moved on to another connection. */
static void
release_connection (DpSocketConnection *connection)
{
  g_signal_handlers_disconnect_matched (connection, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                        connection_closed_cb, NULL);
  dp_socket_connection_close (connection, NULL);
}

static void
dp_remote_node_dispose (GObject *object)
{
  DpRemoteNode *self = DP_REMOTE_NODE (object);

  /* Nothing is left to hear from the node: no place on it is held. */
  if (self->connection != NULL)
    release_connection (self->connection);
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
  if (self->supervisor != NULL)
    dp_supervisor_stop (self->supervisor);
  g_clear_object (&self->supervisor);
  g_clear_object (&self->kept_first_place);
  g_clear_object (&self->process);
  g_clear_pointer (&self->creator_context, g_main_context_unref);
  g_hash_table_unref (self->places);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->relaunch_lock);

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
   * What to do when a node this process spawned dies: a
   * [iface@Dp.RestartStrategy] that decides whether, and when, to spawn
   * it again — on the same port, with its places — or %NULL to leave it
   * dead (the seeds' `remote-node%` `restart-on-exit`). Set it before
   * [method@Dp.RemoteNode.spawn].
   */
  properties[PROP_RESTART_ON_EXIT] =
    g_param_spec_object ("restart-on-exit", NULL, NULL, DP_TYPE_RESTART_STRATEGY,
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

  /**
   * DpRemoteNode::restarted:
   * @self: the node
   *
   * A node that died was spawned again by its restart strategy, and the
   * places launched on it were started there again. Emitted in the same
   * main context as #DpRemoteNode::died.
   */
  signals[SIGNAL_RESTARTED] =
    g_signal_new ("restarted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dp_remote_node_init (DpRemoteNode *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->relaunch_lock);
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
  g_autoptr(DpRemoteNode) self = g_weak_ref_get (data);

  if (self == NULL)
    return TRUE;

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
        /* Channel ids are the connection's: an earlier life's mean nothing. */
        place = connection == self->connection
                ? g_hash_table_lookup (self->places, GUINT_TO_POINTER (channel)) : NULL;
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
  g_autoptr(DpRemoteNode) self = g_weak_ref_get (data);
  DpSpawnedProcess *process;

  if (self == NULL)
    return g_error_copy (reason);
  process = self->process;

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

static GPtrArray *
dup_places_locked (DpRemoteNode *self)
{
  GPtrArray *places = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->places);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (places, g_object_ref (value));
  return places;
}

static void
connection_closed_cb (DpSocketConnection *connection,
                      GError             *reason,
                      gpointer            data)
{
  g_autoptr(DpRemoteNode) self = g_weak_ref_get (data);
  g_autoptr(GPtrArray) places = NULL;
  g_autoptr(DpSupervisor) supervisor = NULL;
  g_autoptr(DpSpawnedProcess) process = NULL;
  gboolean quietly;
  GPtrArray *args;

  if (self == NULL)
    return;

  g_mutex_lock (&self->lock);
  if (connection != self->connection)
    {
      /* An earlier life's connection. */
      g_mutex_unlock (&self->lock);
      return;
    }
  self->died = TRUE;
  places = dup_places_locked (self);
  quietly = self->exit_sent;
  /* Spawned again, unless we told it to exit or its strategy gave up. */
  if (self->supervisor != NULL && !quietly && !dp_supervisor_is_finished (self->supervisor))
    {
      supervisor = g_object_ref (self->supervisor);
      self->restarting = TRUE;
    }
  else
    self->gone = TRUE;
  process = self->process != NULL ? g_object_ref (self->process) : NULL;
  g_mutex_unlock (&self->lock);

  /* Places on a node that comes back wait for it; the others are lost. */
  for (guint i = 0; i < places->len; i++)
    dp_remote_connection_node_lost (g_ptr_array_index (places, i), reason->message,
                                    supervisor != NULL, quietly);

  g_debug ("%s", reason->message);
  {
    g_autofree char *node = g_strdup_printf ("%s:%u", self->host, self->listen_port);

    dp_monitor_emit (dp_monitor_get_default (), DP_MONITOR_EVENT_NODE_DOWN,
                     g_variant_new_parsed ("{'node': <%s>, 'reason': <%s>, 'restarting': <%b>}",
                                           node, reason->message, supervisor != NULL));
  }

  args = g_ptr_array_new ();
  g_ptr_array_add (args, g_object_ref (self));
  g_ptr_array_add (args, g_error_copy (reason));
  g_main_context_invoke_full (self->creator_context, G_PRIORITY_DEFAULT, emit_died_cb,
                              args, free_died_args);

  if (supervisor != NULL)
    {
      gboolean ended = process != NULL && dp_spawned_process_has_exited (process);

      dp_supervisor_exited (supervisor, ended ? dp_spawned_process_wait (process) : 1,
                            ended ? dp_spawned_process_get_exit_reason (process) : reason->message);
    }
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
  {
    g_autofree char *description = g_strdup_printf ("%s:%u", self->host, self->listen_port);
    dp_socket_connection_set_description (connection, description);
  }
  dp_socket_connection_set_control_handler (connection, remote_node_control_cb, weak_self (self),
                                            weak_self_free);
  dp_socket_connection_set_reason_func (connection, remote_node_reason_cb, weak_self (self),
                                        weak_self_free);
  g_signal_connect_data (connection, "closed", G_CALLBACK (connection_closed_cb), weak_self (self),
                         weak_self_free_closure, 0);

  g_mutex_lock (&self->lock);
  self->stream = g_steal_pointer (&stream);
  self->connection = g_object_ref (connection);
  self->died = FALSE;
  g_mutex_unlock (&self->lock);

  dp_socket_connection_start (connection);

  {
    g_autofree char *node = g_strdup_printf ("%s:%u", self->host, self->listen_port);
    GVariantDict details;

    g_variant_dict_init (&details, NULL);
    g_variant_dict_insert (&details, "node", "s", node);
    if (self->process != NULL)
      g_variant_dict_insert (&details, "pid", "i", (gint32) dp_spawned_process_get_pid (self->process));
    dp_monitor_emit (dp_monitor_get_default (), DP_MONITOR_EVENT_NODE_UP, g_variant_dict_end (&details));
  }
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
static gboolean spawn_process_and_connect (DpRemoteNode  *self,
                                           GError       **error);
static void      supervise_node            (DpRemoteNode  *self);

gboolean
dp_remote_node_spawn (DpRemoteNode  *self,
                      GError       **error)
{
  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), FALSE);
  g_return_val_if_fail (self->process == NULL, FALSE);

  if (!spawn_process_and_connect (self, error))
    return FALSE;
  supervise_node (self);
  return TRUE;
}

/* Starts the node's process, waits until it listens, connects and becomes
 * its owner: a first spawn, or a respawn of a node that died. */
static gboolean
spawn_process_and_connect (DpRemoteNode  *self,
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
  {
    DpSpawnedProcess *process = dp_spawned_process_new ((const char * const *) argv,
                                                        self->use_current_ports ? NULL : prefix,
                                                        input, error);
    if (process == NULL)
      return FALSE;
    g_mutex_lock (&self->lock);
    self->process = process;
    g_mutex_unlock (&self->lock);
  }

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

/* Supervision of the node: spawning it again, with its places. */

static gboolean
emit_restarted_cb (gpointer data)
{
  g_signal_emit (data, signals[SIGNAL_RESTARTED], 0);
  return G_SOURCE_REMOVE;
}

/* Starts @place again on the node's current connection, if it is down and
 * can be started again. Serialized per node: the place's own supervisor
 * and the node's restart may both try. @delay: how long the supervisor
 * that restarts it (the place's, or the node's) waited, for the event. */
static gboolean
relaunch_on (DpRemoteNode        *self,
             DpSocketConnection  *connection,
             DpRemoteConnection  *place,
             gdouble              delay,
             GError             **error)
{
  g_autoptr(GVariant) request = NULL;
  g_autoptr(DpPlaceChannel) endpoint = NULL;
  g_autoptr(DpSupervisor) supervisor = NULL;
  gboolean ok;
  guint kind = 0;
  guint32 id;

  g_mutex_lock (&self->relaunch_lock);
  request = dp_remote_connection_dup_request (place, &kind);
  if (request == NULL || !dp_remote_connection_is_down (place))
    {
      /* Ended for good, or running already. */
      g_mutex_unlock (&self->relaunch_lock);
      return TRUE;
    }

  endpoint = dp_socket_connection_open_new_channel (connection, &id);
  dp_remote_connection_replace_endpoint (place, endpoint, id);
  g_mutex_lock (&self->lock);
  g_hash_table_insert (self->places, GUINT_TO_POINTER (id), place);
  g_mutex_unlock (&self->lock);

  supervisor = dp_remote_connection_dup_supervisor (place);
  if (supervisor != NULL)
    dp_supervisor_started (supervisor);
  /* Lent, not given: the payload is (transfer floating), and ours is not
   * floating, so sending it sinks a reference of its own. */
  ok = dp_socket_connection_send_control (connection, kind, id, 0, request, error);
  if (ok)
    {
      g_autoptr(GVariant) initial = dp_remote_connection_dup_initial_message (place);
      g_autoptr(GError) put_error = NULL;

      /* Right behind the request, as for the first instance. */
      if (initial != NULL && !dp_channel_put (DP_CHANNEL (place), initial, &put_error))
        g_message ("Cannot put the initial message to a place started again: %s", put_error->message);
    }
  g_mutex_unlock (&self->relaunch_lock);

  if (ok)
    dp_remote_connection_emit (place, DP_MONITOR_EVENT_PLACE_RESTART,
                               g_variant_new_parsed ("{'restarts': <%u>, 'delay': <%d>}",
                                                     dp_remote_connection_get_restarts (place),
                                                     delay));
  g_debug ("place %s started again on %s:%u (channel %u)",
           dp_remote_connection_get_name (place) != NULL ? dp_remote_connection_get_name (place) : "",
           self->host, self->listen_port, id);
  return ok;
}

/* Starts a place that ended again on its node (its restart strategy said
 * so). Fails with DP_ERROR_PEER_DIED if the node is gone for good; does
 * nothing while the node itself is being restarted, which starts the
 * place again anyway. */
gboolean
dp_remote_node_relaunch_place (DpRemoteNode        *self,
                               DpRemoteConnection  *place,
                               GError             **error)
{
  g_autoptr(DpSocketConnection) connection = NULL;
  g_autoptr(DpSupervisor) supervisor = NULL;

  g_mutex_lock (&self->lock);
  if (self->restarting)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  if (self->gone || self->connection == NULL || self->died)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "Node %s:%u is gone", self->host,
                   self->listen_port);
      return FALSE;
    }
  connection = g_object_ref (self->connection);
  g_mutex_unlock (&self->lock);

  supervisor = dp_remote_connection_dup_supervisor (place);
  return relaunch_on (self, connection, place,
                      supervisor != NULL ? dp_supervisor_get_delay (supervisor) : 0, error);
}

/* A thread: spawning blocks (it waits for the node to say it is ready,
 * which the worker thread reads), so not on the worker. */
static gpointer
respawn_thread (gpointer data)
{
  DpRemoteNode *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DpSpawnedProcess) old_process = NULL;
  g_autoptr(DpSocketConnection) old_connection = NULL;
  g_autoptr(GSocketConnection) old_stream = NULL;
  g_autoptr(DpSupervisor) supervisor = NULL;
  g_autoptr(GPtrArray) places = NULL;
  g_autoptr(DpSocketConnection) connection = NULL;

  g_mutex_lock (&self->lock);
  old_process = g_steal_pointer (&self->process);
  old_connection = g_steal_pointer (&self->connection);
  old_stream = g_steal_pointer (&self->stream);
  supervisor = self->supervisor != NULL ? g_object_ref (self->supervisor) : NULL;
  g_mutex_unlock (&self->lock);

  if (supervisor == NULL || dp_supervisor_is_finished (supervisor))
    goto out;

  /* What is left of the old node: its connection, its process (an ssh
   * session may outlive the connection: end it, as Racket does). */
  if (old_connection != NULL)
    release_connection (old_connection);
  if (old_process != NULL && !dp_spawned_process_has_exited (old_process))
    {
      dp_spawned_process_kill (old_process);
      dp_spawned_process_wait_timeout (old_process, 5000);
    }

  g_message ("spawning node %s:%u again", self->host, self->listen_port);
  if (!spawn_process_and_connect (self, &error))
    {
      dp_supervisor_exited (supervisor, 1, error->message);
      goto out;
    }

  /* Its places, on the new connection, in the order they were launched. */
  g_mutex_lock (&self->lock);
  places = dup_places_locked (self);
  g_hash_table_remove_all (self->places);
  connection = self->connection != NULL ? g_object_ref (self->connection) : NULL;
  self->restarting = FALSE;
  g_mutex_unlock (&self->lock);

  g_ptr_array_sort (places, dp_remote_connection_compare_launch);
  for (guint i = 0; i < places->len && connection != NULL; i++)
    {
      g_autoptr(GError) launch_error = NULL;

      if (!relaunch_on (self, connection, g_ptr_array_index (places, i),
                        dp_supervisor_get_delay (supervisor), &launch_error))
        g_message ("Cannot start a place again on %s:%u: %s", self->host, self->listen_port,
                   launch_error->message);
    }

  dp_supervisor_started (supervisor);
  {
    g_autofree char *node = g_strdup_printf ("%s:%u", self->host, self->listen_port);

    dp_monitor_emit (dp_monitor_get_default (), DP_MONITOR_EVENT_NODE_RESTART,
                     g_variant_new_parsed ("{'node': <%s>, 'restarts': <%u>, 'delay': <%d>}", node,
                                           dp_supervisor_get_restarts (supervisor),
                                           dp_supervisor_get_delay (supervisor)));
  }
  g_main_context_invoke_full (self->creator_context, G_PRIORITY_DEFAULT, emit_restarted_cb,
                              g_object_ref (self), g_object_unref);

out:
  g_object_unref (self);
  return NULL;
}

static void
node_supervisor_start_cb (DpSupervisor *supervisor,
                          GObject      *owner,
                          gpointer      data)
{
  g_thread_unref (g_thread_new ("dp-respawn", respawn_thread, g_object_ref (owner)));
}

/* The node's strategy stopped or gave up: it stays dead, and so do its
 * places. */
static void
node_supervisor_done_cb (DpSupervisor        *supervisor,
                         GObject             *owner,
                         DpRestartDecision    decision,
                         const DpRestartInfo *info,
                         gpointer             data)
{
  DpRemoteNode *self = DP_REMOTE_NODE (owner);
  g_autoptr(GPtrArray) places = NULL;

  g_mutex_lock (&self->lock);
  self->restarting = FALSE;
  self->gone = TRUE;
  places = dup_places_locked (self);
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < places->len; i++)
    dp_remote_connection_node_lost (g_ptr_array_index (places, i), info->exit_reason, FALSE, FALSE);
}

static void
supervise_node (DpRemoteNode *self)
{
  g_autofree char *name = NULL;
  DpSupervisor *supervisor;

  if (self->restart_on_exit == NULL || self->supervisor != NULL)
    return;

  name = g_strdup_printf ("node %s:%u", self->host, self->listen_port);
  supervisor = dp_supervisor_new (DP_RESTART_STRATEGY (self->restart_on_exit), name,
                                  dp_worker_context (), G_OBJECT (self),
                                  node_supervisor_start_cb, node_supervisor_done_cb, NULL, NULL);
  g_mutex_lock (&self->lock);
  self->supervisor = supervisor;
  g_mutex_unlock (&self->lock);
  dp_supervisor_started (supervisor);
}

/* A place's own supervision (launch-place #:restart-on-exit). */

static void
place_supervisor_start_cb (DpSupervisor *supervisor,
                           GObject      *owner,
                           gpointer      data)
{
  DpRemoteConnection *place = DP_REMOTE_CONNECTION (owner);
  g_autoptr(GError) error = NULL;

  if (dp_remote_node_relaunch_place (dp_remote_connection_get_node (place), place, &error))
    return;
  if (g_error_matches (error, DP_ERROR, DP_ERROR_PEER_DIED))
    dp_supervisor_give_up (supervisor, error->message);
  else
    dp_supervisor_exited (supervisor, 1, error->message);
}

static void
place_supervisor_done_cb (DpSupervisor        *supervisor,
                          GObject             *owner,
                          DpRestartDecision    decision,
                          const DpRestartInfo *info,
                          gpointer             data)
{
  dp_remote_connection_finish (DP_REMOTE_CONNECTION (owner), info->exit_status, info->exit_reason);
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

static DpSocketConnection *
dup_live_connection (DpRemoteNode  *self,
                     GError       **error)
{
  DpSocketConnection *connection = NULL;

  g_mutex_lock (&self->lock);
  if (self->connection != NULL && !self->died)
    connection = g_object_ref (self->connection);
  g_mutex_unlock (&self->lock);

  if (connection == NULL)
    g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "Node %s:%u is not connected",
                 self->host, self->listen_port);
  return connection;
}

static DpRemoteConnection *
open_remote_connection (DpRemoteNode       *self,
                        guint               kind,
                        GVariant           *request,
                        const char         *name,
                        DpRestartStrategy  *restart_on_exit,
                        GError            **error)
{
  g_autoptr(GVariant) owned_request = g_variant_ref_sink (request);
  g_autoptr(DpPlaceChannel) endpoint = NULL;
  g_autoptr(DpSocketConnection) connection = NULL;
  DpRemoteConnection *place;
  guint32 id;

  connection = dup_live_connection (self, error);
  if (connection == NULL)
    return NULL;

  endpoint = dp_socket_connection_open_new_channel (connection, &id);
  place = dp_remote_connection_new (self, endpoint, id, name);
  if (kind == DP_FRAME_NEW_PLACE)
    dp_remote_connection_set_request (place, kind, owned_request);

  /* Supervised from the start: a death right behind the request counts. */
  if (restart_on_exit != NULL)
    {
      g_autofree char *child = NULL;
      g_autoptr(DpSupervisor) supervisor = NULL;
      const char *module = NULL, *function = NULL;

      g_variant_get_child (owned_request, 1, "&s", &module);
      g_variant_get_child (owned_request, 2, "&s", &function);
      child = name != NULL ? g_strdup_printf ("place %s on %s:%u", name, self->host, self->listen_port)
                           : g_strdup_printf ("place %s:%s on %s:%u", module, function, self->host,
                                              self->listen_port);
      supervisor = dp_supervisor_new (restart_on_exit, child, dp_worker_context (), G_OBJECT (place),
                                      place_supervisor_start_cb, place_supervisor_done_cb, NULL, NULL);
      dp_remote_connection_set_supervisor (place, supervisor);
      dp_supervisor_started (supervisor);
    }

  g_mutex_lock (&self->lock);
  g_hash_table_insert (self->places, GUINT_TO_POINTER (id), place);
  g_mutex_unlock (&self->lock);
  /* The place holds the node, so the node outlives this notification. */
  g_object_weak_ref (G_OBJECT (place), forget_place, self);

  if (!dp_socket_connection_send_control (connection, kind, id, 0, owned_request, error))
    {
      g_autoptr(DpSupervisor) supervisor = dp_remote_connection_dup_supervisor (place);

      if (supervisor != NULL)
        dp_supervisor_stop (supervisor);
      g_object_unref (place);
      return NULL;
    }

  if (kind == DP_FRAME_NEW_PLACE)
    {
      const char *backend = "";

      g_variant_get_child (owned_request, 4, "&s", &backend);
      dp_remote_connection_emit (place, DP_MONITOR_EVENT_PLACE_START,
                                 g_variant_new_parsed ("{'backend': <%s>}",
                                                       backend[0] != '\0' ? backend : "threads"));
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
  return dp_remote_node_launch_place_full (self, exec, module, function, named, backend, NULL, error);
}

/**
 * dp_remote_node_launch_place_full:
 * @self: a connected node
 * @exec: how to start the place
 * @module: a module on that node
 * @function: its exported function
 * @named: (nullable): a name, for a named place others connect to
 * @backend: (nullable): the place backend there; %NULL for threads
 * @restart_on_exit: (nullable): a restart strategy, or %NULL
 * @error: return location for a #GError
 *
 * [method@Dp.RemoteNode.launch_place] with the seeds' `#:restart-on-exit`:
 * when the place ends, @restart_on_exit decides whether and when this
 * process starts it again on the node — a named place under its name, so
 * that new connections to the name reach the new instance. The result
 * then stays the channel to the place, whichever instance runs; it and the
 * supervision live until the strategy gives up (or stops) or the node is
 * gone for good, even if you drop it. The strategy's decisions and
 * #DpRestartStrategy::gave-up run on the library's worker thread.
 *
 * Returns: (transfer full): the place, or %NULL with @error set when the
 *   node cannot be reached
 */
DpRemoteConnection *
dp_remote_node_launch_place_full (DpRemoteNode       *self,
                                  DpPlaceExec         exec,
                                  const char         *module,
                                  const char         *function,
                                  const char         *named,
                                  const char         *backend,
                                  DpRestartStrategy  *restart_on_exit,
                                  GError            **error)
{
  DpRemoteConnection *place;

  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  g_return_val_if_fail (module != NULL && function != NULL, NULL);
  g_return_val_if_fail (restart_on_exit == NULL || DP_IS_RESTART_STRATEGY (restart_on_exit), NULL);

  place = open_remote_connection (self, DP_FRAME_NEW_PLACE,
                                  g_variant_new (DP_NEW_PLACE_TYPE, (guint32) exec, module, function,
                                                 named != NULL ? named : "",
                                                 backend != NULL ? backend : ""),
                                  named, restart_on_exit, error);
  if (place == NULL)
    return NULL;

  g_mutex_lock (&self->lock);
  /* Weak: the place holds its node. */
  if (self->first_place == NULL)
    g_set_weak_pointer (&self->first_place, place);
  g_mutex_unlock (&self->lock);

  /* A name resolves from anywhere once this returns, not only through
   * this connection. If the node is gone, the place's first get says so. */
  if (named != NULL)
    {
      g_autoptr(GError) sync_error = NULL;

      if (!dp_remote_node_sync (self, &sync_error))
        g_debug ("Launched %s without its acknowledgement: %s", named, sync_error->message);
    }
  return place;
}

/**
 * dp_remote_node_sync:
 * @self: a connected node
 * @error: return location for a #GError
 *
 * Waits until the node has handled every request sent to it before: the
 * places launched on it have started, and the named ones answer to their
 * names from any node. [method@Dp.RemoteNode.launch_place] does this
 * itself for a named place.
 *
 * Returns: %TRUE, or %FALSE with @error set if the node went away
 */
gboolean
dp_remote_node_sync (DpRemoteNode  *self,
                     GError       **error)
{
  g_autoptr(DpSocketConnection) connection = NULL;
  g_autoptr(DpPlaceChannel) endpoint = NULL;
  g_autoptr(GVariant) answer = NULL;
  guint32 id;

  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  connection = dup_live_connection (self, error);
  if (connection == NULL)
    return FALSE;

  endpoint = dp_socket_connection_open_new_channel (connection, &id);
  if (dp_socket_connection_send_control (connection, DP_FRAME_SYNC, id, 0, NULL, error))
    answer = dp_channel_get (DP_CHANNEL (endpoint), error);
  dp_channel_close (DP_CHANNEL (endpoint));
  return answer != NULL;
}

/**
 * dp_remote_node_query_status:
 * @self: a connected node
 * @timeout_usec: how long to wait for the answer, in microseconds;
 *   negative waits as long as the node lives
 * @error: return location for a #GError
 *
 * Asks the node for its status — what [method@Dp.Node.dup_status]
 * answers there: its places with their traffic, its connections, its
 * jobs. Blocks until the answer comes: call it from a thread that may
 * wait, not from a loop.
 *
 * Returns: (transfer full): the status, an `a{sv}`, or %NULL with @error
 *   set when the node is gone or did not answer in time
 *   (%DP_ERROR_TIMED_OUT)
 */
GVariant *
dp_remote_node_query_status (DpRemoteNode  *self,
                             gint64         timeout_usec,
                             GError       **error)
{
  g_autoptr(DpSocketConnection) connection = NULL;
  g_autoptr(DpPlaceChannel) endpoint = NULL;
  g_autoptr(GVariant) answer = NULL;
  guint32 id;

  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  connection = dup_live_connection (self, error);
  if (connection == NULL)
    return NULL;

  endpoint = dp_socket_connection_open_new_channel (connection, &id);
  if (dp_socket_connection_send_control (connection, DP_FRAME_STATUS, id, 0, NULL, error))
    {
      GError *local_error = NULL;

      answer = dp_channel_get_timeout (DP_CHANNEL (endpoint), timeout_usec, &local_error);
      if (answer == NULL && local_error == NULL)
        local_error = g_error_new (DP_ERROR, DP_ERROR_TIMED_OUT, "Node %s:%u did not answer in time",
                                   self->host, self->listen_port);
      if (local_error != NULL)
        g_propagate_error (error, local_error);
    }
  dp_channel_close (DP_CHANNEL (endpoint));

  if (answer != NULL && !g_variant_is_of_type (answer, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "Node %s:%u answered the status request with a %s",
                   self->host, self->listen_port, g_variant_get_type_string (answer));
      return NULL;
    }
  return g_steal_pointer (&answer);
}

/**
 * dp_remote_node_get_restarts:
 * @self: a node
 *
 * Returns: how many times the node was spawned again after it died (see
 *   [property@Dp.RemoteNode:restart-on-exit])
 */
guint
dp_remote_node_get_restarts (DpRemoteNode *self)
{
  g_autoptr(DpSupervisor) supervisor = NULL;

  g_return_val_if_fail (DP_IS_REMOTE_NODE (self), 0);

  g_mutex_lock (&self->lock);
  supervisor = self->supervisor != NULL ? g_object_ref (self->supervisor) : NULL;
  g_mutex_unlock (&self->lock);
  return supervisor != NULL ? dp_supervisor_get_restarts (supervisor) : 0;
}

/**
 * dp_remote_node_remote_connect:
 * @self: a connected node
 * @name: the name of a named place on it
 * @error: return location for a #GError
 *
 * Connects to a named place (the seeds' `remote-connect`). If there is no
 * such place, the node refuses the connection: the first get on the
 * result fails with %DP_ERROR_NOT_FOUND saying so, and so does a put once
 * the refusal has come (a put made before went out, and the node dropped
 * it).
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
                                 name, NULL, error);
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
 * first get on the result fails with %DP_ERROR_NOT_FOUND saying so, as
 * with [method@Dp.RemoteNode.remote_connect].
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
                                 name, NULL, error);
}

/**
 * dp_remote_node_send_exit:
 * @self: a node
 *
 * Tells the node to exit at once (the seeds' `send-exit`). A node told to
 * exit is not restarted, nor are its places.
 */
void
dp_remote_node_send_exit (DpRemoteNode *self)
{
  g_autoptr(DpSocketConnection) connection = NULL;

  g_return_if_fail (DP_IS_REMOTE_NODE (self));

  g_mutex_lock (&self->lock);
  self->exit_sent = TRUE;
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
                       "restart-on-exit", options->node_restart_on_exit,
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

  g_return_val_if_fail (options == NULL || options->restart_on_exit == NULL ||
                        DP_IS_RESTART_STRATEGY (options->restart_on_exit), NULL);

  place = dp_remote_node_launch_place_full (node,
                                            options != NULL && options->thunk ? DP_PLACE_EXEC_PLACE
                                                                              : DP_PLACE_EXEC_DYNAMIC_PLACE,
                                            module, function,
                                            options != NULL ? options->named : NULL,
                                            options != NULL ? options->backend : NULL,
                                            options != NULL ? (DpRestartStrategy *) options->restart_on_exit
                                                            : NULL,
                                            error);
  if (place != NULL && options != NULL && options->initial_message != NULL)
    {
      /* Put to every instance, if it is supervised. */
      dp_remote_connection_set_initial_message (place, options->initial_message);
      if (!dp_channel_put (DP_CHANNEL (place), options->initial_message, error))
        g_clear_object (&place);
    }

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
 * Get the place with [method@Dp.RemoteNode.get_first_place]: the node
 * keeps it. `options->restart_on_exit` supervises the place, as the seeds'
 * `#:restart-on-exit` does; `options->node_restart_on_exit` the node.
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
  /* The node is all the caller gets: it holds the place for them. */
  g_mutex_lock (&node->lock);
  g_set_object (&node->kept_first_place, place);
  g_mutex_unlock (&node->lock);
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
 * `spawn-node-supervise-place-at`). `options->restart_on_exit` supervises
 * the place, `options->node_restart_on_exit` the node.
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
 * The seeds' `supervise-place-at`, without `#:restart-on-exit`: see
 * [func@Dp.supervise_place_at_full].
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
  return dp_supervise_place_at_full (node, module, function, named, thunk, NULL, error);
}

/**
 * dp_supervise_place_at_full:
 * @node: a node
 * @module: a module on that node
 * @function: its place function, or thunk if @thunk
 * @named: (nullable): a name for the place
 * @thunk: @function makes the place itself
 * @restart_on_exit: (nullable): a restart strategy (the seeds'
 *   `#:restart-on-exit`): `always` for `#t`, [func@Dp.restart_every]…
 * @error: return location for a #GError
 *
 * The seeds' `supervise-place-at`: starts a place on @node and, with
 * @restart_on_exit, starts it again there when it ends, as the strategy
 * says (see [method@Dp.RemoteNode.launch_place_full]).
 *
 * Returns: (transfer full): the place, or %NULL with @error set
 */
DpRemoteConnection *
dp_supervise_place_at_full (DpRemoteNode       *node,
                            const char         *module,
                            const char         *function,
                            const char         *named,
                            gboolean            thunk,
                            DpRestartStrategy  *restart_on_exit,
                            GError            **error)
{
  return dp_remote_node_launch_place_full (node, thunk ? DP_PLACE_EXEC_PLACE : DP_PLACE_EXEC_DYNAMIC_PLACE,
                                           module, function, named, NULL, restart_on_exit, error);
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
 * node's process. See [func@Dp.supervise_thread_at_full] to restart it.
 *
 * Returns: (transfer full): the thread's channel, or %NULL with @error set
 */
DpRemoteConnection *
dp_supervise_thread_at (DpRemoteNode  *node,
                        const char    *module,
                        const char    *function,
                        GError       **error)
{
  return dp_supervise_thread_at_full (node, module, function, NULL, error);
}

/**
 * dp_supervise_thread_at_full:
 * @node: a node
 * @module: a module on that node
 * @function: its place function
 * @restart_on_exit: (nullable): a restart strategy (the seeds'
 *   `#:restart-on-exit`)
 * @error: return location for a #GError
 *
 * The seeds' `supervise-thread-at` with `#:restart-on-exit`: @function
 * runs in a thread of the node's process, and, with @restart_on_exit, in a
 * new thread there each time it returns, as the strategy says.
 *
 * Returns: (transfer full): the thread's channel, or %NULL with @error set
 */
DpRemoteConnection *
dp_supervise_thread_at_full (DpRemoteNode       *node,
                             const char         *module,
                             const char         *function,
                             DpRestartStrategy  *restart_on_exit,
                             GError            **error)
{
  return dp_remote_node_launch_place_full (node, DP_PLACE_EXEC_THREAD, module, function, NULL, NULL,
                                           restart_on_exit, error);
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
  DpRemoteNode **nodes;
  GError *error;
  guint pending;
} Spawning;

typedef struct {
  Spawning *spawning;
  guint index;
} SpawnSlot;

static void
spawned_one_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  SpawnSlot *slot = data;
  Spawning *spawning = slot->spawning;
  GError *error = NULL;

  spawning->nodes[slot->index] = dp_spawn_node_at_finish (result, &error);
  if (error != NULL && spawning->error == NULL)
    spawning->error = error;
  else
    g_clear_error (&error);
  if (--spawning->pending == 0)
    g_main_loop_quit (spawning->loop);
  g_free (slot);
}

/* Spawns node i at @hosts[i] with @options[i], all at once, and waits for
 * all: the nodes in order, or %NULL with the first failure in @error and
 * the nodes that did start told to exit. */
static GPtrArray *
spawn_nodes_concurrently (const char * const  *hosts,
                          const DpNodeOptions *options,
                          guint                n_nodes,
                          GError             **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_full (n_nodes, g_object_unref);
  Spawning spawning = { NULL, NULL, NULL, n_nodes };

  spawning.nodes = g_new0 (DpRemoteNode *, MAX (n_nodes, 1));
  g_main_context_push_thread_default (context);
  spawning.loop = g_main_loop_new (context, FALSE);
  for (guint i = 0; i < n_nodes; i++)
    {
      SpawnSlot *slot = g_new (SpawnSlot, 1);

      slot->spawning = &spawning;
      slot->index = i;
      dp_spawn_node_at_async (hosts[i], &options[i], NULL, spawned_one_cb, slot);
    }
  if (n_nodes > 0)
    g_main_loop_run (spawning.loop);
  g_main_loop_unref (spawning.loop);
  g_main_context_pop_thread_default (context);

  for (guint i = 0; i < n_nodes; i++)
    if (spawning.nodes[i] != NULL)
      {
        if (spawning.error != NULL)
          dp_remote_node_send_exit (spawning.nodes[i]);
        g_ptr_array_add (nodes, spawning.nodes[i]);
      }
  g_free (spawning.nodes);
  if (spawning.error != NULL)
    {
      g_propagate_error (error, spawning.error);
      return NULL;
    }
  return g_steal_pointer (&nodes);
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
 * Returns: (transfer container) (element-type DpRemoteNode): the nodes, in
 *   the order of @hostnames, or %NULL with @error set if any failed (those
 *   that started are told to exit)
 */
GPtrArray *
dp_spawn_nodes_join (const char * const  *hostnames,
                     const DpNodeOptions *options,
                     GError             **error)
{
  g_autofree DpNodeOptions *node_options = NULL;
  guint n_nodes;

  g_return_val_if_fail (hostnames != NULL, NULL);

  n_nodes = g_strv_length ((char **) hostnames);
  node_options = g_new (DpNodeOptions, MAX (n_nodes, 1));
  for (guint i = 0; i < n_nodes; i++)
    if (options != NULL)
      node_options[i] = *options;
    else
      dp_node_options_init (&node_options[i]);
  return spawn_nodes_concurrently (hostnames, node_options, n_nodes, error);
}

/**
 * dp_node_address_parse:
 * @address: a node's address: `HOST:PORT`, `[IPV6]:PORT`, `HOST`, or an
 *   IPv6 address alone
 * @default_port: the port of an address that gives none
 * @out_host: (out) (transfer full): the host
 * @out_port: (out): the port; 0 lets the node pick one
 * @error: return location for a #GError
 *
 * Takes a node's address apart: an entry of the seeds' config lists
 * (`(list host port)`), written as one string, as the frameworks' worker
 * lists and keyfile keys take them.
 *
 * Returns: %TRUE, or %FALSE with @error set (%DP_ERROR_INVALID_MESSAGE)
 *   if @address is not one
 */
gboolean
dp_node_address_parse (const char  *address,
                       guint        default_port,
                       char       **out_host,
                       guint       *out_port,
                       GError     **error)
{
  const char *colon;
  guint64 port = default_port;
  g_autofree char *host = NULL;

  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (out_host != NULL && out_port != NULL, FALSE);

  colon = strrchr (address, ':');
  if (address[0] == '[')
    {
      const char *close = strchr (address, ']');

      if (close == NULL || (close[1] != '\0' && close[1] != ':'))
        goto bad;
      host = g_strndup (address + 1, close - address - 1);
      colon = close[1] == ':' ? close + 1 : NULL;
    }
  else if (colon != NULL && strchr (address, ':') != colon)
    {
      host = g_strdup (address);      /* an IPv6 address alone */
      colon = NULL;
    }
  else
    host = colon != NULL ? g_strndup (address, colon - address) : g_strdup (address);

  if (colon != NULL && !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    goto bad;
  if (host[0] == '\0')
    goto bad;

  *out_host = g_steal_pointer (&host);
  *out_port = (guint) port;
  return TRUE;

bad:
  g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
               "“%s” is not a node address: expected HOST:PORT (port 0: any)", address);
  return FALSE;
}

/**
 * dp_spawn_nodes_at:
 * @addresses: (array zero-terminated=1): where to start nodes, as
 *   [func@Dp.node_address_parse] reads them; port 0 lets each node pick
 *   its own, and an address with a nonzero port given twice is one node
 * @options: (nullable): how to spawn them (launcher, solo, …): the port
 *   of each comes from its address, @options' `listen_port` being the
 *   port of an address that gives none; %NULL for the defaults
 * @error: return location for a #GError
 *
 * Spawns a node for each distinct address at once and waits for all, as
 * the seeds' `make-map-reduce-workers` and `make-ndp-group` do with
 * their config lists.
 *
 * Returns: (transfer container) (element-type DpRemoteNode): a node for
 *   each address, in order (one node twice for an address given twice),
 *   or %NULL with @error set if an address is not one or a node did not
 *   start (the nodes that did are told to exit)
 */
GPtrArray *
dp_spawn_nodes_at (const char * const  *addresses,
                   const DpNodeOptions *options,
                   GError             **error)
{
  g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) node_options = g_array_new (FALSE, FALSE, sizeof (DpNodeOptions));
  g_autoptr(GPtrArray) nodes = NULL;
  g_autofree guint *node_of = NULL;
  GPtrArray *per_address;
  DpNodeOptions defaults;
  guint n_addresses;

  g_return_val_if_fail (addresses != NULL, NULL);

  if (options == NULL)
    {
      dp_node_options_init (&defaults);
      options = &defaults;
    }

  /* Which node each address is: a new one, unless the same host and
   * (nonzero) port came before. */
  n_addresses = g_strv_length ((char **) addresses);
  node_of = g_new (guint, MAX (n_addresses, 1));
  for (guint i = 0; i < n_addresses; i++)
    {
      g_autofree char *host = NULL;
      guint port;

      if (!dp_node_address_parse (addresses[i], options->listen_port, &host, &port, error))
        return NULL;
      node_of[i] = hosts->len;
      for (guint j = 0; j < hosts->len; j++)
        if (port != 0 && g_array_index (node_options, DpNodeOptions, j).listen_port == port &&
            g_str_equal (g_ptr_array_index (hosts, j), host))
          node_of[i] = j;
      if (node_of[i] == hosts->len)
        {
          DpNodeOptions one = *options;

          one.listen_port = port;
          g_ptr_array_add (hosts, g_steal_pointer (&host));
          g_array_append_val (node_options, one);
        }
    }

  nodes = spawn_nodes_concurrently ((const char * const *) hosts->pdata,
                                    (const DpNodeOptions *) node_options->data, hosts->len, error);
  if (nodes == NULL)
    return NULL;
  per_address = g_ptr_array_new_full (n_addresses, g_object_unref);
  for (guint i = 0; i < n_addresses; i++)
    g_ptr_array_add (per_address, g_object_ref (g_ptr_array_index (nodes, node_of[i])));
  return per_address;
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
