/* test-config.c: keyfiles through the library — DpConfig reports every
 * problem as FILE:LINE, one a line, in file order, in one
 * DP_ERROR_CONFIG; a good keyfile gives its lines, groups and plugin keys;
 * DpSystem runs one and returns its exit status.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "test-common.h"

static const char good[] =
  "# a comment\n"                 /*  1 */
  "[dplaces]\n"                   /*  2 */
  "log-level=warning\n"           /*  3 */
  "\n"                            /*  4 */
  "[place echo]\n"                /*  5 */
  "module=test-places\n"          /*  6 */
  "function=echo_place\n"         /*  7 */
  "stack-size=262144\n"           /*  8 */
  "\n"                            /*  9 */
  "[place other]\n"               /* 10 */
  "module=test-places\n"          /* 11 */
  "function=return_place\n"       /* 12 */
  "\n"                            /* 13 */
  "[timer go]\n"                  /* 14 */
  "after-seconds=0\n"             /* 15 */
  "put=echo\n"                    /* 16 */
  "message=('hi', 1)\n"           /* 17 */
  "exit=9\n";                     /* 18 */

static void
test_good (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = dp_config_new_from_data (good, -1, "/some/dir/good.ini", &error);
  g_auto(GStrv) places = NULL;
  g_auto(GStrv) timers = NULL;
  g_autofree char *resolved = NULL;
  g_autoptr(GObject) backend = NULL;
  guint stack_size = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (dp_config_get_path (config), ==, "/some/dir/good.ini");
  g_assert_nonnull (dp_config_get_key_file (config));

  g_assert_cmpuint (dp_config_get_line (config, "dplaces", NULL), ==, 2);
  g_assert_cmpuint (dp_config_get_line (config, "place echo", "stack-size"), ==, 8);
  g_assert_cmpuint (dp_config_get_line (config, "timer go", "message"), ==, 17);
  /* An absent key: its group's line; an absent group: 0. */
  g_assert_cmpuint (dp_config_get_line (config, "place other", "thunk"), ==, 10);
  g_assert_cmpuint (dp_config_get_line (config, "place nobody", NULL), ==, 0);

  places = dp_config_dup_group_names (config, "place");
  g_assert_cmpuint (g_strv_length (places), ==, 2);
  g_assert_cmpstr (places[0], ==, "place echo");
  g_assert_cmpstr (places[1], ==, "place other");
  timers = dp_config_dup_group_names (config, "timer");
  g_assert_cmpuint (g_strv_length (timers), ==, 1);

  resolved = dp_config_resolve_path (config, "plugins");
  g_assert_cmpstr (resolved, ==, "/some/dir/plugins");
  g_clear_pointer (&resolved, g_free);
  resolved = dp_config_resolve_path (config, "/abs");
  g_assert_cmpstr (resolved, ==, "/abs");

  /* The threads backend's key, set on an instance. */
  backend = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                       DP_PLACE_BACKEND_EXTENSION_POINT_NAME, "threads", &error);
  g_assert_no_error (error);
  g_assert_true (dp_config_apply_plugin_keys (config, "place echo", backend, &error));
  g_assert_no_error (error);
  g_object_get (backend, "stack-size", &stack_size, NULL);
  g_assert_cmpuint (stack_size, ==, 262144);

  /* Errors placed in the keyfile. */
  g_set_error_literal (&error, DP_ERROR, DP_ERROR_FAILED, "broken");
  dp_config_prefix_error (config, &error, "timer go", "put");
  g_assert_cmpstr (error->message, ==, "/some/dir/good.ini:16: [timer go] put: broken");
  g_clear_error (&error);
  g_set_error_literal (&error, DP_ERROR, DP_ERROR_FAILED, "broken");
  dp_config_prefix_error (config, &error, "place other", NULL);
  g_assert_cmpstr (error->message, ==, "/some/dir/good.ini:10: [place other]: broken");

  {
    g_autoptr(GBytes) schema = dp_config_get_schema ();
    g_assert_nonnull (schema);
    g_assert_cmpuint (g_bytes_get_size (schema), >, 0);
  }
}

/* Problems come in one error, one a line, in the order of the file. */
static void
test_bad_sorted (void)
{
  static const char bad[] =
    "[place a]\n"                 /* 1: function missing */
    "module=test-places\n"        /* 2 */
    "module=again\n"              /* 3: twice */
    "junk\n"                      /* 4: syntax */
    "[timer t]\n"                 /* 5: neither after- nor every-seconds */
    "exit=1000\n"                 /* 6: range */
    "[place a]\n"                 /* 7: group twice */
    "function=x\n";               /* 8: dropped with its group */
  static const guint lines[] = { 1, 3, 4, 5, 6, 7 };
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = dp_config_new_from_data (bad, -1, "bad.ini", &error);
  g_auto(GStrv) reported = NULL;

  g_assert_null (config);
  g_assert_error (error, DP_ERROR, DP_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  reported = g_strsplit (error->message, "\n", -1);
  g_assert_cmpuint (g_strv_length (reported), ==, G_N_ELEMENTS (lines));
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autofree char *prefix = g_strdup_printf ("bad.ini:%u: ", lines[i]);
      g_assert_true (g_str_has_prefix (reported[i], prefix));
    }
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = dp_config_new_from_file ("/nonexistent/dplaces.ini", &error);

  g_assert_null (config);
  g_assert_error (error, DP_ERROR, DP_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dplaces.ini"));
}

/* DpSystem runs the good keyfile: the echo place and the timer's exit. */
static void
test_system_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = dp_config_new_from_data (good, -1, "good.ini", &error);
  g_autoptr(DpSystem) system = NULL;
  DpPlace *echo;

  g_assert_no_error (error);
  system = dp_system_new (config);
  g_assert_nonnull (dp_system_get_node (system));
  g_assert_true (dp_system_start (system, &error));
  g_assert_no_error (error);

  echo = DP_PLACE (dp_system_lookup_place (system, "echo"));
  g_assert_nonnull (echo);
  g_assert_cmpstr (dp_place_get_name (echo), ==, "echo");
  g_assert_null (dp_system_lookup_place (system, "nobody"));

  g_assert_cmpint (dp_system_run (system, &error), ==, 9);
  g_assert_no_error (error);

  dp_channel_close (DP_CHANNEL (echo));
  g_assert_cmpint (test_wait (echo), ==, 0);
  g_assert_cmpint (test_wait (DP_PLACE (dp_system_lookup_place (system, "other"))), ==, 0);
}

/* A module that is not there fails the start, placed in the keyfile. */
static void
test_system_unknown_module (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = dp_config_new_from_data ("[place x]\n"
                                                        "module=no-such-module\n"
                                                        "function=f\n", -1, "x.ini", &error);
  g_autoptr(DpSystem) system = NULL;

  g_assert_no_error (error);
  system = dp_system_new (config);
  g_assert_cmpint (dp_system_run (system, &error), ==, -1);
  g_assert_error (error, DP_ERROR, DP_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, "x.ini:2: [place x] module: "));
  g_assert_nonnull (strstr (error->message, g_getenv ("DPLACES_PLUGIN_PATH")));
}

/* A plugin name is a name, not a path to some other shared object. */
static void
test_plugin_name_with_path (void)
{
  const char *names[] = { "../threads", "/tmp/x", "a/b", "", "thr eads" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      GType type = dp_plugin_registry_lookup_plugin (dp_plugin_registry_get_default (),
                                                     DP_PLACE_BACKEND_EXTENSION_POINT_NAME,
                                                     names[i], &error);

      g_assert_true (type == G_TYPE_INVALID);
      g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
      g_assert_nonnull (strstr (error->message, "only letters, digits"));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/good", test_good);
  g_test_add_func ("/config/bad-sorted", test_bad_sorted);
  g_test_add_func ("/config/missing-file", test_missing_file);
  g_test_add_func ("/config/system/run", test_system_run);
  g_test_add_func ("/config/system/unknown-module", test_system_unknown_module);
  g_test_add_func ("/config/plugin-name-with-path", test_plugin_name_with_path);

  return g_test_run ();
}
