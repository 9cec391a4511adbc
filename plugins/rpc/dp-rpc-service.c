/* dp-rpc-service.c: the `rpc` service
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rpc"

#include <dplaces/dplaces.h>

#include "dp-rpc-directory.h"
#include "dp-rpc-service.h"

/* DpRpcService: what a keyfile's [rpc] group starts. The servers are
 * ordinary [place] groups (module=…, function=make_NAME, named=true for a
 * define-named-remote-server); the service puts to each client place a
 * directory of them (DP_RPC_DIRECTORY_TYPE) — what master.rkt has in its
 * variables bank-place and remote-node:
 *
 *  - for each server, a connection of the client's own over the system's
 *    channel to it (a DpConnection: the client's requests reach the
 *    server as (request, reply), so several clients share a private
 *    server without taking each other's answers, and the system keeps its
 *    channel — and its watch over the place);
 *  - for a named server, where to open more connections.
 *
 * When a server ends, the connections to it close, so a client's call
 * fails rather than waits. With exit-with-clients=true the system ends
 * once every client has. */

struct _DpRpcService
{
  GObject parent_instance;

  GStrv clients;
  GStrv servers;
  gboolean exit_with_clients;

  DpSystem *system;           /* not a reference: the system owns us */
  GHashTable *connections;    /* server name → GPtrArray of DpConnection* */
  guint n_running_clients;
  gboolean client_failed;
};

enum {
  PROP_0,
  PROP_CLIENTS,
  PROP_SERVERS,
  PROP_EXIT_WITH_CLIENTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_rpc_service_service_init (DpServiceInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpRpcService, dp_rpc_service, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_SERVICE,
                                                               dp_rpc_service_service_init))

/* Waiting for a server or a client place to end. */
typedef struct {
  DpRpcService *self;
  char *name;
  gboolean client;
} Watch;

static void
watch_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  Watch *watch = data;
  DpRpcService *self = watch->self;
  gint status;

  if (DP_IS_PLACE (object))
    status = dp_place_wait_finish (DP_PLACE (object), result, NULL);
  else
    status = dp_remote_connection_wait_finish (DP_REMOTE_CONNECTION (object), result, NULL);

  if (!watch->client)
    {
      GPtrArray *connections = g_hash_table_lookup (self->connections, watch->name);

      /* Calls under way on them fail now, and later ones at once. */
      g_debug ("RPC server %s ended: closing its %u connections", watch->name,
               connections != NULL ? connections->len : 0);
      for (guint i = 0; connections != NULL && i < connections->len; i++)
        dp_channel_close (g_ptr_array_index (connections, i));
    }
  else
    {
      if (status != 0)
        self->client_failed = TRUE;
      if (--self->n_running_clients == 0 && self->exit_with_clients && self->system != NULL)
        {
          g_debug ("every RPC client has ended: the system ends");
          dp_system_exit (self->system, self->client_failed ? 1 : 0);
        }
    }

  g_object_unref (watch->self);
  g_free (watch->name);
  g_free (watch);
}

/* Called with the node's context as thread default: the end is reported
 * on the node's loop. */
static void
watch_place (DpRpcService *self,
             DpChannel    *place,
             const char   *name,
             gboolean      client)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->self = g_object_ref (self);
  watch->name = g_strdup (name);
  watch->client = client;
  if (DP_IS_PLACE (place))
    dp_place_wait_async (DP_PLACE (place), NULL, watch_done_cb, watch);
  else
    dp_remote_connection_wait_async (DP_REMOTE_CONNECTION (place), NULL, watch_done_cb, watch);
}

static GVariant *
server_entry (DpRpcService  *self,
              DpSystem      *system,
              const char    *server)
{
  GKeyFile *key_file = dp_config_get_key_file (dp_system_get_config (system));
  g_autofree char *group = g_strconcat ("place ", server, NULL);
  DpChannel *place = dp_system_lookup_place (system, server);
  g_autoptr(DpConnection) connection = NULL;
  GPtrArray *connections;
  const char *host = "";
  guint port = 0;
  gboolean named = g_key_file_get_boolean (key_file, group, "named", NULL);

  if (DP_IS_REMOTE_CONNECTION (place))
    {
      DpRemoteNode *node = dp_remote_connection_get_node (DP_REMOTE_CONNECTION (place));

      host = dp_remote_node_get_host (node);
      port = dp_remote_node_get_listen_port (node);
    }
  else if (g_key_file_has_key (key_file, "dplaces", "listen-port", NULL))
    {
      host = "localhost";
      port = dp_node_get_listen_port (dp_system_get_node (system));
    }

  connection = dp_connection_new (place, server);
  connections = g_hash_table_lookup (self->connections, server);
  g_ptr_array_add (connections, g_object_ref (connection));

  return g_variant_new ("(@hsqs)", dp_channel_to_variant (DP_CHANNEL (connection)), host,
                        (guint16) port, named ? server : "");
}

static gboolean
dp_rpc_service_start (DpService  *service,
                      DpSystem   *system,
                      GError    **error)
{
  DpRpcService *self = DP_RPC_SERVICE (service);
  GMainContext *context = dp_node_get_context (dp_system_get_node (system));

  if (self->clients == NULL || self->clients[0] == NULL)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CONFIG,
                           "clients: name the places that call the servers");
      return FALSE;
    }
  for (guint i = 0; self->clients[i] != NULL; i++)
    if (dp_system_lookup_place (system, self->clients[i]) == NULL)
      {
        g_set_error (error, DP_ERROR, DP_ERROR_CONFIG,
                     "clients: no [place %s] in this keyfile", self->clients[i]);
        return FALSE;
      }
  for (guint i = 0; self->servers != NULL && self->servers[i] != NULL; i++)
    if (dp_system_lookup_place (system, self->servers[i]) == NULL)
      {
        g_set_error (error, DP_ERROR, DP_ERROR_CONFIG,
                     "servers: no [place %s] in this keyfile", self->servers[i]);
        return FALSE;
      }

  self->system = system;
  g_main_context_push_thread_default (context);

  for (guint i = 0; self->servers != NULL && self->servers[i] != NULL; i++)
    {
      g_hash_table_replace (self->connections, g_strdup (self->servers[i]),
                            g_ptr_array_new_with_free_func (g_object_unref));
      watch_place (self, dp_system_lookup_place (system, self->servers[i]), self->servers[i], FALSE);
    }

  for (guint i = 0; self->clients[i] != NULL; i++)
    {
      DpChannel *client = dp_system_lookup_place (system, self->clients[i]);
      g_autoptr(GError) put_error = NULL;
      GVariantBuilder servers;

      g_variant_builder_init (&servers, G_VARIANT_TYPE ("a{s(hsqs)}"));
      for (guint j = 0; self->servers != NULL && self->servers[j] != NULL; j++)
        g_variant_builder_add (&servers, "{s@(hsqs)}", self->servers[j],
                               server_entry (self, system, self->servers[j]));

      self->n_running_clients++;
      watch_place (self, client, self->clients[i], TRUE);
      if (!dp_channel_put (client, g_variant_new ("(sa{s(hsqs)})", DP_RPC_DIRECTORY_TAG, &servers),
                           &put_error) &&
          g_error_matches (put_error, DP_ERROR, DP_ERROR_PEER_DIED))
        {
          /* It ended before it could be told: its end counts like any
           * other client's, through the watch. */
          g_debug ("clients: %s ended before its directory: %s", self->clients[i],
                   put_error->message);
        }
      else if (put_error != NULL)
        {
          g_main_context_pop_thread_default (context);
          g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "clients: cannot reach place %s: %s",
                       self->clients[i], put_error->message);
          return FALSE;
        }
    }

  g_main_context_pop_thread_default (context);
  g_debug ("handed %u RPC servers to %u clients",
           self->servers != NULL ? g_strv_length (self->servers) : 0, g_strv_length (self->clients));
  return TRUE;
}

static void
dp_rpc_service_stop (DpService *service)
{
  DP_RPC_SERVICE (service)->system = NULL;
}

static void
dp_rpc_service_service_init (DpServiceInterface *iface)
{
  iface->start = dp_rpc_service_start;
  iface->stop = dp_rpc_service_stop;
}

static void
dp_rpc_service_finalize (GObject *object)
{
  DpRpcService *self = DP_RPC_SERVICE (object);

  g_strfreev (self->clients);
  g_strfreev (self->servers);
  g_hash_table_unref (self->connections);

  G_OBJECT_CLASS (dp_rpc_service_parent_class)->finalize (object);
}

static void
dp_rpc_service_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DpRpcService *self = DP_RPC_SERVICE (object);

  switch (prop_id)
    {
    case PROP_CLIENTS:
      g_value_set_boxed (value, self->clients);
      break;

    case PROP_SERVERS:
      g_value_set_boxed (value, self->servers);
      break;

    case PROP_EXIT_WITH_CLIENTS:
      g_value_set_boolean (value, self->exit_with_clients);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_rpc_service_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DpRpcService *self = DP_RPC_SERVICE (object);

  switch (prop_id)
    {
    case PROP_CLIENTS:
      g_strfreev (self->clients);
      self->clients = g_value_dup_boxed (value);
      break;

    case PROP_SERVERS:
      g_strfreev (self->servers);
      self->servers = g_value_dup_boxed (value);
      break;

    case PROP_EXIT_WITH_CLIENTS:
      self->exit_with_clients = g_value_get_boolean (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_rpc_service_class_init (DpRpcServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_rpc_service_finalize;
  object_class->get_property = dp_rpc_service_get_property;
  object_class->set_property = dp_rpc_service_set_property;

  properties[PROP_CLIENTS] =
    g_param_spec_boxed ("clients", NULL,
                        "The places (NAMEs of [place NAME] groups) that call the servers: each "
                        "gets the directory ('rpc-servers', {NAME: (connection, host, port, name)}) "
                        "as a message once the system has started",
                        G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVERS] =
    g_param_spec_boxed ("servers", NULL,
                        "The server places in the directory: a connection of the client's own to "
                        "each (how a private server is called) and, for a named one, where to open "
                        "more",
                        G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXIT_WITH_CLIENTS] =
    g_param_spec_boolean ("exit-with-clients", NULL,
                          "End the system once every client place has ended — the servers run "
                          "until then: with status 0, or 1 if a client failed",
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_rpc_service_class_finalize (DpRpcServiceClass *klass)
{
}

static void
dp_rpc_service_init (DpRpcService *self)
{
  self->connections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) g_ptr_array_unref);
}

void
dp_rpc_service_register (GTypeModule *module)
{
  dp_rpc_service_register_type (module);
}
