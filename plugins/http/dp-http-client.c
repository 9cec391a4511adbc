/* dp-http-client.c: `dplaces status HOST:PORT [--json]` — a running
 * system's nodes, places, connections and jobs, from its control plane
 * (GET /api/status), with a libsoup client
 *
 * The dplaces host runs it from this plugin (tools/dp-status.c), as it
 * runs a processes place from the processes plugin: so the host, which
 * every node and every processes place starts, does not load libsoup.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces"

#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <dplaces/dplaces.h>

#include "dp-http-service.h"
#include "dp-http-status.h"

/* A table printed in aligned columns. */
typedef struct {
  guint n_columns;
  GPtrArray *cells;       /* char*, row after row, the header first */
} Table;

static void
table_init (Table              *table,
            const char * const *header)
{
  table->n_columns = g_strv_length ((char **) header);
  table->cells = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < table->n_columns; i++)
    g_ptr_array_add (table->cells, g_strdup (header[i]));
}

static void
table_add (Table      *table,
           const char *cell)
{
  g_ptr_array_add (table->cells, g_strdup (cell != NULL ? cell : ""));
}

G_GNUC_PRINTF (2, 3)
static void
table_addf (Table      *table,
            const char *format,
            ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (table->cells, g_strdup_vprintf (format, args));
  va_end (args);
}

/* A cell: @object's integer @member. */
static void
table_add_int (Table      *table,
               JsonObject *object,
               const char *member)
{
  table_addf (table, "%" G_GINT64_FORMAT, dp_http_json_int_member (object, member));
}

static void
table_print (Table      *table,
             const char *title)
{
  g_autofree guint *widths = g_new0 (guint, table->n_columns);
  guint n_rows = table->cells->len / table->n_columns;

  for (guint i = 0; i < table->cells->len; i++)
    widths[i % table->n_columns] = MAX (widths[i % table->n_columns],
                                        g_utf8_strlen (g_ptr_array_index (table->cells, i), -1));

  printf ("%s\n", title);
  if (n_rows <= 1)
    printf ("  (none)\n");
  else
    for (guint row = 0; row < n_rows; row++)
      {
        printf (" ");
        for (guint column = 0; column < table->n_columns; column++)
          {
            const char *cell = g_ptr_array_index (table->cells, row * table->n_columns + column);

            printf (" %s%*s", cell, (int) (widths[column] - g_utf8_strlen (cell, -1)), "");
          }
        printf ("\n");
      }
  printf ("\n");
  g_ptr_array_unref (table->cells);
}

static const char *
string_member (JsonObject *object,
               const char *member)
{
  return json_object_get_string_member_with_default (object, member, "");
}

static char *
format_bytes (gint64 bytes)
{
  return g_format_size_full ((guint64) MAX (bytes, 0), G_FORMAT_SIZE_IEC_UNITS);
}

static JsonArray *
array_member (JsonObject *object,
              const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
print_status (JsonObject *status)
{
  JsonArray *nodes = array_member (status, "nodes");
  JsonArray *places = array_member (status, "places");
  JsonArray *connections = array_member (status, "connections");
  JsonArray *jobs = array_member (status, "jobs");
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local ((gint64) json_object_get_double_member_with_default (status, "time", 0));
  g_autofree char *when = g_date_time_format (time, "%H:%M:%S");
  Table table;

  printf ("System of root node %s, at %s\n\n", string_member (status, "root"), when);

  {
    static const char *const header[] = { "NODE", "ADDRESS", "PID", "STATE", "PLACES", "CONNECTIONS",
                                          "RESTARTS", NULL };
    table_init (&table, header);
    for (guint i = 0; nodes != NULL && i < json_array_get_length (nodes); i++)
      {
        JsonObject *node = json_array_get_object_element (nodes, i);

        table_add (&table, string_member (node, "name"));
        table_add (&table, string_member (node, "address"));
        table_add_int (&table, node, "pid");
        table_add (&table, dp_http_json_int_member (node, "answering") ? "up"
                           : dp_http_json_int_member (node, "alive") ? "not answering" : "down");
        table_add_int (&table, node, "places");
        table_add_int (&table, node, "connections");
        table_add_int (&table, node, "restarts");
      }
    table_print (&table, "NODES");
  }

  {
    static const char *const header[] = { "PLACE", "NODE", "FUNCTION", "STATE", "RESTARTS", "MSGS IN",
                                          "MSGS OUT", "BYTES IN", "BYTES OUT", "QUEUE", NULL };
    table_init (&table, header);
    for (guint i = 0; places != NULL && i < json_array_get_length (places); i++)
      {
        JsonObject *place = json_array_get_object_element (places, i);
        g_autofree char *bytes_in = format_bytes (dp_http_json_int_member (place, "bytes_in"));
        g_autofree char *bytes_out = format_bytes (dp_http_json_int_member (place, "bytes_out"));

        table_add (&table, string_member (place, "name"));
        table_add (&table, string_member (place, "node"));
        table_add (&table, string_member (place, "function"));
        table_add (&table, string_member (place, "state"));
        table_add_int (&table, place, "restarts");
        table_add_int (&table, place, "messages_in");
        table_add_int (&table, place, "messages_out");
        table_add (&table, bytes_in);
        table_add (&table, bytes_out);
        table_add_int (&table, place, "queue");
      }
    table_print (&table, "PLACES");
  }

  {
    static const char *const header[] = { "NODE", "PEER", "TRANSPORT", "MSGS IN", "MSGS OUT", "BYTES IN",
                                          "BYTES OUT", "CHANNELS", "SEND QUEUE", NULL };
    table_init (&table, header);
    for (guint i = 0; connections != NULL && i < json_array_get_length (connections); i++)
      {
        JsonObject *connection = json_array_get_object_element (connections, i);
        g_autofree char *bytes_in = format_bytes (dp_http_json_int_member (connection, "bytes_in"));
        g_autofree char *bytes_out = format_bytes (dp_http_json_int_member (connection, "bytes_out"));

        table_add (&table, string_member (connection, "node"));
        table_add (&table, string_member (connection, "peer"));
        table_add (&table, string_member (connection, "transport"));
        table_add_int (&table, connection, "messages_in");
        table_add_int (&table, connection, "messages_out");
        table_add (&table, bytes_in);
        table_add (&table, bytes_out);
        table_add_int (&table, connection, "channels");
        table_add_int (&table, connection, "queue");
      }
    table_print (&table, "CONNECTIONS");
  }

  {
    static const char *const header[] = { "JOB", "FRAMEWORK", "NODE", "STATE", "PROGRESS", NULL };
    table_init (&table, header);
    for (guint i = 0; jobs != NULL && i < json_array_get_length (jobs); i++)
      {
        JsonObject *job = json_array_get_object_element (jobs, i);
        gint64 done = dp_http_json_int_member (job, "done"), total = dp_http_json_int_member (job, "total");

        table_add (&table, *string_member (job, "name") != '\0' ? string_member (job, "name")
                                                                : string_member (job, "id"));
        table_add (&table, string_member (job, "framework"));
        table_add (&table, string_member (job, "node"));
        table_add (&table, string_member (job, "state"));
        table_addf (&table, "%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " (%.0f%%)", done, total,
                    total > 0 ? 100.0 * done / total : 0.0);
      }
    table_print (&table, "JOBS");
  }
}

/* The token from a cookie: --cookie-file, or the default one if there
 * is one (none is made just to ask). */
static char *
token_from_cookie (const char  *cookie_file,
                   gboolean     create,
                   GError     **error)
{
  g_autofree char *path = cookie_file != NULL ? g_strdup (cookie_file) : dp_cookie_default_path ();
  g_autoptr(GBytes) cookie = NULL;

  if (!create && !g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  /* The default one is made on first use, as a node would. */
  cookie = dp_cookie_load (cookie_file, error);
  if (cookie == NULL)
    return NULL;
  return dp_cookie_derive_token (cookie, DP_HTTP_TOKEN_PURPOSE);
}

G_MODULE_EXPORT int dp_http_status_command (int    argc,
                                            char **argv);

int
dp_http_status_command (int    argc,
                        char **argv)
{
  gboolean json = FALSE;
  gboolean print_token = FALSE;
  g_autofree char *token = NULL;
  g_autofree char *cookie_file = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the status as the control plane's JSON", NULL },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token, "The control plane's token (by default derived from the cookie)", "TOKEN" },
    { "cookie-file", 0, 0, G_OPTION_ARG_FILENAME, &cookie_file, "Derive the token from this cookie", "FILE" },
    { "print-token", 0, 0, G_OPTION_ARG_NONE, &print_token, "Print the token a control plane off loopback wants, and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("HOST:PORT — a running system, from its control plane");
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *url = NULL;
  const char *target;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Asks the http plugin of a running system (its [http] group) for the nodes,\n"
    "places, connections, restarts and jobs, and prints them. On an address other\n"
    "than loopback the control plane wants a token derived from the cookie: it is\n"
    "sent when this machine has the cookie (--cookie-file, or the default one).");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces status: %s\n", error->message);
      return 2;
    }

  if (print_token)
    {
      g_autofree char *derived = token_from_cookie (cookie_file, TRUE, &error);

      if (derived == NULL)
        {
          g_printerr ("dplaces status: %s\n", error->message);
          return 1;
        }
      printf ("%s\n", derived);
      return 0;
    }

  if (argc != 2)
    {
      g_printerr ("Usage: dplaces status HOST:PORT [--json]\n");
      return 2;
    }
  target = argv[1];
  /* HOST:PORT, or the URL the control plane said it is on. */
  while (g_str_has_suffix (target, "/") && strlen (target) > 1)
    argv[1][strlen (target) - 1] = '\0';
  if (g_str_has_prefix (target, "http://") || g_str_has_prefix (target, "https://"))
    url = g_strdup_printf ("%s/api/status", target);
  else
    url = g_strdup_printf ("http://%s/api/status", target);

  if (token == NULL)
    {
      token = token_from_cookie (cookie_file, FALSE, &error);
      if (token == NULL && error != NULL)
        {
          g_printerr ("dplaces status: %s\n", error->message);
          return 1;
        }
    }

  message = soup_message_new ("GET", url);
  if (message == NULL)
    {
      g_printerr ("dplaces status: “%s” is not HOST:PORT\n", target);
      return 2;
    }
  if (token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);
    }

  session = soup_session_new_with_options ("timeout", 30, NULL);
  body = soup_session_send_and_read (session, message, NULL, &error);
  if (body == NULL)
    {
      g_printerr ("dplaces status: cannot reach %s: %s\n", url, error->message);
      return 1;
    }
  if (soup_message_get_status (message) != SOUP_STATUS_OK)
    {
      g_printerr ("dplaces status: %s answered %u %s: %.*s\n", url, soup_message_get_status (message),
                  soup_message_get_reason_phrase (message), (int) g_bytes_get_size (body),
                  (const char *) g_bytes_get_data (body, NULL));
      if (soup_message_get_status (message) == SOUP_STATUS_UNAUTHORIZED)
        g_printerr ("It wants the token: --token TOKEN (dplaces status --print-token, where the cookie is), "
                    "or --cookie-file FILE\n");
      return 1;
    }

  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_printerr ("dplaces status: %s did not answer with a status: %s\n", url,
                  error != NULL ? error->message : "not a JSON object");
      return 1;
    }

  if (json)
    {
      g_autofree char *text = json_to_string (json_parser_get_root (parser), TRUE);
      printf ("%s\n", text);
    }
  else
    print_status (json_node_get_object (json_parser_get_root (parser)));
  return 0;
}
