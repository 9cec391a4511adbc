/* test-dplaces.c: the dplaces host binary, run as a user runs it —
 * `dplaces run BAD.ini` names FILE:LINE, the group and the key of every
 * keyfile problem and exits 2; an unknown module or symbol says where it
 * looked; `dplaces inspect --json` lists the threads backend and its keys;
 * `dplaces run data/examples/places-hello.ini` prints the hello world;
 * a short `dplaces bench soak` loses nothing while places are killed.
 *
 * The binary is $DPLACES_BIN (tests/meson.build sets it); place modules
 * come from $DPLACES_PLUGIN_PATH like in any other test.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "test-common.h"
#include "test-nodes.h"
#include "test-run.h"

static char *tmp_dir;

/* Writes @text to NAME.ini in the temporary directory. */
static char *
write_keyfile (const char *name,
               const char *text)
{
  g_autofree char *file = g_strconcat (name, ".ini", NULL);
  char *path = g_build_filename (tmp_dir, file, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static guint
count_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      n++;
  return n;
}

/* Keyfile errors: one bad keyfile each. */

typedef struct {
  const char *name;
  const char *text;
  guint line;
  const char *where;      /* what follows "FILE:LINE: " */
  const char *also;       /* (nullable) more that the message must say */
} BadKeyfile;

#define PLACE_A "[place a]\nmodule=test-places\nfunction=echo_place\n"

static const BadKeyfile bad_keyfiles[] = {
  { "unknown-group", PLACE_A "\n[plaec b]\nmodule=x\n",
    5, "[plaec b]: unknown group", "[place NAME]" },
  { "group-missing-name", "[place]\nmodule=test-places\nfunction=echo_place\n",
    1, "[place]: expected [place NAME]", NULL },
  { "timer-missing-name", PLACE_A "[timer]\nafter-seconds=0\n",
    4, "[timer]: expected [timer NAME]", NULL },
  { "group-extra-name", "[dplaces root]\nlog-level=debug\n",
    1, "[dplaces root]: expected [dplaces], without a name", NULL },
  { "unknown-key", PLACE_A "modul=oops\n",
    4, "[place a] modul: unknown key", "module" },
  { "unknown-key-dplaces", "[dplaces]\nplugin-dir=.\n" PLACE_A,
    2, "[dplaces] plugin-dir: unknown key", "plugin-dirs" },
  { "wrong-type-boolean", PLACE_A "thunk=yes\n",
    4, "[place a] thunk: expected a boolean", "yes" },
  { "wrong-type-boolean-dplaces", "[dplaces]\nexit-when-idle=perhaps\n",
    2, "[dplaces] exit-when-idle: expected a boolean", "perhaps" },
  { "wrong-type-integer", PLACE_A "[timer t]\nafter-seconds=0\nexit=two\n",
    6, "[timer t] exit: expected an integer", "two" },
  { "wrong-type-double", PLACE_A "[timer t]\nafter-seconds=soon\n",
    5, "[timer t] after-seconds: expected a number", "soon" },
  { "wrong-type-double-every", PLACE_A "[timer t]\nevery-seconds=1s\n",
    5, "[timer t] every-seconds: expected a number", "1s" },
  { "out-of-range-integer", PLACE_A "[timer t]\nafter-seconds=0\nexit=256\n",
    6, "[timer t] exit: expected an integer from 0 to 255", "256" },
  { "out-of-range-negative-integer", PLACE_A "[timer t]\nafter-seconds=0\nexit=-1\n",
    6, "[timer t] exit: expected an integer from 0 to 255", "-1" },
  { "out-of-range-double", PLACE_A "[timer t]\nafter-seconds=-1\n",
    5, "[timer t] after-seconds: expected a number of at least 0", "-1" },
  { "out-of-range-every", PLACE_A "[timer t]\nevery-seconds=0\n",
    5, "[timer t] every-seconds: expected a number of at least 0.001", NULL },
  { "enum", "[dplaces]\nlog-level=loud\n",
    2, "[dplaces] log-level: expected one of", "debug" },
  { "missing-module", "# a place without its module\n[place a]\nfunction=echo_place\n",
    2, "[place a] module: missing", NULL },
  { "missing-function", "[place a]\nmodule=test-places\n",
    1, "[place a] function: missing", NULL },
  { "syntax-error", "[place a]\nmodule=test-places\nthis line is not a key\nfunction=echo_place\n",
    3, "expected key=value", "this line is not a key" },
  { "syntax-error-header", "[place a\nmodule=test-places\nfunction=echo_place\n",
    1, "expected a group header", "[place a" },
  { "key-before-group", "module=test-places\n[place a]\nfunction=echo_place\n",
    1, "key=value before the first [group]", NULL },
  { "duplicate-key", "[place a]\nmodule=test-places\nmodule=test-places\nfunction=echo_place\n",
    3, "[place a] module: key given twice (first on line 2)", NULL },
  { "duplicate-group", PLACE_A "\n[place a]\nmodule=test-places\nfunction=echo_place\n",
    5, "[place a]: group given twice (first on line 1)", NULL },
  { "timer-both", PLACE_A "[timer t]\nafter-seconds=1\nevery-seconds=1\n",
    4, "[timer t]: expected exactly one of after-seconds= or every-seconds=", "got 2" },
  { "timer-neither", PLACE_A "[timer t]\nput=a\n",
    4, "[timer t]: expected exactly one of after-seconds= or every-seconds=", "got 0" },
  { "put-unknown-place", PLACE_A "[timer t]\nafter-seconds=0\nput=nobody\n",
    6, "[timer t] put: expected the NAME of a [place NAME] group", "[place nobody]" },
  { "wait-unknown-place", PLACE_A "[timer t]\nafter-seconds=0\nwait=nobody\n",
    6, "[timer t] wait: expected the NAME of a [place NAME] group", "[place nobody]" },
  { "message-not-gvariant", PLACE_A "[timer t]\nafter-seconds=0\nput=a\nmessage=('unclosed'\n",
    7, "[timer t] message: expected a message", "('unclosed'" },
  { "message-without-put", PLACE_A "[timer t]\nafter-seconds=0\nmessage='x'\n",
    6, "[timer t] message: needs put=", NULL },
  { "initial-message-not-gvariant", PLACE_A "initial-message=[1, 'two']\n",
    4, "[place a] initial-message: expected a message", NULL },
  { "print-reply-bad-format", PLACE_A "[timer t]\nafter-seconds=0\nput=a\nmessage='x'\nprint-reply=got %d\n",
    8, "[timer t] print-reply: expected a line with at most one %s", "got %d" },
  { "print-reply-two-placeholders", PLACE_A "[timer t]\nafter-seconds=0\nput=a\nmessage='x'\n"
    "print-reply=%s and %s\n",
    8, "[timer t] print-reply: expected a line with at most one %s", NULL },
  { "stack-size-not-integer", PLACE_A "stack-size=big\n",
    4, "[place a] stack-size: expected an integer from 0 to 4294967295", "big" },
  { "stack-size-negative", PLACE_A "stack-size=-4096\n",
    4, "[place a] stack-size: expected an integer from 0 to 4294967295", "-4096" },
  { "stack-size-too-big", PLACE_A "stack-size=99999999999\n",
    4, "[place a] stack-size: expected an integer from 0 to 4294967295", NULL },
  { "backend-missing-plugin", PLACE_A "backend=no-such-backend\n",
    4, "[place a] backend: No place backend plugin “no-such-backend”", "libdplaces-no-such-backend.so" },
};

static void
assert_reported (const char *err,
                 const char *path,
                 guint       line,
                 const char *where,
                 const char *also)
{
  g_autofree char *expected = g_strdup_printf ("%s:%u: %s", path, line, where);
  const char *found = strstr (err, expected);

  if (found == NULL)
    g_test_message ("expected “%s” in stderr", expected);
  g_assert_nonnull (found);
  /* At the start of a line. */
  g_assert_true (found == err || found[-1] == '\n');
  if (also != NULL)
    {
      const char *end = strchr (found, '\n');
      g_autofree char *report = end != NULL ? g_strndup (found, end - found) : g_strdup (found);

      if (strstr (report, also) == NULL)
        g_test_message ("expected “%s” in “%s”", also, report);
      g_assert_nonnull (strstr (report, also));
    }
}

static void
test_bad_keyfile (gconstpointer data)
{
  const BadKeyfile *bad = data;
  g_autofree char *path = write_keyfile (bad->name, bad->text);
  g_autoptr(TestRun) run = test_run_dplaces ("run", path, NULL);

  g_assert_cmpint (run->status, ==, 2);
  assert_reported (run->err, path, bad->line, bad->where, bad->also);
  /* Nothing ran. */
  g_assert_cmpstr (run->out, ==, "");
}

/* Every problem of a keyfile, at once, each on its own line. */
static void
test_all_errors_at_once (void)
{
  static const char text[] =
    "[dplaces]\n"                      /*  1 */
    "log-level=loud\n"                 /*  2 */
    "exit-when-idle=perhaps\n"         /*  3 */
    "\n"                               /*  4 */
    "[place a]\n"                      /*  5 */
    "module=test-places\n"             /*  6 */
    "function=echo_place\n"            /*  7 */
    "thunk=yes\n"                      /*  8 */
    "stack-size=big\n"                 /*  9 */
    "modul=oops\n"                     /* 10 */
    "module=test-places\n"             /* 11 */
    "this line is not a key\n"         /* 12 */
    "\n"                               /* 13 */
    "[place b]\n"                      /* 14 */
    "function=echo_place\n"            /* 15 */
    "backend=no-such-backend\n"        /* 16 */
    "\n"                               /* 17 */
    "[plaec c]\n"                      /* 18 */
    "\n"                               /* 19 */
    "[timer t]\n"                      /* 20 */
    "after-seconds=soon\n"             /* 21 */
    "every-seconds=1\n"                /* 22 */
    "put=nobody\n"                     /* 23 */
    "message=('unclosed'\n"            /* 24 */
    "print-reply=got %d\n"             /* 25 */
    "exit=256\n"                       /* 26 */
    "\n"                               /* 27 */
    "[timer]\n"                        /* 28 */
    "after-seconds=0\n"                /* 29 */
    "\n"                               /* 30 */
    "[place a]\n";                     /* 31 */
  static const struct { guint line; const char *where; } expected[] = {
    { 2, "[dplaces] log-level:" },
    { 3, "[dplaces] exit-when-idle:" },
    { 8, "[place a] thunk:" },
    { 9, "[place a] stack-size:" },
    { 10, "[place a] modul: unknown key" },
    { 11, "[place a] module: key given twice" },
    { 12, "expected key=value" },
    { 14, "[place b] module: missing" },
    { 16, "[place b] backend:" },
    { 18, "[plaec c]: unknown group" },
    { 20, "[timer t]: expected exactly one of" },
    { 21, "[timer t] after-seconds:" },
    { 23, "[timer t] put:" },
    { 24, "[timer t] message:" },
    { 25, "[timer t] print-reply:" },
    { 26, "[timer t] exit:" },
    { 28, "[timer]: expected [timer NAME]" },
    { 31, "[place a]: group given twice" },
  };
  g_autofree char *path = write_keyfile ("all-errors", text);
  g_autoptr(TestRun) run = test_run_dplaces ("run", path, NULL);
  g_auto(GStrv) lines = NULL;
  g_autofree char *prefix = g_strconcat (path, ":", NULL);
  gboolean ok = TRUE;

  g_assert_cmpint (run->status, ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *wanted = g_strdup_printf ("%s:%u: %s", path, expected[i].line, expected[i].where);
      const char *found = strstr (run->err, wanted);

      if (found == NULL || !(found == run->err || found[-1] == '\n'))
        {
          g_test_message ("not reported: %s", wanted);
          ok = FALSE;
        }
    }
  g_assert_true (ok);

  /* One problem a line, each line a FILE:LINE: report. */
  lines = g_strsplit (run->err, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      g_assert_true (g_str_has_prefix (lines[i], prefix));
  g_assert_cmpuint (count_lines (run->err), ==, G_N_ELEMENTS (expected));
}

/* Unknown module, unknown symbol: `dplaces run` places the error at the
 * key's line and says where it looked, plugin-dirs= included. */
static void
test_run_unknown_module (void)
{
  g_autofree char *extra_dir = g_build_filename (tmp_dir, "my-plugins", NULL);
  g_autofree char *path = NULL;
  g_autoptr(TestRun) run = NULL;

  g_assert_cmpint (g_mkdir_with_parents (extra_dir, 0755), ==, 0);
  path = write_keyfile ("unknown-module",
                        "[dplaces]\n"
                        "plugin-dirs=my-plugins\n"
                        "\n"
                        "[place x]\n"
                        "module=no-such-module\n"
                        "function=no_such_function\n");
  run = test_run_dplaces ("run", path, NULL);

  g_assert_cmpint (run->status, ==, 2);
  assert_reported (run->err, path, 5, "[place x] module: ", "no-such-module");
  /* The directories searched: plugin-dirs= (relative to the keyfile), then
   * DPLACES_PLUGIN_PATH. */
  g_assert_nonnull (strstr (run->err, extra_dir));
  g_assert_nonnull (strstr (run->err, g_getenv ("DPLACES_PLUGIN_PATH")));
  g_assert_nonnull (strstr (run->err, "no-such-module.so"));
}

static void
test_run_unknown_symbol (void)
{
  g_autofree char *path = write_keyfile ("unknown-symbol",
                                         "[place x]\n"
                                         "module=test-places\n"
                                         "function=no_such_function\n");
  g_autoptr(TestRun) run = test_run_dplaces ("run", path, NULL);

  g_assert_cmpint (run->status, ==, 2);
  assert_reported (run->err, path, 3, "[place x] function: ", "no_such_function");
  /* It names the module file it looked in. */
  g_assert_nonnull (strstr (run->err, "test-places.so"));
}

static void
test_run_missing_file (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "does-not-exist.ini", NULL);
  g_autoptr(TestRun) run = test_run_dplaces ("run", path, NULL);

  g_assert_cmpint (run->status, ==, 2);
  g_assert_nonnull (strstr (run->err, path));
}

static void
test_run_usage (void)
{
  g_autoptr(TestRun) run = test_run_dplaces ("run", NULL);
  g_autoptr(TestRun) unknown = test_run_dplaces ("frobnicate", NULL);

  g_assert_cmpint (run->status, ==, 2);
  g_assert_nonnull (strstr (run->err, "Usage"));
  g_assert_cmpint (unknown->status, ==, 2);
}

/* The README's hello world. */
static void
test_run_places_hello (void)
{
  g_autofree char *example = g_test_build_filename (G_TEST_DIST, "..", "data", "examples",
                                                    "places-hello.ini", NULL);
  g_autoptr(TestRun) run = test_run_dplaces ("run", example, NULL);
  g_auto(GStrv) lines = NULL;
  gint received = -1, sent = -1, main_received = -1, n = 0;

  g_assert_cmpint (run->status, ==, 0);
  lines = g_strsplit (run->out, "\n", -1);
  for (gint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      n++;
      if (g_str_equal (lines[i], "hello-world received: Hello"))
        received = i;
      else if (g_str_equal (lines[i], "hello-world sent: Hello World"))
        sent = i;
      else if (g_str_equal (lines[i], "main received: Hello World"))
        main_received = i;
    }
  g_assert_cmpint (received, >=, 0);
  g_assert_cmpint (sent, >, received);
  g_assert_cmpint (main_received, >, received);
  g_assert_cmpint (n, ==, 3);
}

/* A system that runs: a put with its reply printed, then a declared exit
 * status (a timer's actions run in order: put, print-reply, …, exit). */
static void
test_run_exit_status (void)
{
  g_autofree char *path = write_keyfile ("exit-status",
                                         "[place echo]\n"
                                         "module=test-places\n"
                                         "function=echo_place\n"
                                         "stack-size=1048576\n"
                                         "\n"
                                         "[timer ping]\n"
                                         "after-seconds=0\n"
                                         "put=echo\n"
                                         "message=('ping', 1, [true])\n"
                                         "print-reply=got %s (100%%)\n"
                                         "exit=7\n");
  g_autoptr(TestRun) run = test_run_dplaces ("run", path, NULL);

  g_assert_cmpint (run->status, ==, 7);
  g_assert_cmpstr (run->out, ==, "got ('ping', 1, [true]) (100%)\n");
}

/* With nothing left to do (exit-when-idle, the default) it exits 0. */
static void
test_run_exit_when_idle (void)
{
  g_autofree char *path = write_keyfile ("idle",
                                         "[place quick]\n"
                                         "module=test-places\n"
                                         "function=return_place\n");
  g_autoptr(TestRun) run = test_run_dplaces ("run", path, NULL);

  g_assert_cmpint (run->status, ==, 0);
}

/* dplaces inspect --json */

static JsonObject *
find_plugin (JsonArray  *plugins,
             const char *name)
{
  for (guint i = 0; i < json_array_get_length (plugins); i++)
    {
      JsonObject *plugin = json_array_get_object_element (plugins, i);
      if (g_strcmp0 (json_object_get_string_member (plugin, "name"), name) == 0)
        return plugin;
    }
  return NULL;
}

static void
check_threads_plugin (JsonObject *threads)
{
  JsonArray *keys;
  JsonObject *stack_size = NULL;

  g_assert_nonnull (threads);
  g_assert_cmpstr (json_object_get_string_member (threads, "extension_point"), ==,
                   "dplaces-place-backend");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (threads, "file"),
                                   "libdplaces-threads.so"));
  g_assert_cmpstr (json_object_get_string_member (threads, "description"), !=, "");

  keys = json_object_get_array_member (threads, "keys");
  g_assert_nonnull (keys);
  for (guint i = 0; i < json_array_get_length (keys); i++)
    {
      JsonObject *key = json_array_get_object_element (keys, i);
      if (g_strcmp0 (json_object_get_string_member (key, "name"), "stack-size") == 0)
        stack_size = key;
    }
  g_assert_nonnull (stack_size);
  g_assert_cmpstr (json_object_get_string_member (stack_size, "type"), ==, "integer");
  g_assert_cmpstr (json_object_get_string_member (stack_size, "default"), ==, "0");
  g_assert_cmpstr (json_object_get_string_member (stack_size, "doc"), !=, "");
}

static JsonArray *
parse_plugins (JsonParser *parser,
               const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_get_array_member (json_node_get_object (root), "plugins");
}

static void
test_inspect_json (void)
{
  g_autoptr(TestRun) run = test_run_dplaces ("inspect", "--json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *plugins;

  g_assert_cmpint (run->status, ==, 0);
  plugins = parse_plugins (parser, run->out);
  g_assert_nonnull (plugins);
  check_threads_plugin (find_plugin (plugins, "threads"));
}

static void
test_inspect_one_json (void)
{
  g_autoptr(TestRun) run = test_run_dplaces ("inspect", "threads", "--json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *plugins;

  g_assert_cmpint (run->status, ==, 0);
  plugins = parse_plugins (parser, run->out);
  g_assert_cmpuint (json_array_get_length (plugins), ==, 1);
  check_threads_plugin (find_plugin (plugins, "threads"));
}

static void
test_inspect_text (void)
{
  g_autoptr(TestRun) all = test_run_dplaces ("inspect", NULL);
  g_autoptr(TestRun) one = test_run_dplaces ("inspect", "threads", NULL);
  g_autoptr(TestRun) missing = test_run_dplaces ("inspect", "no-such-plugin", NULL);

  g_assert_cmpint (all->status, ==, 0);
  g_assert_nonnull (strstr (all->out, "threads"));
  g_assert_cmpint (one->status, ==, 0);
  g_assert_nonnull (strstr (one->out, "stack-size"));
  g_assert_cmpint (missing->status, !=, 0);
  g_assert_nonnull (strstr (missing->err, "no-such-plugin"));
  g_assert_nonnull (strstr (missing->err, g_getenv ("DPLACES_PLUGIN_PATH")));
}

/* The last line of `dplaces bench … --json`: one JSON object. */
static JsonObject *
parse_bench_json (JsonParser *parser,
                  const char *out)
{
  g_autofree char *text = g_strchomp (g_strdup (out));
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GError) error = NULL;
  guint n = g_strv_length (lines);
  JsonNode *root;

  g_assert_cmpuint (n, >, 0);
  json_parser_load_from_data (parser, lines[n - 1], -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

/* A short soak: places killed at random while messages flow, and not one
 * message lost or damaged on a live stream; every killed place started
 * again; the counts add up. */
static void
test_bench_soak (void)
{
  g_autoptr(TestRun) run = test_run_dplaces ("bench", "soak", "--minutes", "0.1", "--json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *result;
  gint64 sent, received, lost, dropped;

  g_assert_cmpint (run->status, ==, 0);
  result = parse_bench_json (parser, run->out);
  g_assert_cmpstr (json_object_get_string_member (result, "scenario"), ==, "soak");
  g_assert_true (json_object_get_boolean_member (result, "drained"));

  sent = json_object_get_int_member (result, "sent");
  received = json_object_get_int_member (result, "received");
  lost = json_object_get_int_member (result, "lost");
  dropped = json_object_get_int_member (result, "dropped_killed");
  g_assert_cmpint (received, >, 0);
  g_assert_cmpint (lost, ==, 0);
  g_assert_cmpint (json_object_get_int_member (result, "bad"), ==, 0);
  g_assert_cmpint (sent, ==, received + lost + dropped);

  g_assert_cmpint (json_object_get_int_member (result, "kills"), >, 0);
  g_assert_cmpint (json_object_get_int_member (result, "unexpected_deaths"), ==, 0);
  /* The end waits for every killed place to be back. */
  g_assert_cmpint (json_object_get_int_member (result, "restarts"), >=,
                   json_object_get_int_member (result, "kills"));

  g_assert_cmpint (json_object_get_int_member (result, "rss_nodes_kib_end"), >, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "rss_samples")), >, 1);
}

static void
test_bench_soak_bad_minutes (void)
{
  g_autoptr(TestRun) zero = test_run_dplaces ("bench", "soak", "--minutes", "0", NULL);
  g_autoptr(TestRun) word = test_run_dplaces ("bench", "soak", "--minutes", "ten", NULL);

  g_assert_cmpint (zero->status, ==, 2);
  g_assert_nonnull (strstr (zero->err, "--minutes"));
  g_assert_cmpint (word->status, ==, 2);
  g_assert_nonnull (strstr (word->err, "ten"));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("dplaces-test-XXXXXX", &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (bad_keyfiles); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dplaces/run/bad-keyfile/%s", bad_keyfiles[i].name);
      g_test_add_data_func (path, &bad_keyfiles[i], test_bad_keyfile);
    }
  g_test_add_func ("/dplaces/run/bad-keyfile/all-at-once", test_all_errors_at_once);
  g_test_add_func ("/dplaces/run/unknown-module", test_run_unknown_module);
  g_test_add_func ("/dplaces/run/unknown-symbol", test_run_unknown_symbol);
  g_test_add_func ("/dplaces/run/missing-file", test_run_missing_file);
  g_test_add_func ("/dplaces/run/usage", test_run_usage);
  g_test_add_func ("/dplaces/run/places-hello", test_run_places_hello);
  g_test_add_func ("/dplaces/run/exit-status", test_run_exit_status);
  g_test_add_func ("/dplaces/run/exit-when-idle", test_run_exit_when_idle);
  g_test_add_func ("/dplaces/inspect/json", test_inspect_json);
  g_test_add_func ("/dplaces/inspect/one-json", test_inspect_one_json);
  g_test_add_func ("/dplaces/inspect/text", test_inspect_text);
  g_test_add_func ("/dplaces/bench/soak", test_bench_soak);
  g_test_add_func ("/dplaces/bench/soak/bad-minutes", test_bench_soak_bad_minutes);

  status = g_test_run ();

  test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
