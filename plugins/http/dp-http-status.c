/* dp-http-status.c: a running system's status, as the control plane
 * shows it
 *
 * The root knows the system as its keyfile declares it
 * (dp_system_dup_status(): nodes, places, restarts); each node knows
 * what runs in it (dp_node_dup_status(): places with their traffic,
 * connections, jobs), and answers the root's status request
 * (dp_remote_node_query_status()). A status is all of them merged into
 * one JSON object: the root's and keyfile's view first, each node's own
 * view matched to it — a keyfile place on another node is the node's
 * place bound to the root's channel for it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-http"

#include <string.h>

#include "dp-http-status.h"

/* How long a node may take to answer before it shows as not answering. */
#define NODE_QUERY_TIMEOUT_USEC (2 * G_USEC_PER_SEC)

#define ROOT_NAME "root"

typedef struct {
  char *name;           /* the [node NAME], or host:port for a node spawned otherwise */
  char *address;        /* host:port */
  DpRemoteNode *node;
  GVariant *keyfile;    /* the system's entry for it, if any */
  GVariant *status;     /* its answer */
  char *error;          /* why there is none */
} NodeQuery;

typedef struct {
  GVariant *system;
  GVariant *root;
  GPtrArray *nodes;     /* NodeQuery* */
} StatusQuery;

static GVariant *lookup_list (GVariant   *dict,
                              const char *key);

static void
node_query_free (gpointer data)
{
  NodeQuery *query = data;

  g_free (query->name);
  g_free (query->address);
  g_clear_object (&query->node);
  g_clear_pointer (&query->keyfile, g_variant_unref);
  g_clear_pointer (&query->status, g_variant_unref);
  g_free (query->error);
  g_free (query);
}

static void
status_query_free (gpointer data)
{
  StatusQuery *query = data;

  g_clear_pointer (&query->system, g_variant_unref);
  g_clear_pointer (&query->root, g_variant_unref);
  g_ptr_array_unref (query->nodes);
  g_free (query);
}

static char *
node_address (DpRemoteNode *node)
{
  return g_strdup_printf ("%s:%u", dp_remote_node_get_host (node), dp_remote_node_get_listen_port (node));
}

static void
query_nodes_thread (GTask        *task,
                    gpointer      source,
                    gpointer      data,
                    GCancellable *cancellable)
{
  StatusQuery *query = data;

  /* One after the other: a node that does not answer costs its timeout,
   * and nodes answer in well under a millisecond otherwise. */
  for (guint i = 0; i < query->nodes->len; i++)
    {
      NodeQuery *node = g_ptr_array_index (query->nodes, i);
      g_autoptr(GError) error = NULL;

      if (node->node == NULL || !dp_remote_node_is_alive (node->node))
        {
          node->error = g_strdup ("not connected");
          continue;
        }
      node->status = dp_remote_node_query_status (node->node, NODE_QUERY_TIMEOUT_USEC, &error);
      if (node->status == NULL)
        node->error = g_strdup (error->message);
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * dp_http_status_query_async:
 * @system: a running system
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the status, in the thread-default context
 * @user_data: data for @callback
 *
 * Gathers the system's status: what the root knows, now (call this from
 * the root node's loop), and each node's answer, asked from a thread.
 */
void
dp_http_status_query_async (DpSystem            *system,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (system, cancellable, callback, user_data);
  g_autoptr(GPtrArray) spawned = dp_node_list_spawned_nodes (dp_system_get_node (system));
  StatusQuery *query = g_new0 (StatusQuery, 1);
  g_autoptr(GVariant) keyfile_nodes = NULL;
  GVariantIter iter;
  GVariant *entry;

  g_task_set_source_tag (task, dp_http_status_query_async);
  query->system = dp_system_dup_status (system);
  query->root = dp_node_dup_status (dp_system_get_node (system));
  query->nodes = g_ptr_array_new_with_free_func (node_query_free);

  keyfile_nodes = lookup_list (query->system, "nodes");
  g_variant_iter_init (&iter, keyfile_nodes);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      NodeQuery *node = g_new0 (NodeQuery, 1);
      const char *name = NULL;

      g_variant_lookup (entry, "name", "&s", &name);
      node->name = g_strdup (name);
      node->keyfile = entry;
      node->node = dp_system_lookup_node (system, name);
      if (node->node != NULL)
        {
          g_object_ref (node->node);
          node->address = node_address (node->node);
          g_ptr_array_remove (spawned, node->node);
        }
      g_ptr_array_add (query->nodes, node);
    }
  /* Nodes spawned otherwise: by a place, a framework. */
  for (guint i = 0; i < spawned->len; i++)
    {
      NodeQuery *node = g_new0 (NodeQuery, 1);

      node->node = g_object_ref (g_ptr_array_index (spawned, i));
      node->address = node_address (node->node);
      node->name = g_strdup (node->address);
      g_ptr_array_add (query->nodes, node);
    }

  g_task_set_task_data (task, query, status_query_free);
  g_task_run_in_thread (task, query_nodes_thread);
}

/* JSON helpers. */

static char *
json_key (const char *key)
{
  char *converted = g_strdup (key);

  g_strdelimit (converted, "-", '_');
  return converted;
}

/**
 * dp_http_json_int_member:
 * @object: a JSON object of the API
 * @member: a member's name
 *
 * Returns: @member's value as an integer (a boolean is 0 or 1, a double is
 *   truncated); 0 if it is absent or not a number
 */
gint64
dp_http_json_int_member (JsonObject *object,
                         const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  return 0;
}

/**
 * dp_http_object_from_vardict:
 * @dict: an `a{sv}`
 *
 * The dictionary as a JSON object, with its keys in the API's spelling
 * (`messages-in` becomes `messages_in`); wall-clock times in
 * microseconds (`time`, `started`) become seconds.
 *
 * Returns: (transfer full): the object
 */
JsonObject *
dp_http_object_from_vardict (GVariant *dict)
{
  JsonObject *object = json_object_new ();
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autofree char *name = json_key (key);

      if ((g_str_equal (key, "time") || g_str_equal (key, "started")) &&
          g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
        json_object_set_double_member (object, name, g_variant_get_int64 (value) / (double) G_USEC_PER_SEC);
      else
        json_object_set_member (object, name, json_gvariant_serialize (value));
      g_variant_unref (value);
    }
  return object;
}

static GVariant *
lookup_list (GVariant   *dict,
             const char *key)
{
  GVariant *list = dict != NULL ? g_variant_lookup_value (dict, key, G_VARIANT_TYPE ("aa{sv}")) : NULL;

  return list != NULL ? list : g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0));
}

static const char *
lookup_string (GVariant   *dict,
               const char *key)
{
  const char *value = NULL;

  if (dict == NULL || !g_variant_lookup (dict, key, "&s", &value))
    return "";
  return value;
}

/* The running places in a node's status. */
static guint
count_running (GVariant *status)
{
  g_autoptr(GVariant) places = lookup_list (status, "places");
  GVariantIter iter;
  GVariant *place;
  guint n = 0;

  g_variant_iter_init (&iter, places);
  while ((place = g_variant_iter_next_value (&iter)) != NULL)
    {
      gboolean running = FALSE;

      g_variant_lookup (place, "running", "b", &running);
      n += running;
      g_variant_unref (place);
    }
  return n;
}

static guint
count_entries (GVariant   *status,
               const char *key)
{
  g_autoptr(GVariant) list = lookup_list (status, key);

  return g_variant_n_children (list);
}

static JsonObject *
node_object (const char *name,
             GVariant   *keyfile,
             GVariant   *status,
             const char *address,
             gboolean    root,
             const char *error)
{
  JsonObject *object = json_object_new ();
  guint32 pid = 0, port = 0;
  gint32 spawned_pid = 0;
  gint64 started = 0;
  gboolean alive = root || status != NULL;
  guint restarts = 0;

  if (keyfile != NULL)
    {
      g_variant_lookup (keyfile, "alive", "b", &alive);
      g_variant_lookup (keyfile, "restarts", "u", &restarts);
      g_variant_lookup (keyfile, "listen-port", "u", &port);
      if (g_variant_lookup (keyfile, "pid", "i", &spawned_pid))
        pid = (guint32) spawned_pid;
    }
  if (status != NULL)
    {
      g_variant_lookup (status, "pid", "u", &pid);
      g_variant_lookup (status, "started", "x", &started);
      if (port == 0)
        g_variant_lookup (status, "listen-port", "u", &port);
    }

  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "address", address);
  json_object_set_string_member (object, "host",
                                 keyfile != NULL && *lookup_string (keyfile, "host") != '\0'
                                 ? lookup_string (keyfile, "host") : lookup_string (status, "host"));
  json_object_set_int_member (object, "port", port);
  json_object_set_int_member (object, "pid", pid);
  json_object_set_boolean_member (object, "root", root);
  json_object_set_boolean_member (object, "alive", alive);
  json_object_set_boolean_member (object, "answering", status != NULL);
  json_object_set_int_member (object, "restarts", restarts);
  if (started != 0)
    json_object_set_double_member (object, "started", started / (double) G_USEC_PER_SEC);
  json_object_set_int_member (object, "places", status != NULL ? count_running (status) : 0);
  json_object_set_int_member (object, "connections", status != NULL ? count_entries (status, "connections") : 0);
  json_object_set_int_member (object, "jobs", status != NULL ? count_entries (status, "jobs") : 0);
  if (error != NULL)
    json_object_set_string_member (object, "error", error);
  return object;
}

/* A node's places, as JSON objects not yet placed in the output. */
typedef struct {
  const char *node;     /* its name in the status */
  GPtrArray *places;    /* JsonObject* */
} NodePlaces;

static void
node_places_init (NodePlaces *places,
                  const char *node,
                  GVariant   *status)
{
  g_autoptr(GVariant) list = lookup_list (status, "places");
  GVariantIter iter;
  GVariant *entry;

  places->node = node;
  places->places = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      JsonObject *object = dp_http_object_from_vardict (entry);
      gboolean running = json_object_get_boolean_member_with_default (object, "running", FALSE);

      json_object_set_string_member (object, "node", node);
      json_object_set_string_member (object, "state", running ? "running" : "exited");
      json_object_set_boolean_member (object, "keyfile", FALSE);
      json_object_set_boolean_member (object, "supervised", FALSE);
      json_object_set_int_member (object, "restarts", 0);
      g_ptr_array_add (places->places, object);
      g_variant_unref (entry);
    }
}

/* Takes the node's place that stands for a keyfile place: on the root by
 * its name (the last one, a restarted place's newest instance); on
 * another node by the channel the root launched it on. */
static JsonObject *
take_place (NodePlaces *places,
            const char *name,
            const char *root_name,
            gint64      channel)
{
  for (guint i = places->places->len; i > 0; i--)
    {
      JsonObject *object = g_ptr_array_index (places->places, i - 1);
      gboolean match;

      if (channel < 0)
        match = g_strcmp0 (json_object_get_string_member_with_default (object, "name", ""), name) == 0 &&
                !json_object_has_member (object, "launched_by");
      else
        match = json_object_get_int_member_with_default (object, "channel", -1) == channel &&
                g_strcmp0 (json_object_get_string_member_with_default (object, "launched_by", ""),
                           root_name) == 0;
      if (match)
        {
          g_ptr_array_steal_index (places->places, i - 1);
          return object;
        }
    }
  return NULL;
}

static JsonObject *
keyfile_place_object (GVariant   *entry,
                      const char *node,
                      JsonObject *found)
{
  JsonObject *object = found != NULL ? found : json_object_new ();
  const char *state = lookup_string (entry, "state");
  gboolean flag = FALSE;
  guint restarts = 0;
  gint32 status = 0;

  json_object_set_string_member (object, "name", lookup_string (entry, "name"));
  json_object_set_string_member (object, "node", node);
  json_object_set_boolean_member (object, "keyfile", TRUE);
  if (!json_object_has_member (object, "module") || *lookup_string (entry, "module") != '\0')
    json_object_set_string_member (object, "module", lookup_string (entry, "module"));
  if (!json_object_has_member (object, "function") || *lookup_string (entry, "function") != '\0')
    json_object_set_string_member (object, "function", lookup_string (entry, "function"));
  g_variant_lookup (entry, "named", "b", &flag);
  json_object_set_boolean_member (object, "named", flag);
  flag = FALSE;
  g_variant_lookup (entry, "supervised", "b", &flag);
  json_object_set_boolean_member (object, "supervised", flag);
  g_variant_lookup (entry, "restarts", "u", &restarts);
  json_object_set_int_member (object, "restarts", restarts);

  /* The root says best whether it is being restarted or ended; the node,
   * whether the instance it runs is alive. */
  if (found == NULL || !g_str_equal (state, "running"))
    {
      json_object_set_string_member (object, "state", state);
      json_object_set_boolean_member (object, "running", g_str_equal (state, "running"));
    }
  if (g_variant_lookup (entry, "exit-status", "i", &status))
    {
      json_object_set_int_member (object, "exit_status", status);
      json_object_set_string_member (object, "exit_reason", lookup_string (entry, "exit-reason"));
    }

  if (found == NULL)
    {
      static const char *const zeros[] = { "messages_in", "bytes_in", "messages_out", "bytes_out",
                                           "queue", "backlog" };

      json_object_set_string_member (object, "backend", "");
      for (guint i = 0; i < G_N_ELEMENTS (zeros); i++)
        json_object_set_int_member (object, zeros[i], 0);
    }
  return object;
}

static void
add_listed (JsonArray  *out,
            GVariant   *status,
            const char *key,
            const char *node)
{
  g_autoptr(GVariant) list = lookup_list (status, key);
  GVariantIter iter;
  GVariant *entry;

  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      JsonObject *object = dp_http_object_from_vardict (entry);

      json_object_set_string_member (object, "node", node);
      json_array_add_object_element (out, object);
      g_variant_unref (entry);
    }
}

static JsonNode *
build_status (StatusQuery *query)
{
  g_autoptr(JsonObject) status = json_object_new ();
  g_autoptr(GVariant) keyfile_places = lookup_list (query->system, "places");
  const char *root_name = lookup_string (query->system, "name");
  JsonArray *nodes = json_array_new ();
  JsonArray *places = json_array_new ();
  JsonArray *connections = json_array_new ();
  JsonArray *jobs = json_array_new ();
  NodePlaces *by_node = g_new0 (NodePlaces, query->nodes->len + 1);
  GVariantIter iter;
  GVariant *entry;
  JsonNode *node;

  json_object_set_double_member (status, "time", g_get_real_time () / (double) G_USEC_PER_SEC);
  json_object_set_string_member (status, "root", root_name);

  /* Nodes: the root, then the keyfile's, then any other. */
  json_array_add_object_element (nodes, node_object (ROOT_NAME, NULL, query->root,
                                                     lookup_string (query->root, "name"), TRUE, NULL));
  node_places_init (&by_node[0], ROOT_NAME, query->root);
  add_listed (connections, query->root, "connections", ROOT_NAME);
  add_listed (jobs, query->root, "jobs", ROOT_NAME);
  for (guint i = 0; i < query->nodes->len; i++)
    {
      NodeQuery *queried = g_ptr_array_index (query->nodes, i);

      json_array_add_object_element (nodes, node_object (queried->name, queried->keyfile, queried->status,
                                                         queried->address != NULL ? queried->address : "",
                                                         FALSE, queried->error));
      node_places_init (&by_node[i + 1], queried->name, queried->status);
      add_listed (connections, queried->status, "connections", queried->name);
      add_listed (jobs, queried->status, "jobs", queried->name);
    }

  /* Places: the keyfile's, matched to what their nodes say, in keyfile
   * order; then the others each node runs. */
  g_variant_iter_init (&iter, keyfile_places);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *node_name = lookup_string (entry, "node");
      NodePlaces *on = NULL;
      JsonObject *found = NULL;
      guint32 channel = 0;

      if (*node_name == '\0')
        on = &by_node[0];
      else
        for (guint i = 0; i < query->nodes->len; i++)
          if (g_strcmp0 (by_node[i + 1].node, node_name) == 0)
            on = &by_node[i + 1];
      if (on != NULL)
        found = *node_name == '\0'
                ? take_place (on, lookup_string (entry, "name"), root_name, -1)
                : (g_variant_lookup (entry, "channel", "u", &channel)
                   ? take_place (on, NULL, root_name, channel) : NULL);
      json_array_add_object_element (places, keyfile_place_object (entry, *node_name == '\0' ? ROOT_NAME
                                                                                              : node_name,
                                                                   found));
      g_variant_unref (entry);
    }
  for (guint i = 0; i < query->nodes->len + 1; i++)
    {
      for (guint j = 0; j < by_node[i].places->len; j++)
        json_array_add_object_element (places, json_object_ref (g_ptr_array_index (by_node[i].places, j)));
      g_ptr_array_unref (by_node[i].places);
    }
  g_free (by_node);

  json_object_set_array_member (status, "nodes", nodes);
  json_object_set_array_member (status, "places", places);
  json_object_set_array_member (status, "connections", connections);
  json_object_set_array_member (status, "jobs", jobs);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, status);
  return node;
}

/**
 * dp_http_status_query_finish:
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the status, a JSON object: `time`, `root`
 *   (the root node's name), `nodes`, `places`, `connections`, `jobs`
 *   (arrays of objects; see README.md)
 */
JsonNode *
dp_http_status_query_finish (GAsyncResult  *result,
                             GError       **error)
{
  GTask *task = G_TASK (result);

  if (!g_task_propagate_boolean (task, error))
    return NULL;
  return build_status (g_task_get_task_data (task));
}

/* Events. */

/* Says which [node NAME] and [place NAME] an event is about, when the
 * core could only say host:port and a channel id. */
void
dp_http_name_event (DpSystem   *system,
                    JsonObject *event)
{
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GVariant) nodes = NULL;
  g_autoptr(GVariant) places = NULL;
  const char *address = json_object_get_string_member_with_default (event, "node", NULL);
  const char *node_name = NULL;
  GVariantIter iter;
  GVariant *entry;

  if (address == NULL)
    return;

  status = dp_system_dup_status (system);
  if (g_str_equal (address, lookup_string (status, "name")))
    {
      json_object_set_string_member (event, "node_name", ROOT_NAME);
      return;
    }

  nodes = lookup_list (status, "nodes");
  g_variant_iter_init (&iter, nodes);
  while (node_name == NULL && (entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      DpRemoteNode *node = dp_system_lookup_node (system, lookup_string (entry, "name"));
      g_autofree char *its_address = node != NULL ? node_address (node) : NULL;

      if (g_strcmp0 (its_address, address) == 0)
        node_name = g_intern_string (lookup_string (entry, "name"));
      g_variant_unref (entry);
    }
  if (node_name == NULL)
    return;
  json_object_set_string_member (event, "node_name", node_name);

  /* A keyfile place by its launch, which outlives its restarts. */
  if (!json_object_has_member (event, "launch"))
    return;
  places = lookup_list (status, "places");
  g_variant_iter_init (&iter, places);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      guint32 launch = 0;

      if (g_str_equal (lookup_string (entry, "node"), node_name) &&
          g_variant_lookup (entry, "launch", "u", &launch) &&
          launch == json_object_get_int_member_with_default (event, "launch", -1))
        json_object_set_string_member (event, "place", lookup_string (entry, "name"));
      g_variant_unref (entry);
    }
}

/**
 * dp_http_events_to_json:
 * @system: the system
 * @events: (nullable): an `aa{sv}` of monitor events
 *
 * Returns: (transfer full): a JSON array of the events, named
 *   ([func@Dp.http_name_event])
 */
JsonNode *
dp_http_events_to_json (DpSystem *system,
                        GVariant *events)
{
  JsonArray *array = json_array_new ();
  JsonNode *node;
  GVariantIter iter;
  GVariant *entry;

  if (events != NULL)
    {
      g_variant_iter_init (&iter, events);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          JsonObject *event = dp_http_object_from_vardict (entry);

          if (system != NULL && !g_str_equal (json_object_get_string_member_with_default (event, "kind", ""), "log"))
            dp_http_name_event (system, event);
          json_array_add_object_element (array, event);
          g_variant_unref (entry);
        }
    }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  return node;
}
