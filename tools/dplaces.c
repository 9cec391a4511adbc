/* dplaces.c: the dplaces host — run a keyfile, inspect plugins
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces"

#include "config.h"

#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include <dplaces/dplaces.h>

#include "dp-bench.h"
#include "dp-inspect.h"
#include "dp-log.h"
#include "dp-status.h"

/* SIGINT, SIGTERM: the system ends as if a timer said exit=0 — its
 * nodes are told to exit, its services stop — and dplaces exits 0. */
static gboolean
interrupted_cb (gpointer data)
{
  g_message ("Interrupted: stopping the system");
  dp_system_exit (DP_SYSTEM (data), 0);
  return G_SOURCE_CONTINUE;
}

static void
exit_on_signal (DpSystem *system,
                int       signum)
{
  GSource *source = g_unix_signal_source_new (signum);

  g_source_set_callback (source, interrupted_cb, system, NULL);
  g_source_attach (source, dp_node_get_context (dp_system_get_node (system)));
  g_source_unref (source);
}

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
    "Exits with the status a timer's exit= gives, 0 when nothing is left to do\n"
    "or when interrupted (SIGINT, SIGTERM), 2 with FILE:LINE: messages when the\n"
    "keyfile is wrong.");
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
  exit_on_signal (system, SIGINT);
  exit_on_signal (system, SIGTERM);
  status = dp_system_run (system, &error);
  if (status < 0)
    {
      g_printerr ("%s\n", error->message);
      return g_error_matches (error, DP_ERROR, DP_ERROR_CONFIG) ? 2 : 1;
    }

  return status;
}

static gboolean
spawner_gone_cb (gint         fd,
                 GIOCondition condition,
                 gpointer     data)
{
  char buffer[256];

  if (!(condition & (G_IO_HUP | G_IO_ERR)) && read (fd, buffer, sizeof buffer) > 0)
    return G_SOURCE_CONTINUE;

  g_debug ("the node's spawner is gone: exiting");
  dp_node_exit (DP_NODE (data), 1);
  return G_SOURCE_REMOVE;
}

/* `dplaces node`: a bare node, what a launcher starts on a machine (the
 * seeds' distributed-launch-path). It reads the cookie from its standard
 * input (--cookie-stdin) or a file, listens, says on its first line of
 * output which port it got, and runs its message router until told to
 * exit or until the node that spawned it goes away. */
static int
command_node (int    argc,
              char **argv)
{
  gint listen_port = DP_DEFAULT_ROUTER_PORT;
  gboolean cookie_stdin = FALSE;
  g_autofree char *cookie_file = NULL;
  g_autofree char *host = NULL;
  g_auto(GStrv) plugin_dirs = NULL;
  const GOptionEntry entries[] = {
    { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_dirs, "Also look for plugins and modules in DIR", "DIR" },
    { "listen-port", 0, 0, G_OPTION_ARG_INT, &listen_port, "Port to listen on (0: any)", "PORT" },
    { "cookie-stdin", 0, 0, G_OPTION_ARG_NONE, &cookie_stdin, "Read the cookie from the first line of standard input", NULL },
    { "cookie-file", 0, 0, G_OPTION_ARG_FILENAME, &cookie_file, "Read the cookie from FILE", "FILE" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "The name the spawner knows this machine by", "HOST" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— run a bare node");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cookie = NULL;
  g_autoptr(DpNode) node = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces node: %s\n", error->message);
      return 2;
    }
  if (!dp_port_no_p (listen_port))
    {
      g_printerr ("dplaces node: --listen-port %d is not a port number\n", listen_port);
      return 2;
    }

  if (cookie_stdin)
    {
      char line[1024];

      if (fgets (line, sizeof line, stdin) == NULL)
        {
          g_printerr ("dplaces node: no cookie on standard input\n");
          return 2;
        }
      g_strstrip (line);
      cookie = g_bytes_new (line, strlen (line));
      memset (line, 0, sizeof line);
    }
  else
    {
      cookie = dp_cookie_load (cookie_file, &error);
      if (cookie == NULL)
        {
          g_printerr ("dplaces node: %s\n", error->message);
          return 2;
        }
    }
  if (g_bytes_get_size (cookie) < 16)
    {
      g_printerr ("dplaces node: the cookie is too short\n");
      return 2;
    }
  dp_cookie_set_process (cookie);

  for (guint i = 0; plugin_dirs != NULL && plugin_dirs[i] != NULL; i++)
    dp_plugin_registry_add_directory (dp_plugin_registry_get_default (), plugin_dirs[i]);

  node = dp_node_new (listen_port);
  dp_node_set_default (node);
  if (!dp_node_listen (node, &error))
    {
      g_printerr ("dplaces node: %s\n", error->message);
      return 1;
    }

  /* A spawned node's standard input stays open as long as its spawner —
   * or the ssh session to it — lives: its end ends the node. Ctrl-C in a
   * terminal reaches the spawner's whole process group, this node
   * included: the spawner decides, and tells its nodes to exit. */
  if (cookie_stdin)
    {
      GSource *source = g_unix_fd_source_new (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR);

      signal (SIGINT, SIG_IGN);
      g_source_set_callback (source, G_SOURCE_FUNC (spawner_gone_cb), node, NULL);
      g_source_attach (source, dp_node_get_context (node));
      g_source_unref (source);
    }

  /* The spawner waits for this line before it connects. */
  printf ("DPLACES-NODE-READY %u\n", dp_node_get_listen_port (node));
  fflush (stdout);

  return dp_node_sync_events (node);
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
           "  node [--listen-port N]  Run a bare node (what launchers start)\n"
           "  inspect [PLUGIN]        List installed plugins, or one plugin's keys\n"
           "                          (--json for machine-readable output)\n"
           "  bench SCENARIO          Measure speed against the physical floor\n"
           "  status HOST:PORT        A running system's nodes, places, connections and\n"
           "                          jobs, from its http control plane (--json)\n"
           "\n"
           "Options:\n"
           "  -h, --help              Show this help\n"
           "  --version               Show the version\n"
           "\n"
           "Run \"dplaces COMMAND --help\" for a command's options.\n");
}

/* glibc gives each new thread an arena of its own, up to eight per
 * processor, each with a heap that fragments on its own. A node runs a
 * thread per connection and per connection request, and its places come
 * and go: over a 10-minute `dplaces bench soak` the nodes' RSS grew 13%
 * with the default and about a third of that with one arena per
 * processor, at the same message rate. On two processors, one arena
 * instead of two cut the nodes' growth to a third again (+0.5 MiB over
 * 200 s instead of +1.7, the heap's size at the start the same) at the
 * same message rate: threads take their small blocks from their own
 * caches, and the arenas' locks are seldom what waits. So one arena per
 * four processors. A user's MALLOC_ARENA_MAX or glibc tunables win. */
static void
limit_malloc_arenas (void)
{
  if (g_getenv ("MALLOC_ARENA_MAX") != NULL || g_getenv ("GLIBC_TUNABLES") != NULL)
    return;
  mallopt (M_ARENA_MAX, MAX (1, (int) dp_processor_count () / 4));
}

int
main (int    argc,
      char **argv)
{
  const char *command;

  limit_malloc_arenas ();
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
  if (g_str_equal (command, "node"))
    return command_node (argc - 1, argv + 1);
  if (g_str_equal (command, "bench"))
    return dp_bench_command (argc - 1, argv + 1);
  if (g_str_equal (command, "status"))
    return dp_status_command (argc - 1, argv + 1);
  if (g_str_equal (command, "place-helper"))
    return command_place_helper (argc - 1, argv + 1);

  g_printerr ("dplaces: unknown command “%s”\n\n", command);
  print_usage (stderr);
  return 2;
}
