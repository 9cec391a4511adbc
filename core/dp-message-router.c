/* dp-message-router.c: a message router in a thread, and the requests its
 * channel takes (the seeds' API version 3)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-node"

#include "config.h"

#include "dp-error.h"
#include "dp-message.h"
#include "dp-message-router.h"
#include "dp-node-private.h"
#include "dp-place-channel-private.h"
#include "dp-relay-private.h"
#include "dp-remote-node.h"
#include "dp-wire-private.h"

/* A message router started by dp_start_message_router_thread(): a node
 * whose loop runs in a thread of its own and watches one end of a channel
 * pair for requests. Requests that block — spawning a node, connecting to
 * one — are served in order by one worker thread, so the loop stays free
 * and a request can rely on the ones put before it (spawn a node, start a
 * place there, connect to it). */

typedef enum {
  REQUEST_SPAWN_REMOTE_NODE,
  REQUEST_SUPERVISE_NAMED_PLACE,
  REQUEST_CONNECT_TO,
  REQUEST_NEW_PLACE_CHANNEL,
} RequestKind;

static const struct {
  const char *tag;
  const char *type;
} request_types[] = {
  [REQUEST_SPAWN_REMOTE_NODE] = { DP_MR_SPAWN_REMOTE_NODE, "(ssub)" },
  [REQUEST_SUPERVISE_NAMED_PLACE] = { DP_MR_SUPERVISE_NAMED_DYNAMIC_PLACE_AT, "(ssusss)" },
  [REQUEST_CONNECT_TO] = { DP_MR_CONNECT_TO, "(ssush)" },
  [REQUEST_NEW_PLACE_CHANNEL] = { DP_MR_NEW_PLACE_CHANNEL, "(svsush)" },
};

typedef struct {
  gatomicrefcount ref_count;
  DpNode *node;
  DpPlaceChannel *channel;     /* the router's end; the caller has the other */
  GSource *source;
  GThreadPool *worker;

  GMutex lock;
  GHashTable *nodes;           /* "host:port" → DpRemoteNode*, as requests name them */
  GPtrArray *places;           /* DpRemoteConnection* of the places it started */
  GPtrArray *relays;           /* DpRelay* between requesters and named places */
} Router;

typedef struct {
  RequestKind kind;
  GVariant *message;
  DpChannel *channel;          /* connect-to, new-place-channel: the requester's line */
} Request;

static Router *
router_ref (Router *router)
{
  g_atomic_ref_count_inc (&router->ref_count);
  return router;
}

static void
router_unref (Router *router)
{
  if (!g_atomic_ref_count_dec (&router->ref_count))
    return;

  g_clear_pointer (&router->source, g_source_unref);
  g_clear_object (&router->channel);
  g_hash_table_unref (router->nodes);
  g_ptr_array_unref (router->places);
  g_ptr_array_unref (router->relays);
  g_mutex_clear (&router->lock);
  g_object_unref (router->node);
  g_free (router);
}

static void
request_free (Request *request)
{
  g_variant_unref (request->message);
  g_clear_object (&request->channel);
  g_free (request);
}

static char *
node_key (const char *host,
          guint       port)
{
  return g_strdup_printf ("%s:%u", host, port);
}

/* Keeps @node under the address a request named it by, and under its own;
 * joins it to the router's nodes (the mesh) unless it is there already. */
static void
router_keep_node (Router       *router,
                  const char   *host,
                  guint         port,
                  DpRemoteNode *node)
{
  g_autoptr(GPtrArray) spawned = dp_node_list_spawned_nodes (router->node);

  if (!g_ptr_array_find (spawned, node, NULL))
    dp_node_add_spawned_node (router->node, node);

  g_mutex_lock (&router->lock);
  g_hash_table_replace (router->nodes, node_key (host, port), g_object_ref (node));
  g_hash_table_replace (router->nodes,
                        node_key (dp_remote_node_get_host (node), dp_remote_node_get_listen_port (node)),
                        g_object_ref (node));
  g_mutex_unlock (&router->lock);
}

/* The node a request names: one the router keeps, or one it connects to. */
static DpRemoteNode *
router_find_node (Router      *router,
                  const char  *host,
                  guint        port,
                  GError     **error)
{
  g_autofree char *key = node_key (host, port);
  DpRemoteNode *node;

  g_mutex_lock (&router->lock);
  node = g_hash_table_lookup (router->nodes, key);
  if (node != NULL && dp_remote_node_is_alive (node))
    g_object_ref (node);
  else
    node = NULL;
  g_mutex_unlock (&router->lock);

  if (node != NULL)
    return node;
  return dp_node_connect_to (router->node, host, port, error);
}

/* Joins a requester's channel to a connection, on the router's loop. */
static void
router_relay (Router    *router,
              DpChannel *requester,
              DpChannel *connection)
{
  g_mutex_lock (&router->lock);
  for (guint i = router->relays->len; i > 0; i--)
    if (dp_relay_is_done (g_ptr_array_index (router->relays, i - 1)))
      g_ptr_array_remove_index_fast (router->relays, i - 1);
  g_ptr_array_add (router->relays,
                   dp_relay_new (requester, connection, dp_node_get_context (router->node)));
  g_mutex_unlock (&router->lock);
}

static void
serve_spawn_remote_node (Router  *router,
                         Request *request)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const char *host;
  guint32 port;
  gboolean solo;

  g_variant_get (request->message, "(&s&sub)", NULL, &host, &port, &solo);
  node = g_object_new (DP_TYPE_REMOTE_NODE, "host", host, "listen-port", port, "solo", solo, NULL);
  if (!dp_remote_node_spawn (node, &error))
    {
      g_warning ("Message router: cannot spawn a node at %s:%u: %s", host, port, error->message);
      return;
    }
  router_keep_node (router, host, port, node);
  g_debug ("message router: spawned node %s:%u%s", host, dp_remote_node_get_listen_port (node),
           solo ? " (solo)" : "");
}

static void
serve_supervise_named_place (Router  *router,
                             Request *request)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;
  g_autoptr(GError) error = NULL;
  const char *host, *name, *module, *function;
  guint32 port;

  g_variant_get (request->message, "(&s&su&s&s&s)", NULL, &host, &port, &name, &module, &function);
  node = router_find_node (router, host, port, &error);
  if (node != NULL)
    place = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, module, function, name,
                                         NULL, &error);
  if (place == NULL)
    {
      g_warning ("Message router: cannot start place %s (%s:%s) at %s:%u: %s", name, module,
                 function, host, port, error->message);
      return;
    }

  /* Kept, as its creator: the place's channel lives as long as the router. */
  g_mutex_lock (&router->lock);
  g_ptr_array_add (router->places, g_steal_pointer (&place));
  g_mutex_unlock (&router->lock);
}

static void
serve_connection (Router  *router,
                  Request *request)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) src_id = NULL;
  const char *host, *name;
  guint32 port;

  if (request->kind == REQUEST_CONNECT_TO)
    g_variant_get (request->message, "(&s&su&sh)", NULL, &host, &port, &name, NULL);
  else
    g_variant_get (request->message, "(&s@v&su&sh)", NULL, &src_id, &host, &port, &name, NULL);

  node = router_find_node (router, host, port, &error);
  if (node != NULL && src_id == NULL)
    connection = dp_remote_node_remote_connect (node, name, &error);
  else if (node != NULL)
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (src_id);

      connection = dp_remote_node_connect_channel (node, inner, name, &error);
    }

  if (connection == NULL)
    {
      /* The requester's first get says why. */
      g_prefix_error (&error, "Message router: cannot connect to %s at %s:%u: ", name, host, port);
      dp_place_channel_close_with_reason (dp_channel_get_endpoint (request->channel), error);
      return;
    }

  router_relay (router, request->channel, DP_CHANNEL (connection));
}

/* On the worker thread, one request at a time, in order. */
static void
router_serve (gpointer data,
              gpointer user_data)
{
  Request *request = data;
  Router *router = user_data;

  switch (request->kind)
    {
    case REQUEST_SPAWN_REMOTE_NODE:
      serve_spawn_remote_node (router, request);
      break;
    case REQUEST_SUPERVISE_NAMED_PLACE:
      serve_supervise_named_place (router, request);
      break;
    case REQUEST_CONNECT_TO:
    case REQUEST_NEW_PLACE_CHANNEL:
      serve_connection (router, request);
      break;
    default:
      g_assert_not_reached ();
    }

  request_free (request);
}

/* On the loop: checks a request and queues it for the worker. */
static void
router_accept (Router   *router,
               GVariant *message)
{
  const char *tag = dp_message_get_tag (message);
  g_autoptr(GError) error = NULL;
  Request *request;
  guint kind;

  for (kind = 0; kind < G_N_ELEMENTS (request_types); kind++)
    if (g_strcmp0 (tag, request_types[kind].tag) == 0)
      break;
  if (kind == G_N_ELEMENTS (request_types) ||
      !g_variant_is_of_type (message, G_VARIANT_TYPE (request_types[kind].type)))
    {
      g_autofree char *text = dp_message_to_display (message);

      if (kind == G_N_ELEMENTS (request_types))
        g_warning ("Message router: ignored a message that is no request: %s", text);
      else
        g_warning ("Message router: ignored a “%s” request of type %s, not %s: %s", tag,
                   g_variant_get_type_string (message), request_types[kind].type, text);
      return;
    }

  request = g_new0 (Request, 1);
  request->kind = kind;
  request->message = g_variant_ref (message);
  if (kind == REQUEST_CONNECT_TO || kind == REQUEST_NEW_PLACE_CHANNEL)
    {
      g_autoptr(GVariant) handle = g_variant_get_child_value (message,
                                                              g_variant_n_children (message) - 1);

      request->channel = dp_channel_from_variant (handle, &error);
      if (request->channel == NULL)
        {
          g_warning ("Message router: ignored a “%s” request: %s", tag, error->message);
          request_free (request);
          return;
        }
    }

  g_thread_pool_push (router->worker, request, NULL);
}

static gboolean
router_request_cb (DpChannel *channel,
                   gpointer   data)
{
  Router *router = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = dp_channel_try_get (channel, &error);

      if (message == NULL && error == NULL)
        return G_SOURCE_CONTINUE;
      if (message == NULL)
        {
          /* The caller dropped its end: the router is done. */
          g_debug ("message router: its channel closed (%s): exiting", error->message);
          dp_node_exit (router->node, 0);
          return G_SOURCE_REMOVE;
        }
      router_accept (router, message);
    }
}

static void
router_shutdown (Router *router)
{
  g_autoptr(GError) reason = g_error_new_literal (DP_ERROR, DP_ERROR_PEER_DIED,
                                                  "The message router exited");
  g_autoptr(GPtrArray) relays = NULL;

  g_source_destroy (router->source);

  /* Requests still queued are dropped; the one being served finishes. */
  g_thread_pool_free (g_steal_pointer (&router->worker), TRUE, TRUE);

  g_mutex_lock (&router->lock);
  relays = g_steal_pointer (&router->relays);
  router->relays = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_relay_unref);
  g_mutex_unlock (&router->lock);
  for (guint i = 0; i < relays->len; i++)
    dp_relay_stop (g_ptr_array_index (relays, i), reason);

  dp_place_channel_close_with_reason (router->channel, reason);
}

static gpointer
router_thread (gpointer data)
{
  Router *router = data;
  gint status;

  status = dp_node_sync_events (router->node);
  g_debug ("message router on port %u exited with status %d",
           dp_node_get_listen_port (router->node), status);
  router_shutdown (router);
  router_unref (router);

  return GINT_TO_POINTER (status);
}

/**
 * dp_start_message_router_thread:
 * @listen_port: the port to listen on for other nodes (the seeds'
 *   `#:listen-port`, usually %DP_DEFAULT_ROUTER_PORT); 0 lets the system
 *   pick one
 * @nodes: (nullable) (element-type DpRemoteNode): nodes the router takes
 *   as its own (the seeds' `#:nodes`), such as ones from
 *   [func@Dp.spawn_nodes_join]: requests may name them, they join its
 *   mesh, and they are told to exit when it does
 * @out_thread: (out) (optional) (transfer full): the thread the router
 *   runs in; joining it returns the router's exit status
 *   (`GPOINTER_TO_INT (g_thread_join (thread))`)
 * @error: return location for a #GError
 *
 * Starts a message router in a thread of its own (the seeds'
 * `start-message-router/thread`): a new [class@Dp.Node] that listens on
 * @listen_port and runs its loop in the new thread. It becomes this
 * process's node ([method@Dp.Node.set_default]): the nodes it spawns are
 * its own, and logs of places reach it.
 *
 * The result is one end of a channel whose other end the router watches
 * on its loop. Requests put on it are tagged messages — [func@Dp.mr_spawn_remote_node],
 * [func@Dp.mr_supervise_named_dynamic_place_at], [func@Dp.mr_connect_to],
 * [func@Dp.send_new_place_channel_to_named_dest] put them — and are
 * served in the order they were put, without blocking the loop. A node
 * named by a request (a host and a port) is one the router spawned or was
 * given, by the port the request spawned it with (0 included) or the port
 * it got; any other node is connected to.
 *
 * Closing the result (or dropping the last reference to it) stops the
 * router: its loop exits with status 0, the nodes it spawned are told to
 * exit, and the channels it relays die with “The message router exited”.
 *
 * Returns: (transfer full): the channel to the router, or %NULL with
 *   @error set when it cannot listen
 */
DpChannel *
dp_start_message_router_thread (guint       listen_port,
                                GPtrArray  *nodes,
                                GThread   **out_thread,
                                GError    **error)
{
  g_autoptr(DpNode) node = NULL;
  g_autoptr(DpPlaceChannel) ours = NULL;
  DpPlaceChannel *theirs = NULL;
  Router *router;
  GThread *thread;

  g_return_val_if_fail (listen_port <= 65535, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  node = dp_node_new (listen_port);
  if (!dp_node_listen (node, error))
    return NULL;
  dp_node_set_default (node);

  router = g_new0 (Router, 1);
  g_atomic_ref_count_init (&router->ref_count);
  g_mutex_init (&router->lock);
  router->node = g_object_ref (node);
  router->nodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  router->places = g_ptr_array_new_with_free_func (g_object_unref);
  router->relays = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_relay_unref);
  router->worker = g_thread_pool_new_full (router_serve, router, (GDestroyNotify) request_free,
                                           1, FALSE, NULL);

  for (guint i = 0; nodes != NULL && i < nodes->len; i++)
    {
      DpRemoteNode *remote = g_ptr_array_index (nodes, i);

      g_return_val_if_fail (DP_IS_REMOTE_NODE (remote), NULL);
      router_keep_node (router, dp_remote_node_get_host (remote),
                        dp_remote_node_get_listen_port (remote), remote);
    }

  dp_place_channel_new_pair (&ours, &theirs);
  router->channel = g_steal_pointer (&ours);
  router->source = dp_channel_create_source (DP_CHANNEL (router->channel));
  g_source_set_static_name (router->source, "dp-message-router");
  g_source_set_callback (router->source, G_SOURCE_FUNC (router_request_cb), router_ref (router),
                         (GDestroyNotify) router_unref);
  g_source_attach (router->source, dp_node_get_context (node));

  thread = g_thread_new ("dp-message-router", router_thread, router);
  if (out_thread != NULL)
    *out_thread = thread;
  else
    g_thread_unref (thread);

  return DP_CHANNEL (theirs);
}

/* Puts a request; a router that is gone is worth a warning, as the
 * seeds' functions return nothing. */
static gboolean
put_request (DpChannel *mrch,
             GVariant  *request,
             GError   **error)
{
  g_autoptr(GError) local_error = NULL;

  if (dp_channel_put (mrch, request, &local_error))
    return TRUE;

  if (error == NULL)
    g_warning ("Cannot send a request to the message router: %s", local_error->message);
  else
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "Cannot send a request to the message router: ");
  return FALSE;
}

/**
 * dp_mr_spawn_remote_node:
 * @mrch: a channel to a message router, from
 *   [func@Dp.start_message_router_thread]
 * @host: where to spawn the node
 * @listen_port: the port it should listen on (the seeds' `#:listen-port`);
 *   0 lets it pick one, and later requests may still name the node by 0
 * @solo: keep it out of the mesh of the router's nodes (`#:solo`)
 *
 * Asks the router to spawn a node at @host and keep it (the seeds'
 * `mr-spawn-remote-node`). Returns at once; requests put after this one
 * find the node. A node that cannot be spawned is logged as a warning.
 */
void
dp_mr_spawn_remote_node (DpChannel  *mrch,
                         const char *host,
                         guint       listen_port,
                         gboolean    solo)
{
  g_return_if_fail (DP_IS_CHANNEL (mrch));
  g_return_if_fail (host != NULL);
  g_return_if_fail (listen_port <= 65535);

  put_request (mrch, g_variant_new ("(ssub)", DP_MR_SPAWN_REMOTE_NODE, host, listen_port, solo),
               NULL);
}

/**
 * dp_mr_supervise_named_dynamic_place_at:
 * @mrch: a channel to a message router
 * @host: the node's host (the seeds' `dest`, first item)
 * @port: its port (`dest`, second item)
 * @name: the place's name
 * @module: a module on that node (the seeds' `path`)
 * @function: its place function (`func`)
 *
 * Asks the router to start a named place on the node at @host, port
 * @port, with [func@Dp.dynamic_place] semantics (the seeds'
 * `mr-supervise-named-dynamic-place-at`). The router keeps it as its
 * creator. Returns at once; a place that cannot be started is logged.
 */
void
dp_mr_supervise_named_dynamic_place_at (DpChannel  *mrch,
                                        const char *host,
                                        guint       port,
                                        const char *name,
                                        const char *module,
                                        const char *function)
{
  g_return_if_fail (DP_IS_CHANNEL (mrch));
  g_return_if_fail (host != NULL && name != NULL && module != NULL && function != NULL);
  g_return_if_fail (port <= 65535);

  put_request (mrch,
               g_variant_new ("(ssusss)", DP_MR_SUPERVISE_NAMED_DYNAMIC_PLACE_AT, host, port, name,
                              module, function),
               NULL);
}

/* Puts a request that carries a new channel, and returns our end: if the
 * request cannot go, our end fails with the reason. */
static DpChannel *
put_channel_request (DpChannel *mrch,
                     GVariant  *(*build) (DpChannel *theirs, gpointer data),
                     gpointer   data)
{
  g_autoptr(DpPlaceChannel) ours = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GError) error = NULL;

  dp_place_channel_new_pair (&ours, &theirs);
  if (!put_request (mrch, build (DP_CHANNEL (theirs), data), &error))
    dp_place_channel_close_with_reason (theirs, error);

  return DP_CHANNEL (g_steal_pointer (&ours));
}

typedef struct {
  GVariant *src_id;
  const char *host;
  guint port;
  const char *name;
} ConnectArgs;

static GVariant *
build_connect_to (DpChannel *theirs,
                  gpointer   data)
{
  ConnectArgs *args = data;

  return g_variant_new ("(ssus@h)", DP_MR_CONNECT_TO, args->host, args->port, args->name,
                        dp_channel_to_variant (theirs));
}

static GVariant *
build_new_place_channel (DpChannel *theirs,
                         gpointer   data)
{
  ConnectArgs *args = data;

  return g_variant_new ("(s@vsus@h)", DP_MR_NEW_PLACE_CHANNEL,
                        g_variant_new_variant (args->src_id), args->host, args->port, args->name,
                        dp_channel_to_variant (theirs));
}

/**
 * dp_mr_connect_to:
 * @mrch: a channel to a message router
 * @host: the node's host (the seeds' `dest`, first item)
 * @port: its port (`dest`, second item)
 * @name: a named place there
 *
 * Asks the router to connect to the named place @name on the node at
 * @host, port @port (the seeds' `mr-connect-to`). The router relays
 * between the result and the connection: put messages on the result and
 * the named place gets them as from [method@Dp.RemoteNode.remote_connect],
 * with a reply channel — its answers come back on the result.
 *
 * Returns at once. When the router cannot connect — no such node or no
 * such place — the first get on the result fails saying why.
 *
 * Returns: (transfer full): this side's end of the new channel
 */
DpChannel *
dp_mr_connect_to (DpChannel  *mrch,
                  const char *host,
                  guint       port,
                  const char *name)
{
  ConnectArgs args = { NULL, host, port, name };

  g_return_val_if_fail (DP_IS_CHANNEL (mrch), NULL);
  g_return_val_if_fail (host != NULL && name != NULL, NULL);
  g_return_val_if_fail (port <= 65535, NULL);

  return put_channel_request (mrch, build_connect_to, &args);
}

/**
 * dp_send_new_place_channel_to_named_dest:
 * @mrch: a channel to a message router
 * @src_id: (transfer floating): who asks, for the named place: any message
 *   without channels (the seeds' `src-id`)
 * @host: the node's host (the seeds' `dest-list`, first item)
 * @port: its port (`dest-list`, second item)
 * @name: a named place there (`dest-list`, third item)
 *
 * Asks the router for a new plain channel to the named place @name on the
 * node at @host, port @port (the seeds'
 * `send-new-place-channel-to-named-dest`, Racket's `'channel-connect`).
 * The named place gets one message,
 * `('channel-connect', src_id, channel)` — type `(svh)` — and from then on
 * reads what you put on the result from that channel, as it is; what it
 * puts on that channel you get from the result.
 *
 * Returns at once. When the router cannot connect, the first get on the
 * result fails saying why.
 *
 * Returns: (transfer full): this side's end of the new channel
 */
DpChannel *
dp_send_new_place_channel_to_named_dest (DpChannel  *mrch,
                                         GVariant   *src_id,
                                         const char *host,
                                         guint       port,
                                         const char *name)
{
  g_autoptr(GVariant) owned_src_id = NULL;
  ConnectArgs args = { NULL, host, port, name };

  g_return_val_if_fail (DP_IS_CHANNEL (mrch), NULL);
  g_return_val_if_fail (src_id != NULL && host != NULL && name != NULL, NULL);
  g_return_val_if_fail (port <= 65535, NULL);

  owned_src_id = g_variant_ref_sink (src_id);
  args.src_id = owned_src_id;
  if (dp_message_has_handles (owned_src_id))
    {
      g_autoptr(DpPlaceChannel) ours = NULL;
      g_autoptr(DpPlaceChannel) theirs = NULL;
      g_autoptr(GError) error = g_error_new (DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                                             "The source id of a channel to %s cannot hold "
                                             "channels or shared vectors", name);

      dp_place_channel_new_pair (&ours, &theirs);
      dp_place_channel_close_with_reason (theirs, error);
      return DP_CHANNEL (g_steal_pointer (&ours));
    }

  return put_channel_request (mrch, build_new_place_channel, &args);
}
