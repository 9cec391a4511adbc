/* test-http.c: the control plane (plugins/http) against running systems
 *
 * Each case runs `dplaces run` on a keyfile with an [http] group on port
 * 0 — the root and its nodes real processes on the loopback interface —
 * waits for its DPLACES-HTTP-READY line, and talks to it with a libsoup
 * client: the JSON of each endpoint, the errors, the WebSocket of events,
 * the token off loopback, `dplaces status`, and the dashboard in Debian's
 * headless Chromium. Nothing here sleeps to wait: it waits for lines,
 * events and processes, with a deadline that fails the test.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <net/if.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <dplaces/dplaces.h>

#include "test-nodes.h"

/* How long anything may take before the test fails. */
#define DEADLINE_SECONDS 30

#define CHROMIUM "/usr/bin/chromium"

/* The nodes and places most cases run: two nodes, a named echo server,
 * a place that answers on its channel, and one that ends on demand. */
static const char *const base_keyfile =
  "[dplaces]\n"
  "exit-when-idle=false\n"
  "cookie-file=cookie\n"
  "\n"
  "[node alpha]\n"
  "host=localhost\n"
  "listen-port=0\n"
  "\n"
  "[node beta]\n"
  "host=localhost\n"
  "listen-port=0\n"
  "\n"
  "[place echo]\n"
  "node=alpha\n"
  "module=http-places\n"
  "function=http_echo\n"
  "named=true\n"
  "\n"
  "[place counter]\n"
  "module=http-places\n"
  "function=http_counter\n"
  "\n"
  "[place quitter]\n"
  "node=alpha\n"
  "module=http-places\n"
  "function=http_quitter\n"
  "\n"
  "[place beta-counter]\n"
  "node=beta\n"
  "module=http-places\n"
  "function=http_counter\n";

/* A running `dplaces run`. */
typedef struct {
  char *dir;                /* keyfile, cookie, logs */
  char *keyfile;
  GSubprocess *process;
  GDataInputStream *out;
  GDataInputStream *err;
  GString *stdout_text;
  GString *stderr_text;
  gboolean out_done;
  gboolean err_done;
  gboolean exited;
  char *url;                /* http://ADDRESS:PORT/ */
  char *token;              /* the cookie's, for a control plane off loopback */
  SoupSession *session;
} System;

/* Waiting, with a deadline. */

static gboolean
deadline_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until *@flag or the deadline. */
static gboolean
wait_for_flag (gboolean *flag)
{
  return test_iterate_until (NULL, flag, DEADLINE_SECONDS * 1000);
}

/* The system's output. */

static void read_next_line (System *system, gboolean err);

static void
line_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  System *system = data;
  gboolean err = G_DATA_INPUT_STREAM (source) == system->err;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                                     NULL, NULL);

  if (line == NULL)
    {
      if (err)
        system->err_done = TRUE;
      else
        system->out_done = TRUE;
      return;
    }

  g_string_append_printf (err ? system->stderr_text : system->stdout_text, "%s\n", line);
  if (!err && system->url == NULL && g_str_has_prefix (line, "DPLACES-HTTP-READY "))
    system->url = g_strdup (line + strlen ("DPLACES-HTTP-READY "));
  read_next_line (system, err);
}

static void
read_next_line (System   *system,
                gboolean  err)
{
  g_data_input_stream_read_line_async (err ? system->err : system->out, G_PRIORITY_DEFAULT, NULL,
                                       line_read_cb, system);
}

static void
write_cookie (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "cookie", NULL);
  g_autofree char *cookie = g_strdup_printf ("%08x%08x%08x%08x", g_random_int (), g_random_int (),
                                             g_random_int (), g_random_int ());

  g_assert_true (g_file_set_contents_full (path, cookie, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
}

static char *
token_of (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "cookie", NULL);
  g_autoptr(GBytes) cookie = dp_cookie_load (path, NULL);

  g_assert_nonnull (cookie);
  return dp_cookie_derive_token (cookie, "dplaces-http-token");
}

static void
process_waited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) data = TRUE;
}

/* A system outlives no test: if the test dies, it is told to stop. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Runs @keyfile (text, in a directory of its own with a cookie) and
 * waits until its control plane listens. */
static System *
system_start (const char *keyfile)
{
  System *system = g_new0 (System, 1);
  g_autoptr(GError) error = NULL;
  const char *argv[4];

  system->dir = g_dir_make_tmp ("test-http-XXXXXX", &error);
  g_assert_no_error (error);
  write_cookie (system->dir);
  system->token = token_of (system->dir);
  system->keyfile = g_build_filename (system->dir, "system.ini", NULL);
  g_assert_true (g_file_set_contents (system->keyfile, keyfile, -1, NULL));

  argv[0] = g_getenv ("DPLACES_BIN");
  argv[1] = "run";
  argv[2] = system->keyfile;
  argv[3] = NULL;
  g_assert_nonnull (argv[0]);
  {
    g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);

    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
    system->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  }
  g_assert_no_error (error);

  g_subprocess_wait_async (system->process, NULL, process_waited_cb, &system->exited);
  system->stdout_text = g_string_new (NULL);
  system->stderr_text = g_string_new (NULL);
  system->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (system->process));
  system->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (system->process));
  read_next_line (system, FALSE);
  read_next_line (system, TRUE);

  /* Its ready line, or its end. */
  {
    gboolean timed_out = FALSE;
    guint id = g_timeout_add_seconds (DEADLINE_SECONDS, deadline_cb, &timed_out);

    while (system->url == NULL && !system->out_done && !timed_out)
      g_main_context_iteration (NULL, TRUE);
    if (!timed_out)
      g_source_remove (id);
  }
  if (system->url == NULL)
    g_error ("dplaces run did not say DPLACES-HTTP-READY:\n%s\n%s", system->stdout_text->str,
             system->stderr_text->str);

  system->session = soup_session_new_with_options ("timeout", DEADLINE_SECONDS, NULL);
  g_test_message ("control plane on %s", system->url);
  return system;
}

/* Interrupts the system and waits for it; returns its exit status. */
static gint
system_interrupt (System *system,
                  int     signum)
{
  if (!system->exited)
    {
      g_subprocess_send_signal (system->process, signum);
      if (!wait_for_flag (&system->exited))
        {
          g_subprocess_force_exit (system->process);
          g_error ("dplaces run did not end on signal %d", signum);
        }
    }
  /* Everything it wrote, too. */
  while (!system->out_done || !system->err_done)
    g_main_context_iteration (NULL, TRUE);

  return g_subprocess_get_if_exited (system->process) ? g_subprocess_get_exit_status (system->process) : -1;
}

static void
system_free (System *system)
{
  system_interrupt (system, SIGTERM);
  if (g_test_failed ())
    g_printerr ("dplaces run said:\n%s\n%s\n", system->stdout_text->str, system->stderr_text->str);

  test_remove_tree (system->dir);
  g_clear_object (&system->session);
  g_object_unref (system->out);
  g_object_unref (system->err);
  g_object_unref (system->process);
  g_string_free (system->stdout_text, TRUE);
  g_string_free (system->stderr_text, TRUE);
  g_free (system->dir);
  g_free (system->keyfile);
  g_free (system->url);
  g_free (system->token);
  g_free (system);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (System, system_free)

static char *
keyfile_with_http (const char *http_group)
{
  return g_strconcat (base_keyfile, "\n", http_group, NULL);
}

/* HTTP. */

typedef struct {
  guint status;
  char *content_type;
  char *body;
} Response;

static void
response_free (Response *response)
{
  g_free (response->content_type);
  g_free (response->body);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static Response *
request (System     *system,
         const char *method,
         const char *path,
         const char *body,
         const char *token)
{
  g_autofree char *url = g_strconcat (system->url, path[0] == '/' ? path + 1 : path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  Response *response = g_new0 (Response, 1);

  g_assert_nonnull (message);
  if (body != NULL)
    {
      g_autoptr(GBytes) request_body = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (message, "application/json", request_body);
    }
  if (token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);
    }

  bytes = soup_session_send_and_read (system->session, message, NULL, &error);
  g_assert_no_error (error);
  response->status = soup_message_get_status (message);
  response->content_type = g_strdup (soup_message_headers_get_content_type (soup_message_get_response_headers (message),
                                                                            NULL));
  response->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return response;
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* GET @path, expecting 200 and a JSON object. */
static JsonNode *
get_json (System     *system,
          const char *path)
{
  g_autoptr(Response) response = request (system, "GET", path, NULL, NULL);

  if (response->status != 200)
    g_error ("GET %s: %u %s", path, response->status, response->body);
  g_assert_cmpstr (response->content_type, ==, "application/json");
  return parse_json (response->body);
}

static JsonArray *
member_array (JsonNode   *node,
              const char *member)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_assert_true (json_object_has_member (json_node_get_object (node), member));
  return json_object_get_array_member (json_node_get_object (node), member);
}

static JsonObject *
find_object (JsonArray  *array,
             const char *member,
             const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (object, member, NULL), value) == 0)
        return object;
    }
  return NULL;
}

static void
assert_members (JsonObject         *object,
                const char * const *members)
{
  for (guint i = 0; members[i] != NULL; i++)
    if (!json_object_has_member (object, members[i]))
      g_error ("no “%s” in %s", members[i], json_to_string (json_node_init_object (json_node_alloc (), object), FALSE));
}

static void
assert_error_body (Response   *response,
                   const char *contains)
{
  g_autoptr(JsonNode) node = parse_json (response->body);
  const char *error;

  g_assert_cmpstr (response->content_type, ==, "application/json");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  error = json_object_get_string_member_with_default (json_node_get_object (node), "error", NULL);
  g_assert_nonnull (error);
  if (contains != NULL && strstr (error, contains) == NULL)
    g_error ("error “%s” does not say “%s”", error, contains);
}

/* The WebSocket of events. */

typedef struct {
  SoupSession *session;
  SoupWebsocketConnection *connection;
  GPtrArray *events;        /* JsonObject* */
  gboolean hello;
} Events;

static void
events_message_cb (SoupWebsocketConnection *connection,
                   gint                     type,
                   GBytes                  *message,
                   Events                  *events)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  g_autoptr(JsonNode) node = parse_json (text);
  JsonObject *event;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  event = json_node_get_object (node);
  if (g_strcmp0 (json_object_get_string_member_with_default (event, "kind", ""), "hello") == 0)
    events->hello = TRUE;
  g_ptr_array_add (events->events, json_object_ref (event));
}

static void
events_connected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  Events *events = data;
  g_autoptr(GError) error = NULL;

  events->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  g_signal_connect (events->connection, "message", G_CALLBACK (events_message_cb), events);
}

/* Connects to /api/events and waits for its hello: from then on every
 * event comes. */
static Events *
events_connect (System *system)
{
  Events *events = g_new0 (Events, 1);
  g_autofree char *url = g_strconcat (system->url, "api/events", NULL);
  g_autoptr(SoupMessage) message = NULL;

  url[0] = 'w', url[1] = 's';
  memmove (url + 2, url + 4, strlen (url + 4) + 1);   /* http:// → ws:// */
  message = soup_message_new ("GET", url);
  events->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  events->session = soup_session_new ();
  soup_session_websocket_connect_async (events->session, message, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        events_connected_cb, events);
  if (!wait_for_flag (&events->hello))
    g_error ("no hello on %s", url);
  return events;
}

static void
events_free (Events *events)
{
  if (events->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (events->connection, events);
      if (soup_websocket_connection_get_state (events->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (events->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (events->connection);
    }
  g_object_unref (events->session);
  g_ptr_array_unref (events->events);
  g_free (events);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Events, events_free)

typedef gboolean (*EventMatch) (JsonObject *event, gpointer data);

/* Waits for an event @match accepts; returns it. */
static JsonObject *
events_wait (Events     *events,
             EventMatch  match,
             gpointer    data,
             const char *what)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (DEADLINE_SECONDS, deadline_cb, &timed_out);
  guint seen = 0;

  for (;;)
    {
      for (; seen < events->events->len; seen++)
        if (match (g_ptr_array_index (events->events, seen), data))
          {
            if (!timed_out)
              g_source_remove (id);
            return g_ptr_array_index (events->events, seen);
          }
      if (timed_out)
        g_error ("no event: %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
is_kind_about (JsonObject *event,
               const char *kind,
               const char *member,
               const char *value)
{
  return g_strcmp0 (json_object_get_string_member_with_default (event, "kind", ""), kind) == 0 &&
         g_strcmp0 (json_object_get_string_member_with_default (event, member, ""), value) == 0;
}

static gboolean
quitter_exited (JsonObject *event,
                gpointer    data)
{
  return is_kind_about (event, "place-exit", "place", "quitter");
}

static gboolean
beta_down (JsonObject *event,
           gpointer    data)
{
  return is_kind_about (event, "node-down", "node_name", "beta");
}

static gboolean
status_with_done_job (JsonObject *event,
                      gpointer    data)
{
  JsonArray *jobs;

  if (g_strcmp0 (json_object_get_string_member_with_default (event, "kind", ""), "status") != 0)
    return FALSE;
  jobs = json_object_get_array_member (json_object_get_object_member (event, "status"), "jobs");
  for (guint i = 0; i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = json_array_get_object_element (jobs, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (job, "state", ""), "done") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (job, "framework", ""), data) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The cases. */

static void
test_nodes (void)
{
  g_autofree char *keyfile = keyfile_with_http ("[http]\nport=0\n");
  g_autoptr(System) system = system_start (keyfile);
  g_autoptr(JsonNode) node = get_json (system, "/api/nodes");
  JsonArray *nodes = member_array (node, "nodes");
  static const char *const members[] = { "name", "address", "host", "port", "pid", "root", "alive",
                                         "answering", "restarts", "places", "connections", "jobs",
                                         "started", NULL };
  static const char *const names[] = { "root", "alpha", "beta" };

  g_assert_cmpuint (json_array_get_length (nodes), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonObject *entry = json_array_get_object_element (nodes, i);

      assert_members (entry, members);
      g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, names[i]);
      g_assert_true (json_object_get_boolean_member (entry, "alive"));
      g_assert_true (json_object_get_boolean_member (entry, "answering"));
      g_assert_cmpint (json_object_get_int_member (entry, "pid"), >, 0);
      g_assert_cmpint (json_object_get_boolean_member (entry, "root"), ==, i == 0);
      if (i > 0)
        {
          g_assert_cmpint (json_object_get_int_member (entry, "port"), >, 0);
          g_assert_true (g_str_has_prefix (json_object_get_string_member (entry, "address"), "localhost:"));
        }
    }
  /* alpha runs echo and quitter; beta runs beta-counter; the root counter. */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (nodes, 0), "places"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (nodes, 1), "places"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (nodes, 2), "places"), ==, 1);

  /* Clean end on SIGINT. */
  g_assert_cmpint (system_interrupt (system, SIGINT), ==, 0);
}

static void
test_places (void)
{
  /* And a place in a process of its own. */
  g_autofree char *keyfile = keyfile_with_http ("[place proc-counter]\nmodule=http-places\n"
                                                "function=http_counter\nbackend=processes\n\n"
                                                "[http]\nport=0\n");
  g_autoptr(System) system = system_start (keyfile);
  g_autoptr(JsonNode) before = get_json (system, "/api/places");
  g_autoptr(JsonNode) after = NULL;
  static const char *const members[] = { "name", "node", "module", "function", "backend", "named", "keyfile",
                                         "supervised", "state", "running", "restarts", "messages_in",
                                         "bytes_in", "messages_out", "bytes_out", "queue", "backlog", NULL };
  static const struct { const char *name, *node, *function; gboolean named; } expected[] = {
    { "echo", "alpha", "http_echo", TRUE },
    { "counter", "root", "http_counter", FALSE },
    { "quitter", "alpha", "http_quitter", FALSE },
    { "beta-counter", "beta", "http_counter", FALSE },
  };
  JsonArray *places = member_array (before, "places");
  JsonObject *counter;
  gint64 in_before, out_before;

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      JsonObject *place = json_array_get_object_element (places, i);

      assert_members (place, members);
      g_assert_cmpstr (json_object_get_string_member (place, "name"), ==, expected[i].name);
      g_assert_cmpstr (json_object_get_string_member (place, "node"), ==, expected[i].node);
      g_assert_cmpstr (json_object_get_string_member (place, "function"), ==, expected[i].function);
      g_assert_cmpstr (json_object_get_string_member (place, "module"), ==, "http-places");
      g_assert_cmpstr (json_object_get_string_member (place, "backend"), ==, "threads");
      g_assert_cmpstr (json_object_get_string_member (place, "state"), ==, "running");
      g_assert_true (json_object_get_boolean_member (place, "keyfile"));
      g_assert_cmpint (json_object_get_boolean_member (place, "named"), ==, expected[i].named);
      g_assert_cmpint (json_object_get_int_member (place, "restarts"), ==, 0);
    }

  /* Two messages to the root's counter: it got two, and answered two. */
  counter = find_object (places, "name", "counter");
  in_before = json_object_get_int_member (counter, "messages_in");
  out_before = json_object_get_int_member (counter, "messages_out");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(Response) response = request (system, "POST", "/api/places/counter/messages", "{\"n\": 1}", NULL);
      g_assert_cmpuint (response->status, ==, 200);
    }
  after = get_json (system, "/api/places");
  counter = find_object (member_array (after, "places"), "name", "counter");
  g_assert_cmpint (json_object_get_int_member (counter, "messages_in"), ==, in_before + 2);
  g_assert_cmpint (json_object_get_int_member (counter, "messages_out"), ==, out_before + 2);
  /* Passed by reference inside the root: no bytes moved. */
  g_assert_cmpint (json_object_get_int_member (counter, "bytes_in"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (counter, "queue"), ==, 0);

  /* The same on another node. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/beta-counter/messages", "[1, 2, 3]", NULL);
    g_autoptr(JsonNode) later = NULL;
    JsonObject *beta_counter;

    g_assert_cmpuint (response->status, ==, 200);
    later = get_json (system, "/api/places");
    beta_counter = find_object (member_array (later, "places"), "name", "beta-counter");
    g_assert_cmpint (json_object_get_int_member (beta_counter, "messages_in"), >=, 1);
    g_assert_cmpint (json_object_get_int_member (beta_counter, "messages_out"), >=, 1);
    /* What crossed to beta and back, serialized. */
    g_assert_cmpint (json_object_get_int_member (beta_counter, "bytes_in"), >, 0);
    g_assert_cmpint (json_object_get_int_member (beta_counter, "bytes_out"), >, 0);
  }

  /* A processes place: counted at its creator's end of its channel, and
   * its socket pair among the root's connections. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(Response) response = request (system, "POST", "/api/places/proc-counter/messages", "\"hi\"", NULL);
      g_assert_cmpuint (response->status, ==, 200);
    }
  {
    g_autoptr(JsonNode) later = get_json (system, "/api/status");
    JsonObject *proc = find_object (member_array (later, "places"), "name", "proc-counter");
    JsonObject *socket = find_object (member_array (later, "connections"), "peer", "place proc-counter");

    g_assert_cmpstr (json_object_get_string_member (proc, "backend"), ==, "processes");
    g_assert_cmpint (json_object_get_int_member (proc, "messages_in"), ==, 3);
    g_assert_cmpint (json_object_get_int_member (proc, "messages_out"), ==, 3);
    g_assert_cmpint (json_object_get_int_member (proc, "bytes_in"), >, 0);
    g_assert_nonnull (socket);
    g_assert_cmpstr (json_object_get_string_member (socket, "transport"), ==, "unix");
    g_assert_cmpstr (json_object_get_string_member (socket, "node"), ==, "root");
    g_assert_cmpint (json_object_get_int_member (socket, "messages_out"), ==, 3);
    g_assert_cmpint (json_object_get_int_member (socket, "messages_in"), ==, 3);
  }
}

static void
test_connections (void)
{
  g_autofree char *keyfile = keyfile_with_http ("[http]\nport=0\n");
  g_autoptr(System) system = system_start (keyfile);
  g_autoptr(JsonNode) nodes = get_json (system, "/api/nodes");
  g_autoptr(JsonNode) node = get_json (system, "/api/connections");
  JsonArray *connections = member_array (node, "connections");
  static const char *const members[] = { "node", "peer", "transport", "frames_in", "messages_in", "bytes_in",
                                         "frames_out", "messages_out", "bytes_out", "queue", "queue_bytes",
                                         "channels", "waiting_puts", "credit_waits", "closed", NULL };
  guint from_root = 0;

  g_assert_cmpuint (json_array_get_length (connections), >=, 4);
  for (guint i = 0; i < json_array_get_length (connections); i++)
    {
      JsonObject *connection = json_array_get_object_element (connections, i);

      assert_members (connection, members);
      g_assert_cmpstr (json_object_get_string_member (connection, "transport"), ==, "tcp");
      g_assert_false (json_object_get_boolean_member (connection, "closed"));
      if (g_str_equal (json_object_get_string_member (connection, "node"), "root"))
        {
          /* To alpha or beta, by the address /api/nodes gives them. */
          const char *peer = json_object_get_string_member (connection, "peer");

          g_assert_nonnull (find_object (member_array (nodes, "nodes"), "address", peer));
          g_assert_cmpint (json_object_get_int_member (connection, "frames_out"), >, 0);
          g_assert_cmpint (json_object_get_int_member (connection, "bytes_in"), >, 0);
          from_root++;
        }
    }
  g_assert_cmpuint (from_root, ==, 2);
}

static void
test_logs (void)
{
  g_autofree char *keyfile = keyfile_with_http ("[http]\nport=0\n");
  g_autoptr(System) system = system_start (keyfile);
  g_autoptr(JsonNode) node = get_json (system, "/api/logs");
  JsonArray *logs = member_array (node, "logs");
  gboolean found = FALSE;
  gint64 last_seq = 0;

  for (guint i = 0; i < json_array_get_length (logs); i++)
    {
      JsonObject *line = json_array_get_object_element (logs, i);
      static const char *const members[] = { "seq", "time", "kind", "level", "domain", "message", NULL };

      assert_members (line, members);
      g_assert_cmpstr (json_object_get_string_member (line, "kind"), ==, "log");
      g_assert_cmpint (json_object_get_int_member (line, "seq"), >, last_seq);
      last_seq = json_object_get_int_member (line, "seq");
      if (strstr (json_object_get_string_member (line, "message"), "control plane on") != NULL)
        found = TRUE;
    }
  g_assert_true (found);

  /* after= leaves out what was seen. */
  {
    g_autofree char *path = g_strdup_printf ("/api/logs?after=%" G_GINT64_FORMAT, last_seq);
    g_autoptr(JsonNode) newer = get_json (system, path);

    for (guint i = 0; i < json_array_get_length (member_array (newer, "logs")); i++)
      g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (member_array (newer, "logs"), i),
                                                   "seq"), >, last_seq);
  }

  /* The lifecycle events so far: each node up, each place started. */
  {
    g_autoptr(JsonNode) events = get_json (system, "/api/events");
    JsonArray *list = member_array (events, "events");
    guint nodes_up = 0, starts = 0;

    for (guint i = 0; i < json_array_get_length (list); i++)
      {
        JsonObject *event = json_array_get_object_element (list, i);
        const char *kind = json_object_get_string_member (event, "kind");

        nodes_up += g_str_equal (kind, "node-up");
        starts += g_str_equal (kind, "place-start");
      }
    g_assert_cmpuint (nodes_up, ==, 2);
    g_assert_cmpuint (starts, ==, 4);
    g_assert_nonnull (find_object (list, "node_name", "alpha"));
  }
}

static void
test_metrics (void)
{
  g_autofree char *keyfile = keyfile_with_http ("[http]\nport=0\n");
  g_autoptr(System) system = system_start (keyfile);
  g_autoptr(Response) response = request (system, "GET", "/api/metrics", NULL, NULL);
  static const char *const expected[] = {
    "# TYPE dplaces_node_up gauge\n",
    "dplaces_node_up{node=\"root\"} 1\n",
    "dplaces_node_up{node=\"alpha\"} 1\n",
    "dplaces_node_up{node=\"beta\"} 1\n",
    "# TYPE dplaces_place_messages_in_total counter\n",
    "dplaces_place_messages_in_total{node=\"alpha\",place=\"echo\"} ",
    "dplaces_place_bytes_out_total{node=\"root\",place=\"counter\"} ",
    "dplaces_place_queue_depth{node=\"beta\",place=\"beta-counter\"} 0\n",
    "dplaces_place_restarts_total{node=\"alpha\",place=\"quitter\"} 0\n",
    "# TYPE dplaces_connection_bytes_out_total counter\n",
    "dplaces_connection_messages_in_total{node=\"root\",peer=\"localhost:",
    "# TYPE dplaces_connection_queue_frames gauge\n",
  };

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_true (g_str_has_prefix (response->content_type, "text/plain"));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    if (strstr (response->body, expected[i]) == NULL)
      g_error ("no “%s” in the metrics:\n%s", expected[i], response->body);

  /* Every line is a comment or NAME{LABELS} NUMBER. */
  {
    g_auto(GStrv) lines = g_strsplit (response->body, "\n", -1);
    g_autoptr(GRegex) sample = g_regex_new ("^dplaces_[a-z_]+\\{[^}]*\\} -?[0-9]+$", 0, 0, NULL);

    for (guint i = 0; lines[i] != NULL; i++)
      if (lines[i][0] != '\0' && lines[i][0] != '#' && !g_regex_match (sample, lines[i], 0, NULL))
        g_error ("not a sample: %s", lines[i]);
  }
}

static void
test_status (void)
{
  g_autofree char *keyfile = keyfile_with_http ("[http]\nport=0\n");
  g_autoptr(System) system = system_start (keyfile);
  g_autoptr(JsonNode) node = get_json (system, "/api/status");
  static const char *const members[] = { "time", "root", "nodes", "places", "connections", "jobs", NULL };

  assert_members (json_node_get_object (node), members);
  g_assert_cmpuint (json_array_get_length (member_array (node, "nodes")), ==, 3);
  g_assert_cmpuint (json_array_get_length (member_array (node, "places")), ==, 4);
  g_assert_cmpuint (json_array_get_length (member_array (node, "jobs")), ==, 0);

  /* A path that is not there, and a method that is not. */
  {
    g_autoptr(Response) response = request (system, "GET", "/api/nothing", NULL, NULL);
    g_assert_cmpuint (response->status, ==, 404);
    assert_error_body (response, NULL);
  }
  {
    g_autoptr(Response) response = request (system, "DELETE", "/api/nodes", NULL, NULL);
    g_assert_cmpuint (response->status, ==, 405);
    assert_error_body (response, NULL);
  }
}

static void
test_post (void)
{
  g_autofree char *keyfile = keyfile_with_http ("[http]\nport=0\n");
  g_autoptr(System) system = system_start (keyfile);

  /* A named place, through a connection: ('echo', message). */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages",
                                            "{\"greeting\": \"hello\", \"n\": 3}", NULL);
    g_autoptr(JsonNode) node = NULL;
    JsonObject *object;
    JsonArray *reply;

    g_assert_cmpuint (response->status, ==, 200);
    node = parse_json (response->body);
    object = json_node_get_object (node);
    g_assert_cmpstr (json_object_get_string_member (object, "place"), ==, "echo");
    g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "(sv)");
    reply = json_object_get_array_member (object, "reply");
    g_assert_cmpstr (json_array_get_string_element (reply, 0), ==, "echo");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (reply, 1), "greeting"),
                     ==, "hello");
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (reply, 1), "n"), ==, 3);
  }

  /* A type signature: the place gets a (si), not an av. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/counter/messages?type=(si)",
                                            "[\"x\", 7]", NULL);
    g_autoptr(JsonNode) node = NULL;

    g_assert_cmpuint (response->status, ==, 200);
    node = parse_json (response->body);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "text"), ==,
                     "('count', uint64 1, <('x', 7)>)");
  }

  /* Without waiting for a reply. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/beta-counter/messages?reply=false",
                                            "1", NULL);
    g_assert_cmpuint (response->status, ==, 202);
  }

  /* Bad JSON: 400, saying why. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages", "{\"a\": ", NULL);
    g_assert_cmpuint (response->status, ==, 400);
    assert_error_body (response, "Bad JSON");
  }
  /* JSON that does not fit the type. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages?type=i", "\"seven\"", NULL);
    g_assert_cmpuint (response->status, ==, 400);
    assert_error_body (response, "of type i");
  }
  /* Not a type at all. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages?type=(q", "1", NULL);
    g_assert_cmpuint (response->status, ==, 400);
    assert_error_body (response, "not a definite GVariant type");
  }

  /* A channel: a handle from JSON would be read as one of the node's own
   * channels. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages?type=(sh)",
                                            "[\"x\", 0]", NULL);
    g_assert_cmpuint (response->status, ==, 400);
    assert_error_body (response, "cannot carry a channel");
  }
  /* JSON nested deeper than a parser's stack: json-glib parses
   * recursively, and this body crashed the root node. */
  {
    gsize depth = 200000;
    g_autofree char *deep = g_malloc (2 * depth + 1);
    g_autoptr(Response) response = NULL;

    memset (deep, '[', depth);
    memset (deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    response = request (system, "POST", "/api/places/echo/messages", deep, NULL);
    g_assert_cmpuint (response->status, ==, 400);
    assert_error_body (response, "nest deeper");
  }
  /* A type longer than a message type may be on the wire. */
  {
    g_autoptr(GString) path = g_string_new ("/api/places/echo/messages?type=(");
    g_autoptr(Response) response = NULL;

    for (guint i = 0; i < 300; i++)
      g_string_append_c (path, 'i');
    g_string_append_c (path, ')');
    response = request (system, "POST", path->str, "[]", NULL);
    g_assert_cmpuint (response->status, ==, 400);
    assert_error_body (response, "at most 255");
  }
  /* Two values: json-glib took the first and leaked the second. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages", "[1] [2]", NULL);
    g_assert_cmpuint (response->status, ==, 400);
    assert_error_body (response, "more than one value");
  }
  /* A string that is not UTF-8, by an escape JSON does not have (octal):
   * json-glib failed without an error, and the root node crashed. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages",
                                            "[\"a\", \"b\\700\"]", NULL);
    g_assert_cmpuint (response->status, ==, 400);
    assert_error_body (response, "not valid UTF-8");
  }
  /* An object path or a signature that is not one, and a dictionary
   * keyed by them: json-glib failed with a critical (found by fuzzing;
   * fatal where criticals are). And good ones still make messages. */
  {
    static const struct {
      const char *type;
      const char *body;
      guint status;
      const char *error;
    } cases[] = {
      { "ao", "[\"a\", \"/b\"]", 400, "“a” is not an object path" },
      { "(sg)", "[\"x\", \"((\"]", 400, "“((” is not a signature" },
      { "a%7Bos%7D", "{\"/a\": \"x\"}", 400, "keyed by object paths" },
      { "%7Bgs%7D", "{\"i\": \"x\"}", 400, "keyed by signatures" },
      { "(aog)", "[[\"/a\", \"/b/c\"], \"a{sv}\"]", 200, NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *path = g_strdup_printf ("/api/places/echo/messages?type=%s", cases[i].type);
        g_autoptr(Response) response = request (system, "POST", path, cases[i].body, NULL);

        g_assert_cmpuint (response->status, ==, cases[i].status);
        if (cases[i].error != NULL)
          assert_error_body (response, cases[i].error);
      }
  }
  /* A timeout that is not one: negative would wait for ever. */
  {
    static const char *const timeouts[] = { "-1", "nan", "inf", "1e300", "soon" };

    for (guint i = 0; i < G_N_ELEMENTS (timeouts); i++)
      {
        g_autofree char *path = g_strdup_printf ("/api/places/echo/messages?timeout=%s", timeouts[i]);
        g_autoptr(Response) response = request (system, "POST", path, "1", NULL);

        g_assert_cmpuint (response->status, ==, 400);
        assert_error_body (response, "timeout=");
      }
  }
  /* And the system still answers. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages", "1", NULL);
    g_assert_cmpuint (response->status, ==, 200);
  }

  /* No such place: 404. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/nowhere/messages", "1", NULL);
    g_assert_cmpuint (response->status, ==, 404);
    assert_error_body (response, "No place named “nowhere”");
  }
  /* No such named place on a node: the node refuses the connection, a
   * DP_ERROR_NOT_FOUND, and that is a 404 whichever it meets. Waiting for
   * a reply, usually the get (the put went out before the refusal came
   * back), else the put; without one, always the put — the control plane
   * has the node confirm the connection first, so the refusal is there
   * by then (it was a 202, or a 410 when the refusal won the race). */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/nowhere/messages?node=beta", "1", NULL);
    g_assert_cmpuint (response->status, ==, 404);
    assert_error_body (response, "No place named “nowhere”");
  }
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/nowhere/messages?node=beta&reply=false",
                                            "1", NULL);
    g_assert_cmpuint (response->status, ==, 404);
    assert_error_body (response, "Cannot put to place “nowhere”: No place named “nowhere”");
  }
  /* A named place found by its node, with a reply and without. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages?node=alpha", "true", NULL);
    g_assert_cmpuint (response->status, ==, 200);
  }
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages?node=alpha&reply=false",
                                            "true", NULL);
    g_assert_cmpuint (response->status, ==, 202);
  }
  /* GET on it: 405. */
  {
    g_autoptr(Response) response = request (system, "GET", "/api/places/echo/messages", NULL, NULL);
    g_assert_cmpuint (response->status, ==, 405);
    assert_error_body (response, NULL);
  }
}

static void
test_events (void)
{
  g_autofree char *keyfile = keyfile_with_http ("[http]\nport=0\nrefresh-interval=0\n");
  g_autoptr(System) system = system_start (keyfile);
  g_autoptr(Events) events = events_connect (system);
  JsonObject *event;

  /* A place that ends. */
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/quitter/messages?reply=false",
                                            "\"quit\"", NULL);
    g_assert_cmpuint (response->status, ==, 202);
  }
  event = events_wait (events, quitter_exited, NULL, "place-exit of quitter");
  g_assert_cmpstr (json_object_get_string_member (event, "node_name"), ==, "alpha");
  g_assert_cmpint (json_object_get_int_member (event, "status"), ==, 3);
  g_assert_true (json_object_has_member (event, "seq"));
  g_assert_true (json_object_has_member (event, "time"));

  /* A node that is killed. */
  {
    g_autoptr(JsonNode) nodes = get_json (system, "/api/nodes");
    JsonObject *beta = find_object (member_array (nodes, "nodes"), "name", "beta");
    gint64 pid = json_object_get_int_member (beta, "pid");

    g_assert_cmpint (pid, >, 0);
    g_assert_cmpint (kill ((pid_t) pid, SIGKILL), ==, 0);
  }
  event = events_wait (events, beta_down, NULL, "node-down of beta");
  g_assert_nonnull (strstr (json_object_get_string_member (event, "reason"), "SIGKILL"));
  g_assert_false (json_object_get_boolean_member (event, "restarting"));

  /* Since then: beta is down, its place too, quitter ended. */
  {
    g_autoptr(JsonNode) status = get_json (system, "/api/status");
    JsonObject *beta = find_object (member_array (status, "nodes"), "name", "beta");
    JsonObject *quitter = find_object (member_array (status, "places"), "name", "quitter");

    g_assert_false (json_object_get_boolean_member (beta, "alive"));
    g_assert_false (json_object_get_boolean_member (beta, "answering"));
    g_assert_cmpstr (json_object_get_string_member (quitter, "state"), ==, "exited");
    g_assert_cmpint (json_object_get_int_member (quitter, "exit_status"), ==, 3);
  }
}

/* A non-loopback IPv4 address of this machine, or NULL. */
static char *
find_outside_address (void)
{
  struct ifaddrs *addresses = NULL;
  char *found = NULL;

  if (getifaddrs (&addresses) < 0)
    return NULL;
  for (struct ifaddrs *a = addresses; a != NULL && found == NULL; a = a->ifa_next)
    if (a->ifa_addr != NULL && a->ifa_addr->sa_family == AF_INET && (a->ifa_flags & IFF_UP) &&
        !(a->ifa_flags & IFF_LOOPBACK))
      {
        g_autoptr(GSocketAddress) address = g_socket_address_new_from_native (a->ifa_addr,
                                                                               sizeof (struct sockaddr_in));
        GInetAddress *inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));

        if (!g_inet_address_get_is_loopback (inet))
          found = g_inet_address_to_string (inet);
      }
  freeifaddrs (addresses);
  return found;
}

static void
test_token (void)
{
  g_autofree char *address = find_outside_address ();
  g_autofree char *http = NULL;
  g_autofree char *keyfile = NULL;
  g_autoptr(System) system = NULL;

  if (address == NULL)
    {
      g_test_skip ("this machine has no address but loopback");
      return;
    }
  http = g_strdup_printf ("[http]\naddress=%s\nport=0\n", address);
  keyfile = keyfile_with_http (http);
  system = system_start (keyfile);
  g_assert_true (g_str_has_prefix (system->url, "http://"));
  g_assert_nonnull (strstr (system->url, address));

  /* No token: 401, saying what is wanted, for the API and the dashboard. */
  {
    g_autoptr(Response) response = request (system, "GET", "/api/nodes", NULL, NULL);
    g_assert_cmpuint (response->status, ==, 401);
    assert_error_body (response, "Authorization: Bearer");
  }
  {
    g_autoptr(Response) response = request (system, "GET", "/", NULL, NULL);
    g_assert_cmpuint (response->status, ==, 401);
  }
  {
    g_autoptr(Response) response = request (system, "POST", "/api/places/echo/messages", "1", NULL);
    g_assert_cmpuint (response->status, ==, 401);
  }
  /* A wrong one. */
  {
    g_autoptr(Response) response = request (system, "GET", "/api/nodes", NULL,
                                            "0000000000000000000000000000000000000000000000000000000000000000");
    g_assert_cmpuint (response->status, ==, 401);
    assert_error_body (response, "Wrong token");
  }
  /* The cookie's. */
  {
    g_autoptr(Response) response = request (system, "GET", "/api/nodes", NULL, system->token);
    g_autoptr(JsonNode) node = NULL;

    g_assert_cmpuint (response->status, ==, 200);
    node = parse_json (response->body);
    g_assert_cmpuint (json_array_get_length (member_array (node, "nodes")), ==, 3);
  }
  /* ?token= for a browser. */
  {
    g_autofree char *path = g_strdup_printf ("/api/logs?token=%s", system->token);
    g_autoptr(Response) response = request (system, "GET", path, NULL, NULL);
    g_assert_cmpuint (response->status, ==, 200);
  }
}

static void
test_jobs (void)
{
  const char *source_root = g_getenv ("DP_SOURCE_ROOT");
  g_autofree char *inputs = NULL;
  g_autofree char *keyfile = NULL;
  g_autoptr(System) system = NULL;
  g_autoptr(Events) events = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *job;

  g_assert_nonnull (source_root);
  inputs = g_strdup_printf ("%s/data/examples/wordcount/w0.txt;%s/data/examples/wordcount/w1.txt;"
                            "%s/data/examples/wordcount/w2.txt;%s/data/examples/wordcount/w3.txt",
                            source_root, source_root, source_root, source_root);
  keyfile = g_strdup_printf ("[dplaces]\nexit-when-idle=false\ncookie-file=cookie\n\n"
                             "[mapreduce]\nworkers=localhost:0;localhost:0\nmodule=wordcount\n"
                             "mapper=mapper\nreducer=reducer\ninput-files=%s\n\n"
                             "[http]\nport=0\nrefresh-interval=0.2\n", inputs);
  system = system_start (keyfile);
  events = events_connect (system);

  /* The WebSocket's status shows the job done, tasks and all. */
  events_wait (events, status_with_done_job, "mapreduce", "a status with the job done");

  node = get_json (system, "/api/jobs");
  g_assert_cmpuint (json_array_get_length (member_array (node, "jobs")), ==, 1);
  job = json_array_get_object_element (member_array (node, "jobs"), 0);
  {
    static const char *const members[] = { "node", "framework", "id", "name", "state", "done", "total",
                                           "tasks_total", "tasks_done", "seconds", NULL };
    assert_members (job, members);
  }
  g_assert_cmpstr (json_object_get_string_member (job, "node"), ==, "root");
  g_assert_cmpstr (json_object_get_string_member (job, "framework"), ==, "mapreduce");
  g_assert_cmpstr (json_object_get_string_member (job, "state"), ==, "done");
  g_assert_cmpint (json_object_get_int_member (job, "total"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (job, "done"), ==, 4);

  /* And for Prometheus. */
  {
    g_autoptr(Response) response = request (system, "GET", "/api/metrics", NULL, NULL);
    g_assert_nonnull (strstr (response->body, "dplaces_job_done{node=\"root\",framework=\"mapreduce\",job=\"mapreduce-1\"} 4\n"));
  }
}

static void
test_jobs_rmpi (void)
{
  g_autoptr(System) system = NULL;
  g_autoptr(Events) events = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *job;

  system = system_start ("[dplaces]\nexit-when-idle=false\ncookie-file=cookie\n\n"
                         "[rmpi]\nhosts=localhost;localhost\nranks-per-host=1\nmodule=kmeans\n"
                         "function=kmeans_place\n"
                         "args=(uint32 2000, uint32 3, uint32 2, uint32 5, uint64 7)\n"
                         "exit-when-done=false\nprint-result=false\n\n"
                         "[http]\nport=0\nrefresh-interval=0.2\n");
  events = events_connect (system);
  events_wait (events, status_with_done_job, "rmpi", "a status with the RMPI job done");

  node = get_json (system, "/api/jobs");
  job = find_object (member_array (node, "jobs"), "framework", "rmpi");
  g_assert_nonnull (job);
  {
    static const char *const members[] = { "node", "id", "name", "state", "done", "total", "ranks",
                                           "ranks_ready", "seconds", NULL };
    assert_members (job, members);
  }
  g_assert_cmpstr (json_object_get_string_member (job, "node"), ==, "root");
  g_assert_cmpstr (json_object_get_string_member (job, "name"), ==, "kmeans:kmeans_place");
  g_assert_cmpint (json_object_get_int_member (job, "ranks"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (job, "ranks_ready"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (job, "done"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (job, "total"), ==, 2);
}

static char *
run_status_command (System      *system,
                    const char  *option,
                    gint        *out_status)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  const char *argv[] = { g_getenv ("DPLACES_BIN"), "status", system->url, option, NULL };

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  *out_status = g_subprocess_get_exit_status (process);
  return out;
}

static void
test_status_command (void)
{
  g_autofree char *keyfile = keyfile_with_http ("[http]\nport=0\n");
  g_autoptr(System) system = system_start (keyfile);
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) node = NULL;
  gint status = -1;
  static const char *const expected[] = { "NODES", "PLACES", "CONNECTIONS", "JOBS", " alpha ", " beta ",
                                          " root ", "echo", "beta-counter", "http_quitter", NULL };

  text = run_status_command (system, NULL, &status);
  g_assert_cmpint (status, ==, 0);
  for (guint i = 0; expected[i] != NULL; i++)
    if (strstr (text, expected[i]) == NULL)
      g_error ("no “%s” in:\n%s", expected[i], text);

  json = run_status_command (system, "--json", &status);
  g_assert_cmpint (status, ==, 0);
  node = parse_json (json);
  g_assert_cmpuint (json_array_get_length (member_array (node, "nodes")), ==, 3);
}

/* The dashboard of data/examples/dashboard.ini in headless Chromium: the
 * three nodes listed once its script has run, and a screenshot kept. */
static char *
run_chromium (System      *system,
              const char  *profile,
              const char  *action)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *profile_option = g_strconcat ("--user-data-dir=", profile, NULL);
  char *out = NULL;
  /* The page fetches the status as it loads; the virtual time budget
   * lets its script run until the network is quiet, then the DOM is
   * dumped (or the page drawn). */
  const char *argv[] = { CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                         "--no-first-run", "--disable-extensions", profile_option,
                         "--window-size=1400,2000", "--virtual-time-budget=5000", action, system->url, NULL };

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
  return out;
}

static void
test_dashboard (void)
{
  const char *source_root = g_getenv ("DP_SOURCE_ROOT");
  g_autofree char *example = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *dom = NULL;
  g_autofree char *screenshot = NULL;
  g_autofree char *screenshot_option = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(System) system = NULL;
  g_autoptr(GRegex) row = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_test (CHROMIUM, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip (CHROMIUM " is not installed (apt-get install chromium)");
      return;
    }

  /* dashboard.ini as it is, on a port the system picks. */
  g_assert_nonnull (source_root);
  example = g_build_filename (source_root, "data", "examples", "dashboard.ini", NULL);
  g_key_file_load_from_file (key_file, example, G_KEY_FILE_KEEP_COMMENTS, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_key_file_get_integer (key_file, "http", "port", NULL), ==, 8340);
  g_key_file_set_integer (key_file, "http", "port", 0);
  g_key_file_set_string (key_file, "dplaces", "cookie-file", "cookie");
  {
    g_autofree char *text = g_key_file_to_data (key_file, NULL, NULL);
    system = system_start (text);
  }

  profile = g_dir_make_tmp ("test-http-chromium-XXXXXX", &error);
  g_assert_no_error (error);

  dom = run_chromium (system, profile, "--dump-dom");
  row = g_regex_new ("<tr class=\"node-row\" data-node=\"([^\"]+)\"", 0, 0, NULL);
  g_regex_match (row, dom, 0, &match);
  while (g_match_info_matches (match))
    {
      g_ptr_array_add (listed, g_match_info_fetch (match, 1));
      g_match_info_next (match, NULL);
    }
  if (listed->len != 3)
    g_error ("the dashboard lists %u nodes:\n%s", listed->len, dom);
  g_assert_cmpstr (g_ptr_array_index (listed, 0), ==, "root");
  g_assert_cmpstr (g_ptr_array_index (listed, 1), ==, "alpha");
  g_assert_cmpstr (g_ptr_array_index (listed, 2), ==, "beta");
  /* Its places, and the live link. */
  g_assert_nonnull (strstr (dom, "data-place=\"echo-alpha\""));
  g_assert_nonnull (strstr (dom, "data-place=\"talker-beta\""));

  /* The screenshot stays in the build directory. */
  screenshot = g_build_filename (g_getenv ("G_TEST_BUILDDIR") != NULL ? g_getenv ("G_TEST_BUILDDIR") : ".",
                                 "dashboard.png", NULL);
  g_unlink (screenshot);
  screenshot_option = g_strconcat ("--screenshot=", screenshot, NULL);
  g_free (run_chromium (system, profile, screenshot_option));
  g_assert_true (g_file_test (screenshot, G_FILE_TEST_IS_REGULAR));
  g_test_message ("screenshot: %s", screenshot);

  test_remove_tree (profile);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/http/api/nodes", test_nodes);
  g_test_add_func ("/http/api/places", test_places);
  g_test_add_func ("/http/api/connections", test_connections);
  g_test_add_func ("/http/api/logs", test_logs);
  g_test_add_func ("/http/api/metrics", test_metrics);
  g_test_add_func ("/http/api/status", test_status);
  g_test_add_func ("/http/api/jobs", test_jobs);
  g_test_add_func ("/http/api/jobs-rmpi", test_jobs_rmpi);
  g_test_add_func ("/http/post", test_post);
  g_test_add_func ("/http/events", test_events);
  g_test_add_func ("/http/token", test_token);
  g_test_add_func ("/http/status-command", test_status_command);
  g_test_add_func ("/http/dashboard", test_dashboard);

  return g_test_run ();
}
