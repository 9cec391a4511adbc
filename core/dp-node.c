/* dp-node.c: a node and its message router
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-node"

#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "dp-auth-private.h"
#include "dp-connection.h"
#include "dp-error.h"
#include "dp-monitor.h"
#include "dp-node-private.h"
#include "dp-remote-node-private.h"
#include "dp-place-private.h"
#include "dp-place-channel-private.h"
#include "dp-plugin-registry.h"
#include "dp-relay-private.h"
#include "dp-remote-connection-private.h"
#include "dp-socket-connection-private.h"
#include "dp-transport.h"
#include "dp-wire-private.h"
#include "dp-worker-private.h"

/**
 * DpNode:
 *
 * A node: an OS process's message router (the seeds' `node%`). It runs a
 * [struct@GLib.MainLoop] on its own [struct@GLib.MainContext] and waits
 * there on the sources of every [iface@Dp.EventContainer] added to it:
 * timers, places, connections. It keeps the places started on it, by name
 * when they are named.
 *
 * Once it listens ([method@Dp.Node.listen]) it is reachable by other
 * nodes: they authenticate with the shared cookie, then ask it to start
 * places (which it bridges to their channels without a thread in
 * between), to connect them to named places, to log, or to exit. The
 * connection that spawned it is its *owner*: logs go there, and when it
 * goes away the node exits.
 *
 * Every process has a default node ([func@Dp.node_get_default]): the one
 * `dplaces node` or `dplaces run` runs, or one made on first use.
 */

struct _DpNode
{
  GObject parent_instance;

  guint listen_port;
  GMainContext *context;
  GMainLoop *loop;
  GPtrArray *containers;      /* DpEventContainer* */

  GMutex lock;
  GPtrArray *places;          /* DpPlace* */
  GHashTable *named_places;   /* name → DpPlace* */
  gint exit_status;
  gboolean exit_requested;

  DpTransport *transport;     /* when listening */
  GPtrArray *incoming;        /* DpSocketConnection* that connected to us */
  GHashTable *peers;          /* "host:port" → DpRemoteNode* we connected to */
  GPtrArray *spawned;         /* DpRemoteNode* we spawned */
  DpSocketConnection *owner;
  GHashTable *named_connections; /* DpSocketConnection* → GPtrArray of DpConnection* */
  gint64 created;             /* wall clock, for the status */

  /* Only in the node's context. */
  GQueue handshakes;          /* PendingHandshake*, oldest first */
  gint64 refusal_second;
  guint refusals_logged;      /* in refusal_second */
  guint refusals_unlogged;    /* since the last one logged */
};

/* Connections authenticating at once; past this, the oldest gives up: a
 * flood of connections that say nothing cannot hold a legitimate peer out
 * for the handshake's timeout, nor take every descriptor. */
#define MAX_PENDING_HANDSHAKES 128

/* Refused connections logged per second at most; the rest are counted. */
#define REFUSALS_LOGGED_PER_SECOND 5

/* On a place started for a peer: (peer, channel id) — which channel of
 * which connection it is bound to, for the status. */
static GQuark bound_quark;

enum {
  PROP_0,
  PROP_LISTEN_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GMutex default_lock;
static DpNode *default_node;

G_DEFINE_FINAL_TYPE (DpNode, dp_node, G_TYPE_OBJECT)

static void
dp_node_finalize (GObject *object)
{
  DpNode *self = DP_NODE (object);

  if (self->transport != NULL)
    dp_transport_stop (self->transport);
  g_clear_object (&self->transport);
  g_ptr_array_unref (self->incoming);
  g_hash_table_unref (self->peers);
  g_ptr_array_unref (self->spawned);
  g_hash_table_unref (self->named_connections);
  g_clear_object (&self->owner);
  g_ptr_array_unref (self->containers);
  g_ptr_array_unref (self->places);
  g_hash_table_unref (self->named_places);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_node_parent_class)->finalize (object);
}

static void
dp_node_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  DpNode *self = DP_NODE (object);

  switch (prop_id)
    {
    case PROP_LISTEN_PORT:
      g_value_set_uint (value, self->listen_port);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_node_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  DpNode *self = DP_NODE (object);

  switch (prop_id)
    {
    case PROP_LISTEN_PORT:
      self->listen_port = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_node_class_init (DpNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  bound_quark = g_quark_from_static_string ("dp-node-bound-to");

  object_class->finalize = dp_node_finalize;
  object_class->get_property = dp_node_get_property;
  object_class->set_property = dp_node_set_property;

  /**
   * DpNode:listen-port:
   *
   * The TCP port the node's router listens on for other nodes; 0 before
   * [method@Dp.Node.listen] picks one, or for a node that does not listen.
   * Set it before [method@Dp.Node.listen] (a keyfile's `[dplaces]
   * listen-port=` does).
   */
  properties[PROP_LISTEN_PORT] =
    g_param_spec_uint ("listen-port", NULL, NULL, 0, 65535, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_node_init (DpNode *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->containers = g_ptr_array_new_with_free_func (g_object_unref);
  self->places = g_ptr_array_new_with_free_func (g_object_unref);
  self->named_places = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->incoming = g_ptr_array_new_with_free_func (g_object_unref);
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->spawned = g_ptr_array_new_with_free_func (g_object_unref);
  self->named_connections = g_hash_table_new_full (NULL, NULL, g_object_unref,
                                                   (GDestroyNotify) g_ptr_array_unref);
  self->created = g_get_real_time ();
  g_queue_init (&self->handshakes);
}

/**
 * dp_node_new:
 * @listen_port: the port to listen on for other nodes, or 0
 *
 * Returns: (transfer full): a new node (the seeds' `new node%`)
 */
DpNode *
dp_node_new (guint listen_port)
{
  g_return_val_if_fail (listen_port <= 65535, NULL);

  return g_object_new (DP_TYPE_NODE, "listen-port", listen_port, NULL);
}

/**
 * dp_node_get_default:
 *
 * Returns: (transfer none): this process's node, made on first use
 */
DpNode *
dp_node_get_default (void)
{
  DpNode *node;

  g_mutex_lock (&default_lock);
  if (default_node == NULL)
    default_node = dp_node_new (0);
  node = default_node;
  g_mutex_unlock (&default_lock);

  return node;
}

/**
 * dp_node_set_default:
 * @node: the node this process runs
 *
 * Makes @node the process's node: requests from other nodes, logs and
 * connections from places go through it.
 */
void
dp_node_set_default (DpNode *node)
{
  g_return_if_fail (DP_IS_NODE (node));

  g_mutex_lock (&default_lock);
  g_set_object (&default_node, node);
  g_mutex_unlock (&default_lock);
}

guint
dp_node_get_listen_port (DpNode *self)
{
  g_return_val_if_fail (DP_IS_NODE (self), 0);
  return self->listen_port;
}

/**
 * dp_node_get_context:
 * @self: a node
 *
 * Returns: (transfer none): the main context the node's loop runs
 */
GMainContext *
dp_node_get_context (DpNode *self)
{
  g_return_val_if_fail (DP_IS_NODE (self), NULL);
  return self->context;
}

static void
register_container (DpNode           *self,
                    DpEventContainer *container)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);

  dp_event_container_register (container, events);
  for (guint i = 0; i < events->len; i++)
    g_source_attach (g_ptr_array_index (events, i), self->context);
}

/**
 * dp_node_add:
 * @self: a node
 * @container: an event container
 *
 * Adds @container to the events @self waits on. It registers its sources
 * when the loop starts, or at once if the loop runs already. Call it from
 * the thread that runs the loop.
 */
void
dp_node_add (DpNode           *self,
             DpEventContainer *container)
{
  g_return_if_fail (DP_IS_NODE (self));
  g_return_if_fail (DP_IS_EVENT_CONTAINER (container));

  g_ptr_array_add (self->containers, g_object_ref (container));
  if (g_main_loop_is_running (self->loop))
    register_container (self, container);
}

/**
 * dp_node_sync_events:
 * @self: a node
 *
 * Runs the node's loop — the seeds' `sync-events` — until
 * [method@Dp.Node.exit] is called. The node's context is the thread
 * default meanwhile, so places started from its callbacks report there.
 *
 * Returns: the status given to [method@Dp.Node.exit]
 */
gint
dp_node_sync_events (DpNode *self)
{
  gboolean exit_requested;

  g_return_val_if_fail (DP_IS_NODE (self), 1);

  g_main_context_push_thread_default (self->context);

  /* Containers register here, so timers count from the start of the loop. */
  for (guint i = 0; i < self->containers->len; i++)
    register_container (self, g_ptr_array_index (self->containers, i));

  g_mutex_lock (&self->lock);
  exit_requested = self->exit_requested;
  g_mutex_unlock (&self->lock);
  if (!exit_requested)
    g_main_loop_run (self->loop);

  g_main_context_pop_thread_default (self->context);

  return self->exit_status;
}

static GPtrArray *
copy_objects (GPtrArray *array)
{
  GPtrArray *copy = g_ptr_array_new_full (array->len, g_object_unref);

  for (guint i = 0; i < array->len; i++)
    g_ptr_array_add (copy, g_object_ref (g_ptr_array_index (array, i)));
  return copy;
}

static gboolean
quit_cb (gpointer data)
{
  DpNode *self = data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

/**
 * dp_node_exit:
 * @self: a node
 * @status: the status [method@Dp.Node.sync_events] returns
 *
 * Stops the node's loop, and tells the nodes it spawned to exit too. Safe
 * from any thread; the first status wins.
 */
void
dp_node_exit (DpNode *self,
              gint    status)
{
  g_autoptr(GPtrArray) spawned = NULL;

  g_return_if_fail (DP_IS_NODE (self));

  g_mutex_lock (&self->lock);
  if (self->exit_requested)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->exit_requested = TRUE;
  self->exit_status = status;
  spawned = copy_objects (self->spawned);
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < spawned->len; i++)
    dp_remote_node_send_exit (g_ptr_array_index (spawned, i));

  g_main_context_invoke_full (self->context, G_PRIORITY_HIGH, quit_cb,
                              g_object_ref (self), g_object_unref);
}

gboolean
dp_node_is_running (DpNode *self)
{
  g_return_val_if_fail (DP_IS_NODE (self), FALSE);
  return g_main_loop_is_running (self->loop);
}

/**
 * dp_node_add_place:
 * @self: a node
 * @place: a place running on this node
 * @name: (nullable): its public name, or %NULL for a private place
 *
 * Keeps @place on @self; a named place can be found by its name, and
 * other nodes can connect to it.
 */
void
dp_node_add_place (DpNode     *self,
                   DpPlace    *place,
                   const char *name)
{
  g_return_if_fail (DP_IS_NODE (self));
  g_return_if_fail (DP_IS_PLACE (place));

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->places, g_object_ref (place));
  if (name != NULL)
    g_hash_table_replace (self->named_places, g_strdup (name), g_object_ref (place));
  g_mutex_unlock (&self->lock);
}

/* Forgets @place: a place that ended and will not be heard of again, or
 * one a supervisor replaced. Its name goes only if it still names it. */
void
dp_node_remove_place (DpNode  *self,
                      DpPlace *place)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (DP_IS_NODE (self));
  g_return_if_fail (DP_IS_PLACE (place));

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->named_places);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value == place)
      g_hash_table_iter_remove (&iter);
  g_ptr_array_remove (self->places, place);
  g_mutex_unlock (&self->lock);
}

/**
 * dp_node_lookup_place:
 * @self: a node
 * @name: a place name
 *
 * Returns: (transfer full) (nullable): the named place, or %NULL
 */
DpPlace *
dp_node_lookup_place (DpNode     *self,
                      const char *name)
{
  DpPlace *place;

  g_return_val_if_fail (DP_IS_NODE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  g_mutex_lock (&self->lock);
  place = g_hash_table_lookup (self->named_places, name);
  if (place != NULL)
    g_object_ref (place);
  g_mutex_unlock (&self->lock);

  return place;
}

/**
 * dp_node_list_places:
 * @self: a node
 *
 * Returns: (transfer container) (element-type DpPlace): the places on
 *   @self
 */
GPtrArray *
dp_node_list_places (DpNode *self)
{
  GPtrArray *places;

  g_return_val_if_fail (DP_IS_NODE (self), NULL);

  g_mutex_lock (&self->lock);
  places = copy_objects (self->places);
  g_mutex_unlock (&self->lock);

  return places;
}

/**
 * dp_node_list_spawned_nodes:
 * @self: a node
 *
 * Returns: (transfer container) (element-type DpRemoteNode): the nodes
 *   @self spawned
 */
GPtrArray *
dp_node_list_spawned_nodes (DpNode *self)
{
  GPtrArray *nodes;

  g_return_val_if_fail (DP_IS_NODE (self), NULL);

  g_mutex_lock (&self->lock);
  nodes = copy_objects (self->spawned);
  g_mutex_unlock (&self->lock);

  return nodes;
}

/* What a node calls itself to others: host:port, or host/pid when it
 * does not listen. */
static char *
describe_node (DpNode *self)
{
  if (self->listen_port != 0)
    return g_strdup_printf ("%s:%u", g_get_host_name (), self->listen_port);
  return g_strdup_printf ("%s/%d", g_get_host_name (), (int) getpid ());
}

static GVariant *
place_status (DpNode  *self,
              DpPlace *place)
{
  DpChannelCounters counters;
  GVariant *bound = g_object_get_qdata (G_OBJECT (place), bound_quark);
  const char *backend = dp_place_get_backend_name (place);
  const char *reason = dp_place_get_exit_reason (place);
  gboolean exited = dp_place_has_exited (place);
  gboolean named;
  GVariantDict dict;

  g_mutex_lock (&self->lock);
  named = dp_place_get_name (place) != NULL &&
          g_hash_table_lookup (self->named_places, dp_place_get_name (place)) == place;
  g_mutex_unlock (&self->lock);

  /* What the place's code got and put, on any channel — or, when its code
   * runs in another process, its channel seen from its creator's end:
   * what the creator put is what the place got. */
  dp_place_channel_get_counters (dp_channel_get_endpoint (DP_CHANNEL (place)), &counters);
  {
    guint64 n_got, bytes_got, n_put, bytes_put;

    if (dp_place_get_traffic (place, &n_got, &bytes_got, &n_put, &bytes_put))
      {
        counters.messages_out = n_got;
        counters.bytes_out = bytes_got;
        counters.messages_in = n_put;
        counters.bytes_in = bytes_put;
      }
  }

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", dp_place_get_name (place) != NULL ? dp_place_get_name (place) : "");
  g_variant_dict_insert (&dict, "module", "s", dp_place_get_module (place) != NULL ? dp_place_get_module (place) : "");
  g_variant_dict_insert (&dict, "function", "s", dp_place_get_function (place) != NULL ? dp_place_get_function (place) : "");
  g_variant_dict_insert (&dict, "backend", "s", backend != NULL ? backend : "threads");
  g_variant_dict_insert (&dict, "named", "b", named);
  g_variant_dict_insert (&dict, "running", "b", !exited);
  if (exited)
    {
      g_variant_dict_insert (&dict, "exit-status", "i", dp_place_get_exit_status (place));
      g_variant_dict_insert (&dict, "exit-reason", "s", reason != NULL ? reason : "");
    }
  g_variant_dict_insert (&dict, "messages-in", "t", counters.messages_out);
  g_variant_dict_insert (&dict, "bytes-in", "t", counters.bytes_out);
  g_variant_dict_insert (&dict, "messages-out", "t", counters.messages_in);
  g_variant_dict_insert (&dict, "bytes-out", "t", counters.bytes_in);
  g_variant_dict_insert (&dict, "queue", "u", counters.peer_queued);
  g_variant_dict_insert (&dict, "backlog", "u", counters.queued);
  if (bound != NULL)
    {
      const char *peer;
      guint32 channel;

      g_variant_get (bound, "(&su)", &peer, &channel);
      g_variant_dict_insert (&dict, "launched-by", "s", peer);
      g_variant_dict_insert (&dict, "channel", "u", channel);
    }
  return g_variant_dict_end (&dict);
}

/**
 * dp_node_dup_status:
 * @self: a node
 *
 * What the node's process holds and does, for a control plane: the
 * answer to another node's status request ([method@Dp.RemoteNode.query_status])
 * and what the `http` plugin shows. Safe from any thread. An `a{sv}`:
 *
 * - `name` (s): how the node calls itself to others, `host:port` (or
 *   `host/pid` when it does not listen); `host` (s), `listen-port` (u),
 *   `pid` (u), `started` (x: wall-clock microseconds)
 * - `places` (aa{sv}): its places — `name`, `module`, `function`,
 *   `backend` (s), `named`, `running` (b), `exit-status` (i) and
 *   `exit-reason` (s) once ended; its traffic (t): `messages-in` (what
 *   the place's code got, on any channel), `messages-out` (what it put),
 *   `bytes-in`, `bytes-out` (their serialized size, for the messages that
 *   crossed a process: inside one a message is passed by reference) — for
 *   a place whose code runs in another process (the `processes` backend),
 *   what crossed its own channel, counted at its creator's end;
 *   `queue` (u: messages waiting for the place, for places of this
 *   process), `backlog` (u: messages from the place its creator has not
 *   read); for a place started for another node, `launched-by` (s: that
 *   node's name) and `channel` (u: the channel id it is bound to there)
 * - `connections` (aa{sv}): the process's live socket connections, to
 *   other nodes and to processes places — `peer`, `transport` (s),
 *   `frames-in`, `messages-in`, `bytes-in` and the same `-out` (t),
 *   `queue` (u: frames waiting for the writer), `queue-bytes` (t),
 *   `channels` (u), `waiting-puts` (u: puts waiting for their channel's
 *   receiver to consume), `credit-waits` (t: puts that ever waited so)
 * - `named-connections` (u): the connections to this node's named places
 *   that it holds for clients on other nodes (one per client connection;
 *   one whose client left is let go of at the next request)
 * - `jobs` (aa{sv}): the long jobs run here ([method@Dp.Monitor.dup_jobs])
 *
 * Returns: (transfer full): the status
 */
GVariant *
dp_node_dup_status (DpNode *self)
{
  g_autoptr(GPtrArray) places = NULL;
  g_autoptr(GPtrArray) connections = NULL;
  g_autofree char *name = NULL;
  GVariantBuilder list;
  GVariantDict dict;

  g_return_val_if_fail (DP_IS_NODE (self), NULL);

  name = describe_node (self);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", name);
  g_variant_dict_insert (&dict, "host", "s", g_get_host_name ());
  g_variant_dict_insert (&dict, "listen-port", "u", self->listen_port);
  g_variant_dict_insert (&dict, "pid", "u", (guint32) getpid ());
  g_variant_dict_insert (&dict, "started", "x", self->created);

  places = dp_node_list_places (self);
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < places->len; i++)
    g_variant_builder_add_value (&list, place_status (self, g_ptr_array_index (places, i)));
  g_variant_dict_insert_value (&dict, "places", g_variant_builder_end (&list));

  connections = dp_socket_connection_list_all ();
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < connections->len; i++)
    {
      g_autoptr(GVariant) status = dp_socket_connection_dup_status (g_ptr_array_index (connections, i));
      gboolean closed = FALSE;

      g_variant_lookup (status, "closed", "b", &closed);
      if (!closed)
        g_variant_builder_add_value (&list, status);
    }
  g_variant_dict_insert_value (&dict, "connections", g_variant_builder_end (&list));

  {
    GHashTableIter iter;
    gpointer kept;
    guint n = 0;

    g_mutex_lock (&self->lock);
    g_hash_table_iter_init (&iter, self->named_connections);
    while (g_hash_table_iter_next (&iter, NULL, &kept))
      n += ((GPtrArray *) kept)->len;
    g_mutex_unlock (&self->lock);
    g_variant_dict_insert (&dict, "named-connections", "u", n);
  }

  {
    g_autoptr(GVariant) jobs = dp_monitor_dup_jobs (dp_monitor_get_default ());
    g_variant_dict_insert_value (&dict, "jobs", jobs);
  }
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/* Identity. */

/* How this process calls itself to other nodes. */
char *
dp_node_describe_self (void)
{
  return describe_node (dp_node_get_default ());
}

/* Logging to the root. */

static const char *const severity_names[] = { "fatal", "error", "warning", "info", "debug" };

/* A place's log line is news at the root, not a bug in this process: it
 * never becomes a GLib critical or error, which would abort the root under
 * G_DEBUG=fatal-criticals. Info and debug are hidden unless
 * G_MESSAGES_DEBUG asks for them, as Racket hides them unless PLTSTDERR
 * does. */
static GLogLevelFlags
severity_level (const char *severity)
{
  if (g_strcmp0 (severity, "debug") == 0)
    return G_LOG_LEVEL_DEBUG;
  if (g_strcmp0 (severity, "info") == 0)
    return G_LOG_LEVEL_INFO;
  return G_LOG_LEVEL_WARNING;
}

/* A log line for the root: pass it up to our owner, or, at the root, log
 * it with the prefix of the node it came from. */
void
dp_node_log_from_child (const char *severity,
                        const char *message,
                        const char *prefix)
{
  DpNode *node = dp_node_get_default ();
  g_autoptr(DpSocketConnection) owner = NULL;
  g_autofree char *line = prefix != NULL ? g_strdup_printf ("%s: %s", prefix, message)
                                         : g_strdup (message);

  g_mutex_lock (&node->lock);
  if (node->owner != NULL && !dp_socket_connection_is_closed (node->owner))
    owner = g_object_ref (node->owner);
  g_mutex_unlock (&node->lock);

  if (owner != NULL &&
      dp_socket_connection_send_control (owner, DP_FRAME_LOG, 0, 0,
                                         g_variant_new (DP_LOG_TYPE, severity, line), NULL))
    return;

  /* Fatal and error say so in the line: they are logged as warnings. */
  if (g_strcmp0 (severity, "fatal") == 0 || g_strcmp0 (severity, "error") == 0)
    g_log_structured ("dplaces", severity_level (severity), "DPLACES_SEVERITY", severity,
                      "MESSAGE", "%s: %s", severity, line);
  else
    g_log_structured ("dplaces", severity_level (severity), "DPLACES_SEVERITY", severity,
                      "MESSAGE", "%s", line);
}

/* A place of the processes backend: the connection to its creator. */
static DpSocketConnection *parent_connection;

/**
 * dp_node_set_parent_connection:
 * @connection: (nullable): the connection to the process that created this
 *   one, or %NULL
 *
 * Says that this process is a place of another process — a child of the
 * `processes` backend, with no node and no cookie of its own — and
 * @connection the way to its creator. [func@Dp.log_message] and
 * [func@Dp.connect_to_named_place_at] then ask the creator, which answers
 * with [func@Dp.Node.handle_child_request]. For place backends; the
 * `processes` backend calls it in its child.
 */
void
dp_node_set_parent_connection (DpSocketConnection *connection)
{
  g_return_if_fail (connection == NULL || DP_IS_SOCKET_CONNECTION (connection));

  g_mutex_lock (&default_lock);
  g_set_object (&parent_connection, connection);
  g_mutex_unlock (&default_lock);
}

static DpSocketConnection *
dup_parent_connection (void)
{
  DpSocketConnection *connection = NULL;

  g_mutex_lock (&default_lock);
  if (parent_connection != NULL && !dp_socket_connection_is_closed (parent_connection))
    connection = g_object_ref (parent_connection);
  g_mutex_unlock (&default_lock);

  return connection;
}

/* A log line on its way to the root: up to our creator if we are a
 * processes place, else as dp_node_log_from_child() does. */
static void
log_upwards (const char *severity,
             const char *message,
             const char *prefix)
{
  g_autoptr(DpSocketConnection) parent = dup_parent_connection ();

  if (parent != NULL)
    {
      g_autofree char *line = prefix != NULL ? g_strdup_printf ("%s: %s", prefix, message)
                                             : g_strdup (message);

      if (dp_socket_connection_send_control (parent, DP_FRAME_LOG, 0, 0,
                                             g_variant_new (DP_LOG_TYPE, severity, line), NULL))
        return;
    }

  dp_node_log_from_child (severity, message, prefix);
}

/**
 * dp_log_message:
 * @severity: how grave
 * @message: the text
 *
 * Logs @message at the root node (the seeds' `log-message`): a place on
 * any node calls it, the root prints it. In a place of the `processes`
 * backend the line goes to the place's creator first, which passes it
 * on, prefixed with `place NAME`.
 */
void
dp_log_message (DpLogSeverity  severity,
                const char    *message)
{
  g_return_if_fail (severity <= DP_LOG_DEBUG);
  g_return_if_fail (message != NULL);

  log_upwards (severity_names[severity], message, NULL);
}

typedef struct {
  DpPlaceChannel *channel;   /* our end of what is bound to the child's channel */
  char *host;
  guint16 port;
  char *name;
} ChildConnect;

static gpointer
child_connect_thread (gpointer data)
{
  ChildConnect *request = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteConnection) remote = NULL;

  remote = dp_connect_to_named_place_at (request->host, request->port, request->name, &error);
  if (remote == NULL)
    dp_place_channel_close_with_reason (request->channel, error);
  else
    {
      /* The relay keeps itself until one side closes. */
      DpRelay *relay = dp_relay_new (DP_CHANNEL (request->channel), DP_CHANNEL (remote),
                                     dp_worker_context ());
      dp_relay_unref (relay);
    }

  g_object_unref (request->channel);
  g_free (request->host);
  g_free (request->name);
  g_free (request);
  return NULL;
}

/**
 * dp_node_handle_child_request:
 * @connection: the connection to a place of this process that runs in a
 *   process of its own
 * @kind: the frame kind
 * @channel: the channel id it names, or 0
 * @aux: the frame's kind-specific number
 * @payload: (nullable): the frame's message
 * @prefix: (nullable): what to put in front of the place's log lines, such
 *   as `place NAME`
 *
 * Serves what a child place asks its creator, as a
 * [callback@Dp.SocketConnectionControlFunc] of the creator's end would: a
 * log line for the root (passed on, prefixed with @prefix), or a
 * connection to a named place on some node, which this process makes — it
 * has the node and the cookie the child lacks — and relays to the channel
 * the child opened. For place backends; see
 * [func@Dp.Node.set_parent_connection] for the child's side.
 *
 * Returns: %FALSE if @kind is not such a request (or is malformed): the
 *   connection then closes
 */
gboolean
dp_node_handle_child_request (DpSocketConnection *connection,
                              guint               kind,
                              guint32             channel,
                              guint32             aux,
                              GVariant           *payload,
                              const char         *prefix)
{
  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (connection), FALSE);

  switch (kind)
    {
    case DP_FRAME_LOG:
      {
        const char *severity, *text;

        if (payload == NULL || !g_variant_is_of_type (payload, G_VARIANT_TYPE (DP_LOG_TYPE)))
          return FALSE;
        g_variant_get (payload, "(&s&s)", &severity, &text);
        log_upwards (severity, text, prefix);
        return TRUE;
      }

    case DP_FRAME_CONNECT_TO:
      {
        g_autoptr(DpPlaceChannel) child_end = NULL;
        g_autoptr(DpPlaceChannel) our_end = NULL;
        g_autoptr(GError) error = NULL;
        ChildConnect *request;
        const char *host, *name;
        guint16 port;

        if (payload == NULL || !g_variant_is_of_type (payload, G_VARIANT_TYPE (DP_CONNECT_TO_TYPE)) ||
            channel == 0)
          return FALSE;
        g_variant_get (payload, "(&sq&s)", &host, &port, &name);

        /* Bound now, on the reading thread: what the child puts right
         * behind its request waits here until the connection is made. */
        dp_place_channel_new_pair (&child_end, &our_end);
        if (!dp_socket_connection_bind_channel (connection, channel, child_end, &error))
          return FALSE;

        /* Connecting blocks: not on the reading thread. */
        request = g_new0 (ChildConnect, 1);
        request->channel = g_steal_pointer (&our_end);
        request->host = g_strdup (host);
        request->port = port;
        request->name = g_strdup (name);
        g_thread_unref (g_thread_new ("dp-child-connect", child_connect_thread, request));
        return TRUE;
      }

    default:
      return FALSE;
    }
}

/* Other nodes. */

static char *
peer_key (const char *host,
          guint       port)
{
  return g_strdup_printf ("%s:%u", host, port);
}

/**
 * dp_node_connect_to:
 * @self: a node
 * @host: another node's host
 * @port: its port
 * @error: return location for a #GError
 *
 * Returns the connection to the node at @host:@port, connecting once.
 *
 * Returns: (transfer full): the node, or %NULL with @error set
 */
DpRemoteNode *
dp_node_connect_to (DpNode      *self,
                    const char  *host,
                    guint        port,
                    GError     **error)
{
  g_autofree char *key = peer_key (host, port);
  g_autoptr(DpRemoteNode) peer = NULL;

  g_return_val_if_fail (DP_IS_NODE (self), NULL);

  g_mutex_lock (&self->lock);
  peer = g_hash_table_lookup (self->peers, key);
  if (peer != NULL && dp_remote_node_is_alive (peer))
    g_object_ref (peer);
  else
    peer = NULL;
  g_mutex_unlock (&self->lock);

  if (peer != NULL)
    return g_steal_pointer (&peer);

  peer = g_object_new (DP_TYPE_REMOTE_NODE, "host", host, "listen-port", port,
                       "retry-times", 3, "delay", 0.2, NULL);
  if (!dp_remote_node_connect (peer, error))
    return NULL;

  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->peers, g_steal_pointer (&key), g_object_ref (peer));
  g_mutex_unlock (&self->lock);

  return g_steal_pointer (&peer);
}

/**
 * dp_connect_to_named_place_at:
 * @host: the node's host
 * @port: its port
 * @name: a named place there
 * @error: return location for a #GError
 *
 * Connects to a named place by address, from anywhere — a place on any
 * node included (the seeds' `mr-connect-to` and
 * `send-new-place-channel-to-named-dest`, without the message router
 * channel). In a place of the `processes` backend, the place's creator
 * connects and relays: then a node that cannot be reached shows as the
 * first get failing, with the reason. A node that has no place by that
 * name refuses the connection: the first get fails with
 * %DP_ERROR_NOT_FOUND, as with [method@Dp.RemoteNode.remote_connect].
 *
 * Returns: (transfer full): the connection, or %NULL with @error set
 */
DpRemoteConnection *
dp_connect_to_named_place_at (const char  *host,
                              guint        port,
                              const char  *name,
                              GError     **error)
{
  g_autoptr(DpRemoteNode) peer = NULL;
  g_autoptr(DpSocketConnection) parent = NULL;

  g_return_val_if_fail (host != NULL && name != NULL, NULL);
  g_return_val_if_fail (port <= 65535, NULL);

  /* A processes place has no node and no cookie: its creator connects for
   * it, and relays. An unreachable node then shows at the first get. */
  parent = dup_parent_connection ();
  if (parent != NULL)
    {
      g_autoptr(DpPlaceChannel) endpoint = NULL;
      guint32 id;

      endpoint = dp_socket_connection_open_new_channel (parent, &id);
      if (!dp_socket_connection_send_control (parent, DP_FRAME_CONNECT_TO, id, 0,
                                              g_variant_new (DP_CONNECT_TO_TYPE, host, (guint16) port, name),
                                              error))
        return NULL;
      peer = dp_remote_node_new (host, port);
      return dp_remote_connection_new (peer, endpoint, id, name);
    }

  peer = dp_node_connect_to (dp_node_get_default (), host, port, error);
  if (peer == NULL)
    return NULL;
  return dp_remote_node_remote_connect (peer, name, error);
}

/* The mesh: every node of a system knows every other. */
void
dp_node_add_spawned_node (DpNode       *self,
                          DpRemoteNode *node)
{
  g_autoptr(GPtrArray) others = NULL;
  gboolean solo = FALSE;

  g_object_get (node, "solo", &solo, NULL);

  g_mutex_lock (&self->lock);
  others = copy_objects (self->spawned);
  /* A node spawned again after it died is in the list already. */
  g_ptr_array_remove (others, node);
  if (!g_ptr_array_find (self->spawned, node, NULL))
    g_ptr_array_add (self->spawned, g_object_ref (node));
  g_hash_table_replace (self->peers,
                        peer_key (dp_remote_node_get_host (node), dp_remote_node_get_listen_port (node)),
                        g_object_ref (node));
  g_mutex_unlock (&self->lock);

  if (solo)
    return;

  /* Introduce the newcomer to the others: it connects to each. */
  for (guint i = 0; i < others->len; i++)
    {
      DpRemoteNode *other = g_ptr_array_index (others, i);
      gboolean other_solo = FALSE;

      g_object_get (other, "solo", &other_solo, NULL);
      if (other_solo || !dp_remote_node_is_alive (other))
        continue;
      dp_remote_node_send_control (node, DP_FRAME_NEW_NODE, 0, 0,
                                   g_variant_new (DP_NEW_NODE_TYPE, dp_remote_node_get_host (other),
                                                  (guint16) dp_remote_node_get_listen_port (other),
                                                  FALSE),
                                   NULL);
    }
}

/* Requests from other nodes. They are handled on the thread that reads
 * the connection, in order: a message for a place that a NEW_PLACE just
 * before it starts finds the place bound. */

typedef struct {
  DpNode *node;
  DpPlace *place;
  DpSocketConnection *connection;
  guint32 channel;
} PlaceBinding;

static void
place_binding_free (PlaceBinding *binding)
{
  g_object_unref (binding->node);
  g_object_unref (binding->place);
  g_object_unref (binding->connection);
  g_free (binding);
}

/* On the node's loop: a place started for a peer ended. Its name, if it
 * has one, is free again (a supervisor on the peer's side may start it
 * again under the same name), and then the peer hears of it: whoever
 * learns that the place ended and connects to its name is told there is
 * no such place (DP_ERROR_NOT_FOUND), not handed the dead one. */
static void
bound_place_waited_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      data)
{
  PlaceBinding *binding = data;
  DpPlace *place = DP_PLACE (object);
  gint status = dp_place_wait_finish (place, result, NULL);
  const char *reason = dp_place_get_exit_reason (place);

  dp_node_remove_place (binding->node, place);
  dp_socket_connection_send_control (binding->connection, DP_FRAME_PLACE_DIED, binding->channel, 0,
                                     g_variant_new (DP_PLACE_DIED_TYPE, status,
                                                    reason != NULL ? reason : ""),
                                     NULL);
  place_binding_free (binding);
}

/* On the node's loop: wait for the place there. Waited for rather than
 * its "exited" signal, which a place that ends at once may emit before a
 * handler is connected. */
static gboolean
wait_for_bound_place_cb (gpointer data)
{
  PlaceBinding *binding = data;

  dp_place_wait_async (binding->place, NULL, bound_place_waited_cb, binding);
  return G_SOURCE_REMOVE;
}

/* The requester's end of @channel fails with @reason, its code included
 * (a missing place is DP_ERROR_NOT_FOUND there too). Logged unless
 * @requesters_news: a connection to a name nobody has is routine — a
 * client of a named place that is being restarted may ask again until it
 * is back — and the requester hears of it (DP_ERROR_NOT_FOUND); a module
 * refused or a place that cannot start is ours to say. */
static void
refuse_channel (DpSocketConnection *connection,
                guint32             channel,
                const GError       *reason,
                gboolean            requesters_news)
{
  if (requesters_news)
    g_debug ("Refused a request: %s", reason->message);
  else
    g_message ("Refused a request: %s", reason->message);
  dp_socket_connection_send_control (connection, DP_FRAME_PLACE_DIED, channel, 0,
                                     g_variant_new (DP_PLACE_DIED_TYPE, 1, reason->message), NULL);
  dp_socket_connection_send_close (connection, channel, reason, NULL);
}

/* A peer may only name modules that lie in our plugin directories. */
static gboolean
module_allowed (const char  *module,
                GError     **error)
{
  g_autofree char *path = NULL;

  path = dp_plugin_registry_find_module (dp_plugin_registry_get_default (), module, error);
  if (path == NULL)
    return FALSE;
  if (!dp_plugin_registry_contains_path (dp_plugin_registry_get_default (), path))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_REFUSED,
                   "Module %s is outside this node's plugin directories", path);
      return FALSE;
    }
  return TRUE;
}

static void
handle_new_place (DpNode             *self,
                  DpSocketConnection *connection,
                  guint32             channel,
                  GVariant           *payload)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) reason = NULL;
  g_autoptr(DpPlace) place = NULL;
  g_autofree char *self_name = NULL;
  const char *module, *function, *name, *backend;
  guint32 exec;
  PlaceBinding *binding;

  g_variant_get (payload, "(u&s&s&s&s)", &exec, &module, &function, &name, &backend);

  if (!module_allowed (module, &error))
    goto refused;

  if (exec == DP_PLACE_EXEC_PLACE)
    {
      /* The thunk's place reports its end on the node's loop, like the
       * others: this reading thread has no main context of its own. */
      dp_place_set_thread_creator_context (self->context);
      place = dp_place_from_thunk (module, function, &error);
      dp_place_set_thread_creator_context (NULL);
      if (place == NULL)
        goto refused;
    }
  else
    {
      place = g_object_new (DP_TYPE_PLACE, "module", module, "function", function,
                            "name", name[0] != '\0' ? name : NULL,
                            "backend", exec == DP_PLACE_EXEC_THREAD || backend[0] == '\0'
                                       ? "threads" : backend,
                            NULL);
      /* Its exit is reported on the node's loop. */
      dp_place_set_creator_context (place, self->context);
      if (!dp_place_start (place, &error))
        goto refused;
    }
  if (name[0] != '\0')
    dp_place_set_name (place, name);
  /* Kept before it is waited for, so that its end forgets it. */
  dp_node_add_place (self, place, name[0] != '\0' ? name : NULL);

  binding = g_new0 (PlaceBinding, 1);
  binding->node = g_object_ref (self);
  binding->place = g_object_ref (place);
  binding->connection = g_object_ref (connection);
  binding->channel = channel;
  {
    g_autofree char *peer = dp_socket_connection_dup_description (connection);

    g_object_set_qdata_full (G_OBJECT (place), bound_quark,
                             g_variant_ref_sink (g_variant_new ("(su)", peer, channel)),
                             (GDestroyNotify) g_variant_unref);
  }
  g_main_context_invoke (self->context, wait_for_bound_place_cb, binding);

  if (!dp_socket_connection_bind_channel (connection, channel, dp_channel_get_endpoint (DP_CHANNEL (place)),
                                          &error))
    {
      g_warning ("Cannot bind place %s: %s", dp_place_get_name (place), error->message);
      dp_place_kill (place);
      return;
    }

  g_debug ("started place %s (%s:%s) for a peer on channel %u", dp_place_get_name (place),
           module, function, channel);
  return;

refused:
  self_name = dp_node_describe_self ();
  reason = g_error_new (error->domain, error->code, "Cannot start place %s:%s on node %s: %s", module,
                        function, self_name, error->message);
  refuse_channel (connection, channel, reason, FALSE);
}

static void
handle_new_connection (DpNode             *self,
                       DpSocketConnection *connection,
                       guint32             channel,
                       GVariant           *payload)
{
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(DpConnection) named = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) src_id = NULL;
  /* Let go of outside the lock: their places may end with them. */
  g_autoptr(GPtrArray) closed = g_ptr_array_new_with_free_func (g_object_unref);
  const char *name, *mode;
  GPtrArray *kept;

  g_variant_get (payload, "(&s&s@v)", &name, &mode, &src_id);
  place = dp_node_lookup_place (self, name);
  if (place == NULL)
    {
      g_autofree char *self_name = dp_node_describe_self ();
      g_autoptr(GError) reason = g_error_new (DP_ERROR, DP_ERROR_NOT_FOUND, "No place named “%s” on node %s",
                                              name, self_name);
      refuse_channel (connection, channel, reason, TRUE);
      return;
    }

  if (g_str_equal (mode, DP_CONNECTION_MODE_CHANNEL))
    {
      g_autoptr(DpPlaceChannel) ours = NULL;
      g_autoptr(DpPlaceChannel) theirs = NULL;

      /* Racket's 'channel-connect: the named place gets a plain channel,
       * announced once, and the wire channel is bound to its other end.
       * The announcement goes first: an answer the place puts at once
       * waits in our end's inbox, which binding sends on first. */
      dp_place_channel_new_pair (&ours, &theirs);
      if (!dp_channel_put (DP_CHANNEL (place),
                           g_variant_new ("(s@v@h)", "channel-connect", src_id,
                                          dp_channel_to_variant (DP_CHANNEL (theirs))),
                           &error))
        {
          g_autoptr(GError) reason = g_error_new (error->domain, error->code, "Cannot open a channel to %s: %s",
                                                  name, error->message);
          dp_channel_close (DP_CHANNEL (theirs));
          refuse_channel (connection, channel, reason, FALSE);
          return;
        }
      if (!dp_socket_connection_bind_channel (connection, channel, ours, &error))
        {
          g_warning ("Cannot open a channel to %s: %s", name, error->message);
          dp_place_channel_close_with_reason (theirs, error);
        }
      return;
    }
  if (!g_str_equal (mode, DP_CONNECTION_MODE_CONNECT))
    {
      g_autoptr(GError) reason = g_error_new (DP_ERROR, DP_ERROR_PROTOCOL, "Unknown connection mode “%s” for %s",
                                              mode, name);
      refuse_channel (connection, channel, reason, FALSE);
      return;
    }

  named = dp_connection_new (DP_CHANNEL (place), name);
  if (!dp_socket_connection_bind_channel (connection, channel,
                                          dp_channel_get_endpoint (DP_CHANNEL (named)), &error))
    {
      g_warning ("Cannot connect to %s: %s", name, error->message);
      return;
    }

  /* Kept while its channel is open and the peer's connection lives. The
   * ones whose channel closed since the last request go now: each holds
   * its named place, which may have ended, and a peer that connects again
   * and again must not make us keep them all. */
  g_mutex_lock (&self->lock);
  kept = g_hash_table_lookup (self->named_connections, connection);
  if (kept == NULL)
    {
      kept = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->named_connections, g_object_ref (connection), kept);
    }
  for (guint i = kept->len; i > 0; i--)
    if (dp_channel_is_closed (g_ptr_array_index (kept, i - 1)))
      g_ptr_array_add (closed, g_ptr_array_steal_index_fast (kept, i - 1));
  g_ptr_array_add (kept, g_steal_pointer (&named));
  g_mutex_unlock (&self->lock);
}

/* Requests are handled in order: answering now says that every request
 * before this one is done. */
static void
handle_sync (DpSocketConnection *connection,
             guint32             channel)
{
  g_autoptr(DpPlaceChannel) ours = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GError) error = NULL;

  dp_place_channel_new_pair (&ours, &theirs);
  dp_channel_put (DP_CHANNEL (theirs), g_variant_new ("()"), NULL);
  if (!dp_socket_connection_bind_channel (connection, channel, ours, &error))
    g_debug ("Cannot answer a sync: %s", error->message);
}

/* Answers with dp_node_dup_status() on the channel, as handle_sync()
 * answers. */
static void
handle_status (DpNode             *self,
               DpSocketConnection *connection,
               guint32             channel)
{
  g_autoptr(DpPlaceChannel) ours = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) status = dp_node_dup_status (self);

  dp_place_channel_new_pair (&ours, &theirs);
  dp_channel_put (DP_CHANNEL (theirs), status, NULL);
  if (!dp_socket_connection_bind_channel (connection, channel, ours, &error))
    g_debug ("Cannot answer a status request: %s", error->message);
}

static gpointer
join_peer_thread (gpointer data)
{
  GVariant *payload = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteNode) peer = NULL;
  const char *host;
  guint16 port;
  gboolean solo;

  g_variant_get (payload, "(&sqb)", &host, &port, &solo);
  peer = dp_node_connect_to (dp_node_get_default (), host, port, &error);
  if (peer == NULL)
    g_warning ("Cannot join node %s:%u: %s", host, port, error->message);
  g_variant_unref (payload);
  return NULL;
}

/* Handles a router request that came on @connection. Returns %FALSE for a
 * frame no node understands: the connection then closes. */
gboolean
dp_node_handle_request (DpNode             *self,
                        DpSocketConnection *connection,
                        guint               kind,
                        guint32             channel,
                        guint32             aux,
                        GVariant           *payload)
{
  switch (kind)
    {
    case DP_FRAME_NEW_PLACE:
      if (payload == NULL || !g_variant_is_of_type (payload, G_VARIANT_TYPE (DP_NEW_PLACE_TYPE)) ||
          channel == 0)
        return FALSE;
      handle_new_place (self, connection, channel, payload);
      return TRUE;

    case DP_FRAME_NEW_CONNECTION:
      if (payload == NULL || !g_variant_is_of_type (payload, G_VARIANT_TYPE (DP_NEW_CONNECTION_TYPE)) ||
          channel == 0)
        return FALSE;
      handle_new_connection (self, connection, channel, payload);
      return TRUE;

    case DP_FRAME_SYNC:
      if (payload != NULL || channel == 0)
        return FALSE;
      handle_sync (connection, channel);
      return TRUE;

    case DP_FRAME_STATUS:
      if (payload != NULL || channel == 0)
        return FALSE;
      handle_status (self, connection, channel);
      return TRUE;

    case DP_FRAME_SET_OWNER:
      g_mutex_lock (&self->lock);
      g_set_object (&self->owner, connection);
      g_mutex_unlock (&self->lock);
      return TRUE;

    case DP_FRAME_EXIT:
      g_debug ("told to exit");
      dp_node_exit (self, (gint) aux);
      return TRUE;

    case DP_FRAME_LOG:
      {
        const char *severity, *text;

        if (payload == NULL || !g_variant_is_of_type (payload, G_VARIANT_TYPE (DP_LOG_TYPE)))
          return FALSE;
        g_variant_get (payload, "(&s&s)", &severity, &text);
        dp_node_log_from_child (severity, text, NULL);
        return TRUE;
      }

    case DP_FRAME_NEW_NODE:
      if (payload == NULL || !g_variant_is_of_type (payload, G_VARIANT_TYPE (DP_NEW_NODE_TYPE)))
        return FALSE;
      /* Connecting blocks: not on the reading thread. */
      g_thread_unref (g_thread_new ("dp-join", join_peer_thread, g_variant_ref (payload)));
      return TRUE;

    default:
      return FALSE;
    }
}

static gboolean
incoming_request_cb (DpSocketConnection *connection,
                     guint               kind,
                     guint32             channel,
                     guint32             aux,
                     GVariant           *payload,
                     gpointer            data)
{
  return dp_node_handle_request (DP_NODE (data), connection, kind, channel, aux, payload);
}

static void
incoming_closed_cb (DpSocketConnection *connection,
                    GError             *reason,
                    gpointer            data)
{
  DpNode *self = data;
  g_autoptr(DpSocketConnection) forgotten = NULL;
  gboolean was_owner;
  guint index;

  g_mutex_lock (&self->lock);
  was_owner = self->owner == connection;
  g_hash_table_remove (self->named_connections, connection);
  /* A peer that went away is forgotten, socket and all: else every
   * connection ever made to the node would hold its descriptors and
   * buffers for as long as the node runs. */
  if (g_ptr_array_find (self->incoming, connection, &index))
    forgotten = g_ptr_array_steal_index_fast (self->incoming, index);
  g_mutex_unlock (&self->lock);

  if (was_owner)
    {
      g_debug ("the node's owner is gone (%s): exiting", reason->message);
      dp_node_exit (self, 1);
    }
}

/* A connection to the node, authenticating. */
typedef struct {
  DpNode *node;
  GSocketConnection *stream;
  char *address;            /* the peer's, taken while it is there to ask */
  GCancellable *cancellable;
  GList *link;              /* in node->handshakes; NULL once evicted */
} PendingHandshake;

static void
pending_handshake_free (PendingHandshake *pending)
{
  g_free (pending->address);
  g_object_unref (pending->node);
  g_object_unref (pending->stream);
  g_object_unref (pending->cancellable);
  g_free (pending);
}

/* Logs why a connection was refused: the first few of each second, then
 * only how many more, so that a flood of bad connections cannot flood the
 * log too. */
static void
log_refusal (DpNode     *self,
             const char *address,
             const char *why)
{
  gint64 second = g_get_monotonic_time () / G_USEC_PER_SEC;

  if (second != self->refusal_second)
    {
      self->refusal_second = second;
      self->refusals_logged = 0;
    }
  if (self->refusals_logged >= REFUSALS_LOGGED_PER_SECOND)
    {
      self->refusals_unlogged++;
      return;
    }
  self->refusals_logged++;
  if (self->refusals_unlogged > 0)
    g_warning ("Refused connection from %s: %s (and %u more refused since the last one logged)",
               address, why, self->refusals_unlogged);
  else
    g_warning ("Refused connection from %s: %s", address, why);
  self->refusals_unlogged = 0;
}

/* In the node's context. */
static void
handshake_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  PendingHandshake *pending = data;
  DpNode *self = pending->node;
  GSocketConnection *stream = pending->stream;
  g_autoptr(GError) error = NULL;
  g_autofree char *peer_name = dp_auth_handshake_finish (result, &error);
  g_autoptr(DpSocketConnection) connection = NULL;
  const char *address_text = pending->address;

  if (pending->link != NULL)
    g_queue_delete_link (&self->handshakes, pending->link);
  pending->link = NULL;

  if (peer_name == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        log_refusal (self, address_text, "its handshake was the oldest of too many under way");
      else
        log_refusal (self, address_text, error->message);
      g_io_stream_close (G_IO_STREAM (stream), NULL, NULL);
      pending_handshake_free (pending);
      return;
    }

  g_debug ("node %s connected from %s", peer_name, address_text);
  connection = dp_socket_connection_new (g_socket_connection_get_socket (stream), FALSE);
  dp_socket_connection_set_description (connection, peer_name);
  /* The stream owns the socket: keep it as long as the connection. */
  g_object_set_data_full (G_OBJECT (connection), "dp-stream", g_object_ref (stream), g_object_unref);
  dp_socket_connection_set_control_handler (connection, incoming_request_cb, self, NULL);
  g_signal_connect_object (connection, "closed", G_CALLBACK (incoming_closed_cb), self, 0);

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->incoming, g_object_ref (connection));
  g_mutex_unlock (&self->lock);

  dp_socket_connection_start (connection);
  pending_handshake_free (pending);
}

/* In the node's context: the handshake runs there too, driven by the
 * socket, so a peer that connects and says nothing costs no thread. */
static void
accept_cb (DpTransport       *transport,
           GSocketConnection *stream,
           gpointer           data)
{
  DpNode *self = data;
  g_autoptr(GBytes) cookie = dp_cookie_get_process ();
  g_autofree char *own_name = dp_node_describe_self ();
  PendingHandshake *pending;

  if (cookie == NULL)
    {
      g_warning ("Refused a connection: this node has no cookie");
      g_io_stream_close (G_IO_STREAM (stream), NULL, NULL);
      return;
    }

  /* Too many under way: the oldest gives up. A legitimate peer's
   * handshake takes a round trip or two, so it is never the oldest for
   * long; a connection that says nothing is. */
  if (self->handshakes.length >= MAX_PENDING_HANDSHAKES)
    {
      PendingHandshake *oldest = g_queue_pop_head (&self->handshakes);

      oldest->link = NULL;
      g_cancellable_cancel (oldest->cancellable);
    }

  pending = g_new0 (PendingHandshake, 1);
  pending->node = g_object_ref (self);
  pending->stream = g_object_ref (stream);
  {
    g_autoptr(GSocketAddress) address = g_socket_connection_get_remote_address (stream, NULL);

    pending->address = address != NULL
      ? g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address)) : g_strdup ("?");
  }
  pending->cancellable = g_cancellable_new ();
  g_queue_push_tail (&self->handshakes, pending);
  pending->link = self->handshakes.tail;
  /* Whoever runs the node's loop, the handshake is on it. */
  g_main_context_push_thread_default (self->context);
  dp_auth_handshake_async (g_socket_connection_get_socket (stream), cookie, FALSE, own_name,
                           pending->cancellable, handshake_done_cb, pending);
  g_main_context_pop_thread_default (self->context);
}

/**
 * dp_node_listen:
 * @self: a node
 * @error: return location for a #GError
 *
 * Listens on [property@Dp.Node:listen-port] (a port the system picks if
 * it is 0) for other nodes, with the `tcp` transport. Call it before the
 * loop runs, or from the loop's thread.
 *
 * Returns: %TRUE if listening
 */
gboolean
dp_node_listen (DpNode  *self,
                GError **error)
{
  g_autoptr(DpTransport) transport = NULL;
  guint port = 0;
  gboolean ok;

  g_return_val_if_fail (DP_IS_NODE (self), FALSE);
  g_return_val_if_fail (self->transport == NULL, FALSE);

  if (dp_cookie_get_process () == NULL)
    {
      g_autoptr(GBytes) cookie = dp_cookie_load (NULL, error);
      if (cookie == NULL)
        return FALSE;
      dp_cookie_set_process (cookie);
    }

  transport = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                         DP_TRANSPORT_EXTENSION_POINT_NAME, "tcp", error);
  if (transport == NULL)
    return FALSE;

  /* Incoming connections are announced in the node's context. */
  g_main_context_push_thread_default (self->context);
  ok = dp_transport_listen (transport, self->listen_port, accept_cb, self, NULL, &port, error);
  g_main_context_pop_thread_default (self->context);
  if (!ok)
    return FALSE;

  self->transport = g_steal_pointer (&transport);
  if (self->listen_port != port)
    {
      self->listen_port = port;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTEN_PORT]);
    }
  g_debug ("listening on port %u", port);
  return TRUE;
}

/**
 * dp_message_routerv:
 * @node: (nullable): the node to run, or %NULL for the process's default
 * @containers: (array length=n_containers): what to wait on
 * @n_containers: how many
 *
 * Adds @containers to @node and runs its loop: the seeds'
 * `message-router`.
 *
 * Returns: the status given to [method@Dp.Node.exit]
 */
gint
dp_message_routerv (DpNode            *node,
                    DpEventContainer **containers,
                    guint              n_containers)
{
  if (node == NULL)
    node = dp_node_get_default ();

  for (guint i = 0; i < n_containers; i++)
    dp_node_add (node, containers[i]);

  return dp_node_sync_events (node);
}

/**
 * dp_message_router:
 * @node: (nullable): the node to run, or %NULL for the process's default
 * @first: (nullable): the first container to wait on
 * @...: more containers, then %NULL
 *
 * The seeds' `message-router`: runs @node's loop over the given event
 * containers until [method@Dp.Node.exit].
 *
 * Returns: the status given to [method@Dp.Node.exit]
 */
gint
dp_message_router (DpNode           *node,
                   DpEventContainer *first,
                   ...)
{
  g_autoptr(GPtrArray) containers = g_ptr_array_new ();
  DpEventContainer *container;
  va_list args;

  va_start (args, first);
  for (container = first; container != NULL; container = va_arg (args, DpEventContainer *))
    g_ptr_array_add (containers, container);
  va_end (args);

  return dp_message_routerv (node, (DpEventContainer **) containers->pdata, containers->len);
}

/**
 * dp_port_no_p:
 * @value: a number
 *
 * The seeds' `port-no?`.
 *
 * Returns: whether @value is a TCP port number, 0 to 65535
 */
gboolean
dp_port_no_p (gint64 value)
{
  return value >= 0 && value <= 65535;
}
