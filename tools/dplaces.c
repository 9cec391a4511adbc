/* dplaces.c: the dplaces host — run a keyfile, inspect plugins
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include <dplaces/dplaces.h>

#include "dp-bench.h"
#include "dp-inspect.h"
#include "dp-log.h"

static int
command_run (int    argc,
             char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = NULL;
  g_autoptr(DpSystem) system = NULL;
  gint status;

  context = g_option_context_new ("FILE.ini — run the system a keyfile declares");
  g_option_context_set_summary (context,
    "Runs the root node of the system FILE.ini declares: its places, its timers.\n"
    "Exits with the status a timer's exit= gives, 0 when nothing is left to do,\n"
    "2 with FILE:LINE: messages when the keyfile is wrong.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces run: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("Usage: dplaces run FILE.ini\n");
      return 2;
    }

  config = dp_config_new_from_file (argv[1], &error);
  if (config == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  dp_log_apply_config (config);

  system = dp_system_new (config);
  status = dp_system_run (system, &error);
  if (status < 0)
    {
      g_printerr ("%s\n", error->message);
      return g_error_matches (error, DP_ERROR, DP_ERROR_CONFIG) ? 2 : 1;
    }

  return status;
}

typedef int (*ChildMain) (int fd, const char *module, const char *function, const char *name);

/* `dplaces place-helper`: a place of the processes backend, in this
 * process. Its creator passes the socket as --fd. */
static int
command_place_helper (int    argc,
                      char **argv)
{
  gint fd = -1;
  g_autofree char *module = NULL;
  g_autofree char *function = NULL;
  g_autofree char *name = NULL;
  const GOptionEntry entries[] = {
    { "fd", 0, 0, G_OPTION_ARG_INT, &fd, "The socket to the place's creator", "FD" },
    { "module", 0, 0, G_OPTION_ARG_FILENAME, &module, "The module", "PATH" },
    { "function", 0, 0, G_OPTION_ARG_STRING, &function, "The place function", "NAME" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "The place's name", "NAME" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— run a place for the processes backend");
  g_autoptr(GError) error = NULL;
  DpPluginRegistry *registry = dp_plugin_registry_get_default ();
  ChildMain child_main;
  GType backend;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      fd < 0 || module == NULL || function == NULL)
    {
      g_printerr ("dplaces place-helper: %s\n",
                  error != NULL ? error->message : "needs --fd, --module and --function");
      return 127;
    }

  backend = dp_plugin_registry_lookup_plugin (registry, DP_PLACE_BACKEND_EXTENSION_POINT_NAME,
                                              "processes", &error);
  child_main = backend == G_TYPE_INVALID ? NULL :
    (ChildMain) dp_plugin_registry_lookup_symbol (registry, dp_plugin_get_module_path (backend),
                                                  "dp_processes_child_main", &error);
  if (child_main == NULL)
    {
      g_printerr ("dplaces place-helper: %s\n", error->message);
      return 127;
    }

  return child_main (fd, module, function, name != NULL ? name : function);
}

static void
print_usage (FILE *out)
{
  fprintf (out,
           "Usage: dplaces COMMAND [ARGS…]\n"
           "\n"
           "Distributed places for C, on GLib.\n"
           "\n"
           "Commands:\n"
           "  run FILE.ini            Run the system a keyfile declares\n"
           "  inspect [PLUGIN]        List installed plugins, or one plugin's keys\n"
           "                          (--json for machine-readable output)\n"
           "  bench SCENARIO          Measure speed against the physical floor\n"
           "\n"
           "Options:\n"
           "  -h, --help              Show this help\n"
           "  --version               Show the version\n"
           "\n"
           "Run \"dplaces COMMAND --help\" for a command's options.\n");
}

int
main (int    argc,
      char **argv)
{
  const char *command;

  setlocale (LC_ALL, "");
  dp_log_init ();

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }

  command = argv[1];
  if (g_str_equal (command, "--version") || g_str_equal (command, "version"))
    {
      printf ("dplaces %s\n", DP_VERSION_STRING);
      return 0;
    }
  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") || g_str_equal (command, "help"))
    {
      print_usage (stdout);
      return 0;
    }

  /* Each command parses the rest as if it were the program. */
  argv[1] = g_strconcat ("dplaces ", command, NULL);
  if (g_str_equal (command, "run"))
    return command_run (argc - 1, argv + 1);
  if (g_str_equal (command, "inspect"))
    return dp_inspect_command (argc - 1, argv + 1);
  if (g_str_equal (command, "bench"))
    return dp_bench_command (argc - 1, argv + 1);
  if (g_str_equal (command, "place-helper"))
    return command_place_helper (argc - 1, argv + 1);

  g_printerr ("dplaces: unknown command “%s”\n\n", command);
  print_usage (stderr);
  return 2;
}
