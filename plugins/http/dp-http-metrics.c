/* dp-http-metrics.c: a status in Prometheus' text exposition format
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-http"

#include <string.h>

#include "dp-http-status.h"

typedef struct {
  const char *name;
  const char *type;
  const char *help;
  const char *member;   /* in each object of the list */
} Metric;

static const Metric node_metrics[] = {
  { "dplaces_node_up", "gauge", "Whether the node answers the root (1) or not (0).", "answering" },
  { "dplaces_node_restarts_total", "counter", "How many times the node was spawned again after it died.", "restarts" },
  { "dplaces_node_places", "gauge", "Places running on the node.", "places" },
};

static const Metric place_metrics[] = {
  { "dplaces_place_up", "gauge", "Whether the place runs (1) or not (0).", "running" },
  { "dplaces_place_messages_in_total", "counter", "Messages the place got, on any channel (a processes place: on its own channel).", "messages_in" },
  { "dplaces_place_bytes_in_total", "counter", "Serialized bytes of the messages the place got from other processes (by reference inside one: none).", "bytes_in" },
  { "dplaces_place_messages_out_total", "counter", "Messages the place put, on any channel (a processes place: on its own channel).", "messages_out" },
  { "dplaces_place_bytes_out_total", "counter", "Serialized bytes of the messages the place put to other processes (by reference inside one: none).", "bytes_out" },
  { "dplaces_place_queue_depth", "gauge", "Messages waiting for the place to get them.", "queue" },
  { "dplaces_place_backlog", "gauge", "Messages from the place its creator has not got yet.", "backlog" },
  { "dplaces_place_restarts_total", "counter", "How many times the place was started again.", "restarts" },
};

static const Metric connection_metrics[] = {
  { "dplaces_connection_messages_in_total", "counter", "Messages (DATA frames) received on the connection.", "messages_in" },
  { "dplaces_connection_bytes_in_total", "counter", "Bytes received on the connection, frame headers included.", "bytes_in" },
  { "dplaces_connection_frames_in_total", "counter", "Frames received on the connection.", "frames_in" },
  { "dplaces_connection_messages_out_total", "counter", "Messages (DATA frames) sent on the connection.", "messages_out" },
  { "dplaces_connection_bytes_out_total", "counter", "Bytes sent on the connection, frame headers included.", "bytes_out" },
  { "dplaces_connection_frames_out_total", "counter", "Frames sent on the connection.", "frames_out" },
  { "dplaces_connection_queue_frames", "gauge", "Frames waiting for the connection's writer.", "queue" },
  { "dplaces_connection_queue_bytes", "gauge", "Bytes waiting for the connection's writer.", "queue_bytes" },
  { "dplaces_connection_channels", "gauge", "Channels open on the connection.", "channels" },
  { "dplaces_connection_waiting_puts", "gauge", "Puts waiting now for their channel's receiver to consume (a slow consumer).", "waiting_puts" },
  { "dplaces_connection_credit_waits_total", "counter", "Puts that waited for their channel's receiver to consume.", "credit_waits" },
};

static const Metric job_metrics[] = {
  { "dplaces_job_done", "gauge", "Units of work of the job done (MapReduce tasks, RMPI ranks finished).", "done" },
  { "dplaces_job_total", "gauge", "Units of work of the job in all.", "total" },
};

static void
append_label_value (GString    *out,
                    const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    if (*p == '\\' || *p == '"')
      g_string_append_c (out, '\\'), g_string_append_c (out, *p);
    else if (*p == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *p);
}

/* The labels of one series: each of @keys from @object, made unique
 * among the list's (two places of one name on one node get `#2`). */
static char *
series_labels (JsonObject        *object,
               const char *const *keys,
               GHashTable        *seen)
{
  GString *labels = g_string_new (NULL);
  guint n;

  for (guint i = 0; keys[i] != NULL; i += 2)
    {
      const char *value = json_object_get_string_member_with_default (object, keys[i + 1], "");

      g_string_append_printf (labels, "%s%s=\"", i > 0 ? "," : "", keys[i]);
      append_label_value (labels, value);
      g_string_append_c (labels, '"');
    }

  n = GPOINTER_TO_UINT (g_hash_table_lookup (seen, labels->str)) + 1;
  g_hash_table_replace (seen, g_strdup (labels->str), GUINT_TO_POINTER (n));
  if (n > 1)
    g_string_append_printf (labels, ",instance=\"%u\"", n);
  return g_string_free (labels, FALSE);
}

static void
append_metrics (GString           *out,
                JsonArray         *list,
                const Metric      *metrics,
                guint              n_metrics,
                const char *const *keys)
{
  guint length = list != NULL ? json_array_get_length (list) : 0;
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < length; i++)
    g_ptr_array_add (labels, series_labels (json_array_get_object_element (list, i), keys, seen));

  for (guint m = 0; m < n_metrics; m++)
    {
      g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", metrics[m].name, metrics[m].help,
                              metrics[m].name, metrics[m].type);
      for (guint i = 0; i < length; i++)
        g_string_append_printf (out, "%s{%s} %" G_GINT64_FORMAT "\n", metrics[m].name,
                                (const char *) g_ptr_array_index (labels, i),
                                dp_http_json_int_member (json_array_get_object_element (list, i), metrics[m].member));
    }
}

static JsonArray *
get_array (JsonObject *status,
           const char *member)
{
  return json_object_has_member (status, member) ? json_object_get_array_member (status, member) : NULL;
}

/**
 * dp_http_metrics_from_status:
 * @status: a status (dp_http_status_query_finish())
 *
 * Returns: (transfer full): the status in the Prometheus text format
 *   (version 0.0.4): the `dplaces_node_…`, `dplaces_place_…`,
 *   `dplaces_connection_…` and `dplaces_job_…` series (README.md)
 */
char *
dp_http_metrics_from_status (JsonObject *status)
{
  static const char *const node_keys[] = { "node", "name", NULL };
  static const char *const place_keys[] = { "node", "node", "place", "name", NULL };
  static const char *const connection_keys[] = { "node", "node", "peer", "peer", NULL };
  static const char *const job_keys[] = { "node", "node", "framework", "framework", "job", "id", NULL };
  GString *out = g_string_new (NULL);

  append_metrics (out, get_array (status, "nodes"), node_metrics, G_N_ELEMENTS (node_metrics), node_keys);
  append_metrics (out, get_array (status, "places"), place_metrics, G_N_ELEMENTS (place_metrics), place_keys);
  append_metrics (out, get_array (status, "connections"), connection_metrics,
                  G_N_ELEMENTS (connection_metrics), connection_keys);
  append_metrics (out, get_array (status, "jobs"), job_metrics, G_N_ELEMENTS (job_metrics), job_keys);
  return g_string_free (out, FALSE);
}
