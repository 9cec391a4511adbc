/* dp-bench-restart.c: `dplaces bench restart` — from a SIGKILL to the
 * supervised place answering its name again, against a fresh process
 * answering on loopback
 *
 * A named place (dp_bench_pid, which answers with its process id) runs on
 * a local node, supervised from here with `restart-every 0` (restart at
 * once, no retry limit):
 *
 *   --backend threads     (the default) the place runs in the node's own
 *                         process: the node is SIGKILLed, its supervisor
 *                         spawns it again on its port and launches the
 *                         place again — a node restart
 *   --backend processes   the place runs in a child of the node: that
 *                         process is SIGKILLed, its supervisor launches the
 *                         place again on the node — a place restart
 *
 * Each of --kills N rounds kills the process through a pidfd, waits for
 * the monitor's place-restart event (the supervisor sent the launch
 * again), then connects to the place's name and asks it: *restart* is the
 * time from the kill to that answer, *restarted* to the event. Kills are
 * paced 200 ms after the last restart, so the supervisor's storm guard
 * (two starts of a child at least 100 ms apart) never adds a delay; the
 * delays the events report are shown, and must be 0.
 *
 * Physical reference, in the same run, one after each round: this
 * program's own binary started from scratch (posix_spawn, `dplaces
 * --version`: the same dynamic libraries loaded and started), its answer
 * coming on a loopback TCP connection that is its standard output — what
 * the least restart costs, a process started and heard from. Medians,
 * 90th percentiles and maxima of both; the ratio of the medians.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp-bench-private.h"

#define PLACE_NAME "restart-bench"
#define DEFAULT_KILLS 20
/* How long a restarted place runs before it is killed again: more than the
 * supervisor's storm guard (100 ms). */
#define PACE_USEC (200 * 1000)
/* How long a round may take before the scenario fails. */
#define ROUND_USEC (30 * G_USEC_PER_SEC)

extern char **environ;

/* The place-restart events of this process. */
typedef struct {
  GMutex lock;
  GCond cond;
  guint count;
  gdouble last_delay;
  gdouble max_delay;
} Restarts;

static void
event_cb (DpMonitor *monitor,
          GVariant  *event,
          Restarts  *restarts)
{
  const char *kind;
  gdouble delay = 0;

  if (!g_variant_lookup (event, "kind", "&s", &kind) ||
      !g_str_equal (kind, DP_MONITOR_EVENT_PLACE_RESTART))
    return;
  g_variant_lookup (event, "delay", "d", &delay);
  g_mutex_lock (&restarts->lock);
  restarts->count++;
  restarts->last_delay = delay;
  restarts->max_delay = MAX (restarts->max_delay, delay);
  g_cond_broadcast (&restarts->cond);
  g_mutex_unlock (&restarts->lock);
}

/* Waits until there were @count place-restart events. */
static gboolean
wait_restarts (Restarts *restarts,
               guint     count)
{
  gint64 end_time = g_get_monotonic_time () + ROUND_USEC;
  gboolean done;

  g_mutex_lock (&restarts->lock);
  while (restarts->count < count && g_cond_wait_until (&restarts->cond, &restarts->lock, end_time))
    ;
  done = restarts->count >= count;
  g_mutex_unlock (&restarts->lock);
  return done;
}

/* Asks a dp_bench_pid place on @channel for its process id; 0 on error. */
static gint32
ask_pid (DpChannel  *channel,
         GError    **error)
{
  g_autoptr(GVariant) reply = NULL;
  gint32 pid;

  if (!dp_channel_put (channel, g_variant_new_string ("pid?"), error))
    return 0;
  reply = dp_channel_get_timeout (channel, ROUND_USEC, error);
  if (reply == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, DP_ERROR, DP_ERROR_TIMED_OUT, "No answer");
      return 0;
    }
  if (!g_variant_is_of_type (reply, G_VARIANT_TYPE ("(i)")))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "A strange answer");
      return 0;
    }
  g_variant_get (reply, "(i)", &pid);
  return pid;
}

/* Connects to the place's name and asks it, once. */
static gint32
ask_name (guint    port,
          GError **error)
{
  g_autoptr(DpRemoteConnection) connection = dp_connect_to_named_place_at ("localhost", port,
                                                                           PLACE_NAME, error);

  return connection != NULL ? ask_pid (DP_CHANNEL (connection), error) : 0;
}

static gboolean
kill_pid (gint32   pid,
          GError **error)
{
  int pidfd = pidfd_open (pid, 0);
  int saved;

  if (pidfd < 0 || pidfd_send_signal (pidfd, SIGKILL, NULL, 0) != 0)
    {
      saved = errno;
      if (pidfd >= 0)
        close (pidfd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot kill %d: %s", pid,
                   g_strerror (saved));
      return FALSE;
    }
  close (pidfd);
  return TRUE;
}

/* The reference: @binary --version started from scratch, its standard
 * output a loopback TCP connection; milliseconds from the spawn to its
 * first bytes here, -1 on error. */
static double
time_fresh_process (const char  *binary,
                    GError     **error)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t length = sizeof address;
  int listener = -1, client = -1, server = -1;
  char *argv[] = { (char *) binary, (char *) "--version", NULL };
  posix_spawn_file_actions_t actions;
  double ms = -1;
  gint64 start;
  char buffer[64];
  pid_t pid = -1;
  int status;

  listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0 || bind (listener, (struct sockaddr *) &address, sizeof address) != 0 ||
      listen (listener, 1) != 0 || getsockname (listener, (struct sockaddr *) &address, &length) != 0)
    goto failed;
  client = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client < 0 || connect (client, (struct sockaddr *) &address, sizeof address) != 0)
    goto failed;
  server = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);
  if (server < 0)
    goto failed;

  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_adddup2 (&actions, client, STDOUT_FILENO);
  start = g_get_monotonic_time ();
  errno = posix_spawn (&pid, binary, &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&actions);
  if (errno != 0)
    goto failed;
  close (client);
  client = -1;
  while (read (server, buffer, sizeof buffer) < 0)
    if (errno != EINTR)
      goto failed;
  ms = (g_get_monotonic_time () - start) / 1000.0;

out:
  if (pid > 0)
    waitpid (pid, &status, 0);
  if (server >= 0)
    close (server);
  if (client >= 0)
    close (client);
  if (listener >= 0)
    close (listener);
  return ms;

failed:
  {
    int saved = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "The reference process: %s",
                 g_strerror (saved));
  }
  ms = -1;
  goto out;
}

/* The @percent percentile of the @n sorted @values (nearest rank). */
static double
percentile (const double *sorted,
            guint         n,
            guint         percent)
{
  guint rank = (n * percent + 99) / 100;

  return sorted[rank > 0 ? rank - 1 : 0];
}

static void
add_figures (JsonBuilder *builder,
             const char  *name,
             double      *values,
             guint        n)
{
  g_autofree char *median = g_strdup_printf ("%s_median_ms", name);
  g_autofree char *p90 = g_strdup_printf ("%s_p90_ms", name);
  g_autofree char *max = g_strdup_printf ("%s_max_ms", name);

  /* dp_bench_median() sorts them. */
  dp_bench_add_double (builder, median, dp_bench_median (values, n));
  dp_bench_add_double (builder, p90, percentile (values, n, 90));
  dp_bench_add_double (builder, max, values[n - 1]);
}

int
dp_bench_restart (int    argc,
                  char **argv)
{
  g_autofree char *backend = NULL;
  gint kills = DEFAULT_KILLS;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend,
      "threads (the default: the node is killed and restarted) or processes (the place's process)", "NAME" },
    { "kills", 0, 0, G_OPTION_ARG_INT, &kills, "How many times to kill it (20)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— from a SIGKILL to the supervised place answering its name again");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(DpRestarter) restarter = NULL;
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;
  g_autofree char *binary = NULL;
  g_autofree double *restart = NULL;
  g_autofree double *restarted = NULL;
  g_autofree double *reference = NULL;
  Restarts restarts = { 0 };
  DpNodeOptions options;
  gboolean node_restart;
  gulong handler;
  gint64 last_restart;
  double restart_median, reference_median;
  guint port;
  gint32 pid = 0;
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench restart: %s\n", error->message);
      return 2;
    }
  if (backend == NULL)
    backend = g_strdup ("threads");
  if (!g_str_equal (backend, "threads") && !g_str_equal (backend, "processes"))
    {
      g_printerr ("dplaces bench restart: unknown backend “%s” (threads or processes)\n", backend);
      return 2;
    }
  if (kills < 1 || kills > 10000)
    {
      g_printerr ("dplaces bench restart: --kills must be 1 to 10000\n");
      return 2;
    }
  node_restart = g_str_equal (backend, "threads");
  binary = g_file_read_link ("/proc/self/exe", &error);
  if (binary == NULL)
    {
      g_printerr ("dplaces bench restart: %s\n", error->message);
      return 1;
    }

  g_mutex_init (&restarts.lock);
  g_cond_init (&restarts.cond);
  handler = g_signal_connect (dp_monitor_get_default (), "event", G_CALLBACK (event_cb), &restarts);

  restarter = dp_restart_every (0, -1, NULL, NULL, NULL);
  dp_node_options_init (&options);
  options.listen_port = 0;
  options.launcher = "local";
  options.solo = TRUE;
  if (node_restart)
    options.node_restart_on_exit = G_OBJECT (restarter);
  node = dp_spawn_remote_node ("localhost", &options, &error);
  if (node == NULL)
    goto failed;
  port = dp_remote_node_get_listen_port (node);
  place = dp_remote_node_launch_place_full (node, DP_PLACE_EXEC_DYNAMIC_PLACE, BENCH_MODULE, "dp_bench_pid",
                                            PLACE_NAME, backend,
                                            node_restart ? NULL : DP_RESTART_STRATEGY (restarter), &error);
  if (place == NULL || (pid = ask_name (port, &error)) == 0)
    goto failed;
  last_restart = g_get_monotonic_time ();

  restart = g_new (double, kills);
  restarted = g_new (double, kills);
  reference = g_new (double, kills);
  for (gint i = 0; i < kills; i++)
    {
      gint64 wait = last_restart + PACE_USEC - g_get_monotonic_time ();
      gint64 killed, event;
      gint32 new_pid;

      /* Pacing, not waiting for something: see the storm guard above. */
      if (wait > 0)
        g_usleep (wait);

      killed = g_get_monotonic_time ();
      if (!kill_pid (pid, &error))
        goto failed;
      if (!wait_restarts (&restarts, i + 1))
        {
          g_set_error (&error, DP_ERROR, DP_ERROR_TIMED_OUT, "The place was not started again within %d s",
                       (int) (ROUND_USEC / G_USEC_PER_SEC));
          goto failed;
        }
      event = g_get_monotonic_time ();
      new_pid = ask_name (port, &error);
      if (new_pid == 0)
        goto failed;
      last_restart = g_get_monotonic_time ();
      if (new_pid == pid)
        {
          g_set_error (&error, DP_ERROR, DP_ERROR_FAILED, "The place answered from the process killed");
          goto failed;
        }
      pid = new_pid;
      restart[i] = (last_restart - killed) / 1000.0;
      restarted[i] = (event - killed) / 1000.0;

      reference[i] = time_fresh_process (binary, &error);
      if (reference[i] < 0)
        goto failed;
    }

  dp_remote_node_send_exit (node);
  dp_spawned_process_wait (dp_remote_node_get_process (node));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "restart");
  json_builder_set_member_name (builder, "backend");
  json_builder_add_string_value (builder, backend);
  json_builder_set_member_name (builder, "kills");
  json_builder_add_int_value (builder, kills);
  add_figures (builder, "restart", restart, kills);
  add_figures (builder, "restarted", restarted, kills);
  add_figures (builder, "reference", reference, kills);
  restart_median = dp_bench_median (restart, kills);
  reference_median = dp_bench_median (reference, kills);
  dp_bench_add_double (builder, "ratio", restart_median / reference_median);
  dp_bench_add_double (builder, "max_delay_s", restarts.max_delay);
  json_builder_end_object (builder);

  printf ("%s restart (backend %s), SIGKILL to its name answering, %d kills: "
          "median %.1f ms, p90 %.1f ms, max %.1f ms\n",
          node_restart ? "node" : "place", backend, kills, restart_median,
          percentile (restart, kills, 90), restart[kills - 1]);
  printf ("  of which SIGKILL to the place-restart event: median %.1f ms, p90 %.1f ms, max %.1f ms"
          " (supervisor delays: at most %.3f s)\n",
          dp_bench_median (restarted, kills), percentile (restarted, kills, 90), restarted[kills - 1],
          restarts.max_delay);
  printf ("reference (a fresh `dplaces --version` answering on loopback TCP): "
          "median %.1f ms, p90 %.1f ms, max %.1f ms — ratio %.2f\n",
          reference_median, percentile (reference, kills, 90), reference[kills - 1],
          restart_median / reference_median);
  if (json)
    dp_bench_print_json (builder);
  goto out;

failed:
  g_printerr ("dplaces bench restart: %s\n", error->message);
  status = 1;
  if (node != NULL && dp_remote_node_get_process (node) != NULL)
    {
      dp_remote_node_send_exit (node);
      dp_spawned_process_wait_timeout (dp_remote_node_get_process (node), 5000);
    }

out:
  g_signal_handler_disconnect (dp_monitor_get_default (), handler);
  g_mutex_clear (&restarts.lock);
  g_cond_clear (&restarts.cond);
  return status;
}
