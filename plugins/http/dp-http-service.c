/* dp-http-service.c: the `http` service — the control plane
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-http"

#include <stdio.h>
#include <string.h>

#include <libsoup/soup.h>

#include "dp-http-message.h"
#include "dp-http-service.h"
#include "dp-http-status.h"

/* DpHttpService: what a keyfile's [http] group starts on the root node —
 * a SoupServer for the system's control plane (README.md lists the
 * endpoints and their JSON):
 *
 *  - GET /api/status, /api/nodes, /api/places, /api/connections,
 *    /api/jobs: the system's status, the root's view merged with each
 *    node's answer to a status request (dp-http-status.c);
 *  - GET /api/metrics: the same for Prometheus;
 *  - GET /api/logs, /api/events: the monitor's recent log lines and
 *    lifecycle events;
 *  - POST /api/places/NAME/messages: a JSON message for a place, its
 *    reply as JSON;
 *  - WebSocket /api/events: events and log lines as they happen, and the
 *    status every refresh-interval seconds;
 *  - GET /: the dashboard (data/dashboard, compiled in as a GResource).
 *
 * The server runs on the root node's loop; what blocks — asking other
 * nodes, waiting for a place's reply — runs in threads (GTask), with the
 * request paused meanwhile.
 *
 * Access: on a loopback address anyone on this machine may ask. On any
 * other address every request needs the token — `Authorization: Bearer
 * TOKEN`, or `?token=TOKEN` for a browser and its WebSocket — derived from
 * the cluster's cookie (dp_cookie_derive_token() for DP_HTTP_TOKEN_PURPOSE;
 * `dplaces status --print-token` prints it). */

#define RESOURCE_PREFIX "/org/dplaces/http/dashboard"

/* Monitor events reach the loop through this: it outlives the service
 * for as long as a handler may still run in another thread. */
typedef struct {
  gatomicrefcount ref_count;
  GWeakRef service;
  GMainContext *context;
  gint n_sockets;           /* atomic: no socket, nothing to forward */
} Forwarder;

struct _DpHttpService
{
  GObject parent_instance;

  char *address;
  guint port;
  char *port_file;
  gdouble refresh_interval;
  gdouble reply_timeout;

  DpSystem *system;           /* not a reference: the system owns us */
  GMainContext *context;      /* the root node's */
  SoupServer *server;
  char *url;
  gboolean loopback;
  char *token;                /* required when not on loopback */
  GPtrArray *sockets;         /* SoupWebsocketConnection* of /api/events */
  Forwarder *forwarder;
  gulong event_id;
  GSource *refresh;
  gboolean refreshing;
};

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_PORT_FILE,
  PROP_REFRESH_INTERVAL,
  PROP_REPLY_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_http_service_service_init (DpServiceInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpHttpService, dp_http_service, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_SERVICE,
                                                               dp_http_service_service_init))

static Forwarder *
forwarder_ref (Forwarder *forwarder)
{
  g_atomic_ref_count_inc (&forwarder->ref_count);
  return forwarder;
}

static void
forwarder_unref (gpointer data)
{
  Forwarder *forwarder = data;

  if (!g_atomic_ref_count_dec (&forwarder->ref_count))
    return;
  g_weak_ref_clear (&forwarder->service);
  g_main_context_unref (forwarder->context);
  g_free (forwarder);
}

static void
forwarder_closure_notify (gpointer  data,
                          GClosure *closure)
{
  forwarder_unref (data);
}

/* Responses. */

static void
respond_text (SoupServerMessage *msg,
              guint              status,
              const char        *content_type,
              char              *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, text, strlen (text));
}

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              JsonNode          *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  respond_text (msg, status, "application/json", json_generator_to_data (generator, NULL));
}

static void
respond_member (SoupServerMessage *msg,
                const char        *member,
                JsonNode          *value)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_member (object, member, value);
  json_node_set_object (node, object);
  respond_json (msg, SOUP_STATUS_OK, node);
}

G_GNUC_PRINTF (3, 4)
static void
respond_error (SoupServerMessage *msg,
               guint              status,
               const char        *format,
               ...)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  json_object_set_string_member (object, "error", text);
  json_node_set_object (node, object);
  respond_json (msg, status, node);
}

/* Access. */

static gboolean
token_matches (const char *given,
               const char *token)
{
  gsize length = strlen (token);
  guint8 difference = 0;

  if (given == NULL || strlen (given) != length)
    return FALSE;
  /* In constant time: a timing must not tell how much of a guess was right. */
  for (gsize i = 0; i < length; i++)
    difference |= (guint8) (given[i] ^ token[i]);
  return difference == 0;
}

static void
access_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           data)
{
  DpHttpService *self = data;
  const char *authorization;
  const char *given = NULL;

  if (self->loopback)
    return;

  authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                "Authorization");
  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    given = authorization + 7;
  else if (query != NULL)
    given = g_hash_table_lookup (query, "token");

  if (token_matches (given, self->token))
    return;

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate",
                                "Bearer realm=\"dplaces\"");
  respond_error (msg, SOUP_STATUS_UNAUTHORIZED,
                 given == NULL ? "This control plane listens beyond this machine: requests need "
                                 "“Authorization: Bearer TOKEN” (dplaces status --print-token)"
                               : "Wrong token");
}

/* The dashboard. */

static void
serve_resource (SoupServerMessage *msg,
                const char        *name,
                const char        *content_type)
{
  g_autofree char *path = g_strconcat (RESOURCE_PREFIX "/", name, NULL);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

  if (bytes == NULL)
    {
      respond_error (msg, SOUP_STATUS_NOT_FOUND, "No such file: %s", name);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg), content_type, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-cache");
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
}

/* Requests answered from the system's status. */

typedef struct {
  DpHttpService *self;
  SoupServerMessage *msg;
  char *member;             /* NULL: the whole status; "metrics": Prometheus */
} StatusRequest;

static void
status_request_free (StatusRequest *request)
{
  g_object_unref (request->self);
  g_object_unref (request->msg);
  g_free (request->member);
  g_free (request);
}

static void
status_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  StatusRequest *request = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) status = dp_http_status_query_finish (result, &error);

  if (status == NULL)
    respond_error (request->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", error->message);
  else if (request->member == NULL)
    respond_json (request->msg, SOUP_STATUS_OK, status);
  else if (g_str_equal (request->member, "metrics"))
    respond_text (request->msg, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
                  dp_http_metrics_from_status (json_node_get_object (status)));
  else
    respond_member (request->msg, request->member,
                    json_node_copy (json_object_get_member (json_node_get_object (status), request->member)));

  soup_server_message_unpause (request->msg);
  status_request_free (request);
}

static void
serve_status (DpHttpService     *self,
              SoupServerMessage *msg,
              const char        *member)
{
  StatusRequest *request = g_new0 (StatusRequest, 1);

  request->self = g_object_ref (self);
  request->msg = g_object_ref (msg);
  request->member = g_strdup (member);
  soup_server_message_pause (msg);
  dp_http_status_query_async (self->system, NULL, status_done_cb, request);
}

static guint64
query_after (GHashTable *query)
{
  const char *after = query != NULL ? g_hash_table_lookup (query, "after") : NULL;

  return after != NULL ? g_ascii_strtoull (after, NULL, 10) : 0;
}

/* Messages to places. */

typedef struct {
  DpChannel *target;        /* a place's channel, or a connection of our own */
  DpRemoteNode *node;       /* or: connect to the named place there first */
  char *name;
  GVariant *message;
  gint64 timeout_usec;
  gboolean want_reply;
  gboolean own_target;      /* a connection of ours: closed when done */
  SoupServerMessage *msg;

  /* The outcome. */
  guint status;
  GVariant *reply;
  char *error;
} Delivery;

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  g_clear_object (&delivery->target);
  g_clear_object (&delivery->node);
  g_free (delivery->name);
  g_clear_pointer (&delivery->message, g_variant_unref);
  g_clear_object (&delivery->msg);
  g_clear_pointer (&delivery->reply, g_variant_unref);
  g_free (delivery->error);
  g_free (delivery);
}

/* What a failed put or get on a place's channel answers: a node that has
 * no such named place refuses the connection, and the refusal arrives as
 * DP_ERROR_NOT_FOUND — at the put if it came first, else at the get. */
static guint
status_of_channel_error (const GError *error)
{
  return g_error_matches (error, DP_ERROR, DP_ERROR_NOT_FOUND) ? SOUP_STATUS_NOT_FOUND : SOUP_STATUS_GONE;
}

static void
deliver_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  Delivery *delivery = data;
  g_autoptr(GError) error = NULL;

  if (delivery->node != NULL)
    {
      delivery->target = DP_CHANNEL (dp_remote_node_remote_connect (delivery->node, delivery->name, &error));
      delivery->own_target = TRUE;
      if (delivery->target == NULL)
        {
          delivery->status = SOUP_STATUS_BAD_GATEWAY;
          delivery->error = g_strdup (error->message);
          goto out;
        }
      /* Without a reply to wait for, nothing else would tell a missing
       * place: once the node has handled the connection, a refusal is
       * here, and the put fails with it. */
      if (!delivery->want_reply && !dp_remote_node_sync (delivery->node, &error))
        {
          delivery->status = SOUP_STATUS_BAD_GATEWAY;
          delivery->error = g_strdup (error->message);
          goto out;
        }
    }

  if (!dp_channel_put (delivery->target, delivery->message, &error))
    {
      delivery->status = status_of_channel_error (error);
      delivery->error = g_strdup_printf ("Cannot put to place “%s”: %s", delivery->name, error->message);
      goto out;
    }
  if (!delivery->want_reply)
    {
      delivery->status = SOUP_STATUS_ACCEPTED;
      goto out;
    }

  delivery->reply = dp_channel_get_timeout (delivery->target, delivery->timeout_usec, &error);
  if (delivery->reply != NULL)
    delivery->status = SOUP_STATUS_OK;
  else if (error == NULL)
    {
      delivery->status = SOUP_STATUS_GATEWAY_TIMEOUT;
      delivery->error = g_strdup_printf ("No reply from place “%s” within %g s", delivery->name,
                                         delivery->timeout_usec / (double) G_USEC_PER_SEC);
    }
  else
    {
      delivery->status = status_of_channel_error (error);
      delivery->error = g_strdup_printf ("No reply from place “%s”: %s", delivery->name, error->message);
    }

out:
  if (delivery->own_target && delivery->target != NULL)
    dp_channel_close (delivery->target);
  g_task_return_boolean (task, TRUE);
}

static void
delivered_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  Delivery *delivery = g_task_get_task_data (G_TASK (result));
  SoupServerMessage *msg = delivery->msg;

  if (delivery->error != NULL)
    respond_error (msg, delivery->status, "%s", delivery->error);
  else
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "place", delivery->name);
      json_object_set_boolean_member (object, "sent", TRUE);
      if (delivery->reply != NULL)
        {
          g_autofree char *text = g_variant_print (delivery->reply, TRUE);

          json_object_set_member (object, "reply", json_gvariant_serialize (delivery->reply));
          json_object_set_string_member (object, "type", g_variant_get_type_string (delivery->reply));
          json_object_set_string_member (object, "text", text);
        }
      json_node_set_object (node, object);
      respond_json (msg, delivery->status, node);
    }
  soup_server_message_unpause (msg);
}

static void
post_message (DpHttpService     *self,
              SoupServerMessage *msg,
              const char        *escaped_name,
              GHashTable        *query)
{
  g_autofree char *name = g_uri_unescape_string (escaped_name, "/");
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *type = query != NULL ? g_hash_table_lookup (query, "type") : NULL;
  const char *node_name = query != NULL ? g_hash_table_lookup (query, "node") : NULL;
  const char *timeout = query != NULL ? g_hash_table_lookup (query, "timeout") : NULL;
  const char *reply = query != NULL ? g_hash_table_lookup (query, "reply") : NULL;
  g_autoptr(GBytes) data = soup_message_body_flatten (body);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GTask) task = NULL;
  gint64 timeout_usec;
  Delivery *delivery;
  DpChannel *place;

  if (name == NULL || *name == '\0')
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "No place name in the path");
      return;
    }
  message = dp_http_message_from_json (g_bytes_get_data (data, NULL), g_bytes_get_size (data), type, &error);
  if (message == NULL ||
      !dp_http_message_parse_timeout (timeout, self->reply_timeout, &timeout_usec, &error))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }

  delivery = g_new0 (Delivery, 1);
  delivery->name = g_strdup (name);
  delivery->message = g_steal_pointer (&message);
  delivery->timeout_usec = timeout_usec;
  delivery->want_reply = reply == NULL || !(g_str_equal (reply, "false") || g_str_equal (reply, "0"));
  delivery->msg = g_object_ref (msg);

  /* Which place: a named place on a [node NAME] (node=); a keyfile place;
   * a named place on the root. A named place gets (message, reply) and
   * answers on the reply channel, through a connection of our own; any
   * other place gets the message on its channel, and its next message
   * there is the reply. */
  place = dp_system_lookup_place (self->system, name);
  if (node_name != NULL)
    {
      DpRemoteNode *node = dp_system_lookup_node (self->system, node_name);

      if (node == NULL)
        {
          respond_error (msg, SOUP_STATUS_NOT_FOUND, "No node named “%s”", node_name);
          delivery_free (delivery);
          return;
        }
      delivery->node = g_object_ref (node);
    }
  else if (place != NULL)
    {
      g_autofree char *group = g_strconcat ("place ", name, NULL);
      GKeyFile *key_file = dp_config_get_key_file (dp_system_get_config (self->system));

      if (g_key_file_get_boolean (key_file, group, "named", NULL))
        {
          delivery->target = DP_CHANNEL (dp_connection_new (place, name));
          delivery->own_target = TRUE;
        }
      else
        delivery->target = g_object_ref (place);
    }
  else
    {
      DpPlace *named = dp_node_lookup_place (dp_system_get_node (self->system), name);

      if (named == NULL)
        {
          respond_error (msg, SOUP_STATUS_NOT_FOUND, "No place named “%s”", name);
          delivery_free (delivery);
          return;
        }
      delivery->target = DP_CHANNEL (dp_connection_new (DP_CHANNEL (named), name));
      delivery->own_target = TRUE;
      g_object_unref (named);
    }

  soup_server_message_pause (msg);
  task = g_task_new (self, NULL, delivered_cb, NULL);
  g_task_set_task_data (task, delivery, delivery_free);
  g_task_run_in_thread (task, deliver_thread);
}

/* Routing. */

static gboolean
is_websocket_request (SoupServerMessage *msg)
{
  const char *upgrade = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Upgrade");

  return upgrade != NULL && g_ascii_strcasecmp (upgrade, "websocket") == 0;
}

static void
request_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  DpHttpService *self = data;
  const char *method = soup_server_message_get_method (msg);
  gboolean get = g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
  static const char *const status_members[] = { "nodes", "places", "connections", "jobs" };

  if (g_str_has_prefix (path, "/api/places/") && g_str_has_suffix (path, "/messages"))
    {
      g_autofree char *name = g_strndup (path + strlen ("/api/places/"),
                                         strlen (path) - strlen ("/api/places/") - strlen ("/messages"));

      if (!g_str_equal (method, "POST"))
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
          respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "POST a JSON message to %s", path);
          return;
        }
      post_message (self, msg, name, query);
      return;
    }

  if (!get)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "%s takes GET", path);
      return;
    }

  if (g_str_equal (path, "/") || g_str_equal (path, "/index.html"))
    serve_resource (msg, "index.html", "text/html; charset=utf-8");
  else if (g_str_equal (path, "/dashboard.js"))
    serve_resource (msg, "dashboard.js", "text/javascript; charset=utf-8");
  else if (g_str_equal (path, "/dashboard.css"))
    serve_resource (msg, "dashboard.css", "text/css; charset=utf-8");
  else if (g_str_equal (path, "/api/status"))
    serve_status (self, msg, NULL);
  else if (g_str_equal (path, "/api/metrics"))
    serve_status (self, msg, "metrics");
  else if (g_str_equal (path, "/api/logs"))
    {
      g_autoptr(GVariant) logs = dp_monitor_dup_logs (dp_monitor_get_default (), query_after (query));
      respond_member (msg, "logs", dp_http_events_to_json (NULL, logs));
    }
  else if (g_str_equal (path, "/api/events"))
    {
      g_autoptr(GVariant) events = NULL;

      /* The WebSocket handler takes it from here. */
      if (is_websocket_request (msg))
        return;
      events = dp_monitor_dup_events (dp_monitor_get_default (), query_after (query));
      respond_member (msg, "events", dp_http_events_to_json (self->system, events));
    }
  else
    {
      for (guint i = 0; i < G_N_ELEMENTS (status_members); i++)
        if (g_str_has_prefix (path, "/api/") && g_str_equal (path + strlen ("/api/"), status_members[i]))
          {
            serve_status (self, msg, status_members[i]);
            return;
          }
      respond_error (msg, SOUP_STATUS_NOT_FOUND, "Nothing at %s (see GET /api/status)", path);
    }
}

/* Live events. */

static void
send_to_sockets (DpHttpService *self,
                 JsonNode      *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  for (guint i = 0; i < self->sockets->len; i++)
    {
      SoupWebsocketConnection *socket = g_ptr_array_index (self->sockets, i);

      if (soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text (socket, text);
    }
}

typedef struct {
  Forwarder *forwarder;
  GVariant *event;
} Forwarding;

static void
forwarding_free (gpointer data)
{
  Forwarding *forwarding = data;

  forwarder_unref (forwarding->forwarder);
  g_variant_unref (forwarding->event);
  g_free (forwarding);
}

/* On the loop: an event, out to every socket. */
static gboolean
forward_event_cb (gpointer data)
{
  Forwarding *forwarding = data;
  g_autoptr(DpHttpService) self = g_weak_ref_get (&forwarding->forwarder->service);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *event;

  if (self == NULL || self->system == NULL || self->sockets->len == 0)
    return G_SOURCE_REMOVE;

  event = dp_http_object_from_vardict (forwarding->event);
  if (!g_str_equal (json_object_get_string_member_with_default (event, "kind", ""), DP_MONITOR_EVENT_LOG))
    dp_http_name_event (self->system, event);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, event);
  send_to_sockets (self, node);
  return G_SOURCE_REMOVE;
}

/* In whatever thread it happened: no logging here (the line would be an
 * event too), just a hop to the loop. */
static void
monitor_event_cb (DpMonitor *monitor,
                  GVariant  *event,
                  gpointer   data)
{
  Forwarder *forwarder = data;
  Forwarding *forwarding;

  if (g_atomic_int_get (&forwarder->n_sockets) == 0)
    return;

  forwarding = g_new0 (Forwarding, 1);
  forwarding->forwarder = forwarder_ref (forwarder);
  forwarding->event = g_variant_ref (event);
  g_main_context_invoke_full (forwarder->context, G_PRIORITY_DEFAULT, forward_event_cb, forwarding,
                              forwarding_free);
}

static void
refresh_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(DpHttpService) self = data;
  g_autoptr(JsonNode) status = dp_http_status_query_finish (result, NULL);

  self->refreshing = FALSE;
  if (status != NULL && self->sockets->len > 0)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "kind", "status");
      json_object_set_member (object, "status", g_steal_pointer (&status));
      json_node_set_object (node, object);
      send_to_sockets (self, node);
    }
}

static gboolean
refresh_cb (gpointer data)
{
  DpHttpService *self = data;

  if (self->sockets->len == 0 || self->system == NULL)
    {
      g_clear_pointer (&self->refresh, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  if (!self->refreshing)
    {
      self->refreshing = TRUE;
      dp_http_status_query_async (self->system, NULL, refresh_done_cb, g_object_ref (self));
    }
  return G_SOURCE_CONTINUE;
}

static void
socket_closed_cb (SoupWebsocketConnection *socket,
                  DpHttpService           *self)
{
  if (g_ptr_array_remove (self->sockets, socket))
    g_atomic_int_set (&self->forwarder->n_sockets, self->sockets->len);
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *socket,
              gpointer                 data)
{
  DpHttpService *self = data;
  g_autoptr(JsonObject) hello = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GVariant) status = dp_system_dup_status (self->system);
  const char *root = NULL;

  g_ptr_array_add (self->sockets, g_object_ref (socket));
  g_atomic_int_set (&self->forwarder->n_sockets, self->sockets->len);
  g_signal_connect_object (socket, "closed", G_CALLBACK (socket_closed_cb), self, 0);

  /* Says that from now on every event comes: a client may act on it. */
  g_variant_lookup (status, "name", "&s", &root);
  json_object_set_string_member (hello, "kind", "hello");
  json_object_set_string_member (hello, "root", root != NULL ? root : "");
  json_object_set_double_member (hello, "refresh_interval", self->refresh_interval);
  json_node_set_object (node, hello);
  {
    g_autofree char *text = json_to_string (node, FALSE);
    soup_websocket_connection_send_text (socket, text);
  }

  if (self->refresh == NULL && self->refresh_interval > 0)
    {
      self->refresh = g_timeout_source_new ((guint) (self->refresh_interval * 1000));
      g_source_set_static_name (self->refresh, "dp-http-refresh");
      g_source_set_callback (self->refresh, refresh_cb, self, NULL);
      g_source_attach (self->refresh, self->context);
      /* The first status at once. */
      refresh_cb (self);
    }
}

/* The service. */

static char *
ensure_token (GError **error)
{
  g_autoptr(GBytes) cookie = dp_cookie_get_process ();

  if (cookie == NULL)
    {
      cookie = dp_cookie_load (NULL, error);
      if (cookie == NULL)
        return NULL;
      dp_cookie_set_process (cookie);
    }
  return dp_cookie_derive_token (cookie, DP_HTTP_TOKEN_PURPOSE);
}

static gboolean
dp_http_service_start (DpService  *service,
                       DpSystem   *system,
                       GError    **error)
{
  DpHttpService *self = DP_HTTP_SERVICE (service);
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  GSList *listeners;
  gboolean ok;

  inet = g_inet_address_new_from_string (g_str_equal (self->address, "localhost") ? "127.0.0.1"
                                                                                  : self->address);
  if (inet == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_CONFIG,
                   "address: “%s” is not an IP address (127.0.0.1, 0.0.0.0, ::1, …)", self->address);
      return FALSE;
    }
  self->loopback = g_inet_address_get_is_loopback (inet);
  if (!self->loopback)
    {
      self->token = ensure_token (error);
      if (self->token == NULL)
        {
          g_prefix_error (error, "address: %s is not a loopback address, so requests need the "
                                 "cookie's token: ", self->address);
          return FALSE;
        }
    }

  self->system = system;
  self->context = g_main_context_ref (dp_node_get_context (dp_system_get_node (system)));
  self->server = soup_server_new ("server-header", "dplaces-http ", NULL);
  soup_server_add_early_handler (self->server, NULL, access_cb, self, NULL);
  soup_server_add_handler (self->server, NULL, request_cb, self, NULL);
  /* The WebSocket's path needs the plain handler too (GET without an
   * upgrade): libsoup picks one handler per path. */
  soup_server_add_handler (self->server, "/api/events", request_cb, self, NULL);
  soup_server_add_websocket_handler (self->server, "/api/events", NULL, NULL, websocket_cb, self, NULL);

  /* The server's sources go to the root node's loop. */
  address = g_inet_socket_address_new (inet, (guint16) self->port);
  g_main_context_push_thread_default (self->context);
  ok = soup_server_listen (self->server, address, 0, error);
  g_main_context_pop_thread_default (self->context);
  if (!ok)
    {
      g_prefix_error (error, "port: cannot listen on %s port %u: ", self->address, self->port);
      return FALSE;
    }

  /* Where it listens, from its socket (soup_server_get_uris() leaks an
   * address in libsoup 3.2). */
  listeners = soup_server_get_listeners (self->server);
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (local))
        {
          GInetSocketAddress *inet_local = G_INET_SOCKET_ADDRESS (local);
          g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet_local));

          self->port = g_inet_socket_address_get_port (inet_local);
          self->url = g_strdup_printf (strchr (host, ':') != NULL ? "http://[%s]:%u/" : "http://%s:%u/",
                                       host, self->port);
        }
    }
  g_slist_free (listeners);
  if (self->url == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "port: cannot tell where the server listens");
      return FALSE;
    }

  self->forwarder = g_new0 (Forwarder, 1);
  g_atomic_ref_count_init (&self->forwarder->ref_count);
  g_weak_ref_init (&self->forwarder->service, self);
  self->forwarder->context = g_main_context_ref (self->context);
  self->event_id = g_signal_connect_data (dp_monitor_get_default (), "event", G_CALLBACK (monitor_event_cb),
                                          forwarder_ref (self->forwarder), forwarder_closure_notify, 0);

  if (self->port_file != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%u\n", self->port);
      g_autofree char *path = dp_config_resolve_path (dp_system_get_config (system), self->port_file);

      if (!g_file_set_contents (path, text, -1, error))
        {
          g_prefix_error (error, "port-file: ");
          return FALSE;
        }
    }

  /* As a node says DPLACES-NODE-READY: whoever started us may wait for
   * it, and learn the port (port=0). */
  printf ("DPLACES-HTTP-READY %s\n", self->url);
  fflush (stdout);
  g_info ("control plane on %s%s", self->url, self->loopback ? "" : " (token required)");
  return TRUE;
}

static void
dp_http_service_stop (DpService *service)
{
  DpHttpService *self = DP_HTTP_SERVICE (service);

  if (self->event_id != 0)
    g_signal_handler_disconnect (dp_monitor_get_default (), self->event_id);
  self->event_id = 0;
  if (self->forwarder != NULL)
    g_atomic_int_set (&self->forwarder->n_sockets, 0);
  if (self->refresh != NULL)
    g_source_destroy (self->refresh);
  g_clear_pointer (&self->refresh, g_source_unref);
  for (guint i = 0; i < self->sockets->len; i++)
    {
      SoupWebsocketConnection *socket = g_ptr_array_index (self->sockets, i);

      g_signal_handlers_disconnect_by_data (socket, self);
      if (soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (socket, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "the system ended");
    }
  g_ptr_array_set_size (self->sockets, 0);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  self->system = NULL;
}

static void
dp_http_service_service_init (DpServiceInterface *iface)
{
  iface->start = dp_http_service_start;
  iface->stop = dp_http_service_stop;
}

static void
dp_http_service_finalize (GObject *object)
{
  DpHttpService *self = DP_HTTP_SERVICE (object);

  if (self->event_id != 0)
    g_signal_handler_disconnect (dp_monitor_get_default (), self->event_id);
  if (self->refresh != NULL)
    g_source_destroy (self->refresh);
  g_clear_pointer (&self->refresh, g_source_unref);
  g_clear_pointer (&self->forwarder, forwarder_unref);
  g_ptr_array_unref (self->sockets);
  g_clear_object (&self->server);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->address);
  g_free (self->port_file);
  g_free (self->url);
  g_free (self->token);

  G_OBJECT_CLASS (dp_http_service_parent_class)->finalize (object);
}

static void
dp_http_service_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DpHttpService *self = DP_HTTP_SERVICE (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;

    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;

    case PROP_PORT_FILE:
      g_value_set_string (value, self->port_file);
      break;

    case PROP_REFRESH_INTERVAL:
      g_value_set_double (value, self->refresh_interval);
      break;

    case PROP_REPLY_TIMEOUT:
      g_value_set_double (value, self->reply_timeout);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_http_service_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DpHttpService *self = DP_HTTP_SERVICE (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      g_free (self->address);
      self->address = g_value_dup_string (value);
      break;

    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;

    case PROP_PORT_FILE:
      g_free (self->port_file);
      self->port_file = g_value_dup_string (value);
      break;

    case PROP_REFRESH_INTERVAL:
      self->refresh_interval = g_value_get_double (value);
      break;

    case PROP_REPLY_TIMEOUT:
      self->reply_timeout = g_value_get_double (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_http_service_class_init (DpHttpServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_http_service_finalize;
  object_class->get_property = dp_http_service_get_property;
  object_class->set_property = dp_http_service_set_property;

  properties[PROP_ADDRESS] =
    g_param_spec_string ("address", NULL,
                         "The IP address to listen on. A loopback address (127.0.0.1, ::1) serves "
                         "this machine only; any other (0.0.0.0, a host's address) requires "
                         "“Authorization: Bearer TOKEN” on every request, TOKEN being derived from "
                         "the cookie (dplaces status --print-token)",
                         "127.0.0.1",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL,
                       "The TCP port; 0 lets the system pick one. Once listening, dplaces prints "
                       "“DPLACES-HTTP-READY URL” on its standard output",
                       0, 65535, 8340,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT_FILE] =
    g_param_spec_string ("port-file", NULL,
                         "A file to write the port to once listening (relative to the keyfile)",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REFRESH_INTERVAL] =
    g_param_spec_double ("refresh-interval", NULL,
                         "Seconds between the status updates sent on the /api/events WebSocket "
                         "(the dashboard's message rates); 0 sends none",
                         0, 3600, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_REPLY_TIMEOUT] =
    g_param_spec_double ("reply-timeout", NULL,
                         "Seconds POST /api/places/NAME/messages waits for the place's reply unless "
                         "the request says timeout=",
                         0, 3600, 5.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_http_service_class_finalize (DpHttpServiceClass *klass)
{
}

static void
dp_http_service_init (DpHttpService *self)
{
  self->sockets = g_ptr_array_new_with_free_func (g_object_unref);
}

void
dp_http_service_register (GTypeModule *module)
{
  dp_http_service_register_type (module);
}
