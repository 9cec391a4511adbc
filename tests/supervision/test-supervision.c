/* test-supervision.c: supervision for real — places, nodes, threads and
 * processes that die and come back
 *
 *   /supervision/run/restart-example   `dplaces run data/examples/restart.ini`
 *                                      starts its place 4 times (1 + 3
 *                                      retries) and exits by itself
 *   /supervision/program/restart-example  the same as a C program
 *   /supervision/run/final-fail-once   retries run out: on-final-fail's put
 *                                      and log happen once, after 1 + retry
 *                                      starts
 *   /supervision/run/final-fail-exit   … and on-final-fail-exit's status
 *   /supervision/run/escalate          `intensity` gives up and the system
 *                                      exits with status 1
 *   /supervision/run/never-function    `never` and a DpRestartFunc from a
 *                                      module
 *   /supervision/root/named-sigkill    a named place on the root (processes
 *                                      backend) killed with SIGKILL is
 *                                      started again at once and answers its
 *                                      name
 *   /supervision/root/storm-guard      a place on the root that dies at once
 *                                      under `always` waits 0, 0.1, 0.2, 0.4,
 *                                      0.8 s before its restarts, not
 *                                      thousands of times a second
 *   /supervision/remote/named-sigkill  root/named-sigkill on another node,
 *                                      twice: the second time after
 *                                      restart-every's 2 s
 *   /supervision/remote/final-fail     on-final-fail exactly once for a
 *                                      remote place; wait returns after
 *   /supervision/remote/retired-endpoints  a place killed six times: its
 *                                      connection keeps no endpoint of an
 *                                      instance long gone
 *   /supervision/node/sigkill          a node killed with SIGKILL is spawned
 *                                      again on its port, with its places
 *   /supervision/process/restart       supervise-process-at restarts a
 *                                      command: as it exits, and as it is
 *                                      killed; stop ends it
 *   /supervision/thread/restart        supervise-thread-at restarts a thread
 *
 * Real processes on the loopback interface, ports the system picks, the
 * test's own cookie. Nothing sleeps to wait for what can be waited on:
 * processes and places are waited for with deadlines, signals with loops,
 * a place that comes back by the monitor's place-restart event — then it
 * is asked once, through its creator's channel and by its name. How soon
 * it comes back is no business of a test: the event says how long its
 * supervisor waited (its strategy's delay), `dplaces bench restart`
 * measures the rest. Each test runs in a subprocess of its own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <dplaces/dplaces.h>

#define TEST_MODULE "supervision-places"
#define TEST_COOKIE "dplaces-supervision-tests-0123456789abcdef"

#include "test-common.h"
#include "test-lines.h"
#include "test-nodes.h"
#include "test-run.h"
#include "test-sandbox.h"

/* How long a test's subprocess may take: the restart example runs 14 s by
 * design. */
#define SUBPROCESS_USEC (test_timeout_multiplier () * 55 * G_USEC_PER_SEC)

/* The longest a restart the strategy says is "at once" may wait: the
 * supervisor's storm guard keeps two starts of a child 100 ms apart. */
#define AT_ONCE_DELAY 0.1

/* How many lines of @text end with @line. */
static guint
count_lines (const char *text,
             const char *line)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_has_suffix (lines[i], line);
  return n;
}

/* ── keyfiles run by dplaces ───────────────────────────────────────── */

/* The acceptance: the Racket example, as it is in data/examples. Its
 * default cookie is the test's, in a configuration folder of the test's
 * own, never the user's. */
static void
test_run_restart_example (void)
{
  g_autofree char *example = NULL;
  g_autoptr(TestRun) run = NULL;
  g_auto(GStrv) lines = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  example = test_example_path ("restart.ini");
  {
    const char *argv[] = { test_dplaces_bin (), "run", example, NULL };
    const char *env[] = { "XDG_CONFIG_HOME", test_sandbox_config_home (), NULL };

    run = test_run (argv, env, 40000);
  }
  test_run_assert_status (run, 0);

  /* 1 + 3 retries, each run printing both lines, from the node's place. */
  g_assert_cmpuint (count_lines (run->out, ": BEGINNING SLEEP"), ==, 4);
  g_assert_cmpuint (count_lines (run->out, ": SLEEP DONE"), ==, 4);
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "PLACE localhost:"));
  /* on-final-fail, once. */
  g_assert_cmpuint (test_count_substrings (run->err, "restart: retried 3 times, giving up"), ==, 1);
  /* Starts at 0, 1, 7 and 13 s; the last run ends at 14 s: the delays
   * were waited (test-strategies checks the timeline itself). */
  g_assert_cmpfloat (run->seconds, >, 13.0);
}

/* The same as a C program: spawn_node_with_place_at, #:thunk #t,
 * #:restart-on-exit (restart-every 5 #:retry 3). */
static void
test_program_restart_example (void)
{
  const char *env[] = { "XDG_CONFIG_HOME", NULL, NULL };
  g_autoptr(TestRun) run = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  env[1] = test_sandbox_config_home ();
  run = test_run_program ("DP_RESTART_PROGRAM", NULL, env, 40000);
  test_run_assert_status (run, 0);
  g_assert_cmpuint (count_lines (run->out, ": BEGINNING SLEEP"), ==, 4);
  g_assert_cmpuint (count_lines (run->out, ": SLEEP DONE"), ==, 4);
  g_assert_cmpuint (count_lines (run->out, "restart: retried 3 times, giving up"), ==, 1);
  g_assert_cmpfloat (run->seconds, >, 13.0);
}

static void
test_run_final_fail_once (void)
{
  g_autoptr(TestRun) run = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  run = test_run_keyfile ("final-fail.ini",
                          "[place quick]\n"
                          "module=" TEST_MODULE "\n"
                          "function=quick_exit_place\n"
                          "restart=restarter\n"
                          "seconds=0.2\n"
                          "retry=2\n"
                          "on-final-fail-put=sink\n"
                          "on-final-fail-message=('quick', 'given up')\n"
                          "on-final-fail-log=FINAL-FAIL quick\n"
                          "\n"
                          "[place sink]\n"
                          "module=" TEST_MODULE "\n"
                          "function=sink_place\n");
  /* A place given up on is a failure: exit-when-idle says 1. */
  test_run_assert_status (run, 1);
  g_assert_cmpuint (count_lines (run->out, "quick-exit started"), ==, 3);
  g_assert_cmpuint (count_lines (run->out, "sink got: ('quick', 'given up')"), ==, 1);
  g_assert_cmpuint (test_count_substrings (run->err, "FINAL-FAIL quick"), ==, 1);
}

static void
test_run_final_fail_exit (void)
{
  g_autoptr(TestRun) run = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  run = test_run_keyfile ("final-fail-exit.ini",
                          "[place quick]\n"
                          "module=" TEST_MODULE "\n"
                          "function=quick_exit_place\n"
                          "backend=processes\n"
                          "restart=backoff\n"
                          "initial-delay=0.05\n"
                          "jitter=0\n"
                          "retry=3\n"
                          "on-final-fail-exit=7\n");
  test_run_assert_status (run, 7);
  g_assert_cmpuint (count_lines (run->out, "quick-exit started"), ==, 4);
}

static void
test_run_escalate (void)
{
  g_autoptr(TestRun) run = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  run = test_run_keyfile ("escalate.ini",
                          "[place quick]\n"
                          "module=" TEST_MODULE "\n"
                          "function=quick_exit_place\n"
                          "restart=intensity\n"
                          "max-restarts=2\n"
                          "period=10\n"
                          "\n"
                          "[timer never]\n"
                          "after-seconds=15\n"
                          "exit=0\n");
  /* The third death within 10 s: the system, its parent, fails — not the
   * timer at 15 s, which would exit with 0. */
  test_run_assert_status (run, 1);
  g_assert_cmpuint (count_lines (run->out, "quick-exit started"), ==, 3);
  g_assert_nonnull (strstr (run->err, "[place quick] escalates"));
}

static void
test_run_never_function (void)
{
  g_autoptr(TestRun) run = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  run = test_run_keyfile ("never-function.ini",
                          "[place once]\n"
                          "module=" TEST_MODULE "\n"
                          "function=storm_place\n"
                          "restart=never\n"
                          "on-final-fail-log=NEVER GAVE UP\n"
                          "\n"
                          "[place thrice]\n"
                          "module=" TEST_MODULE "\n"
                          "function=quick_exit_place\n"
                          "restart=function\n"
                          "restart-module=" TEST_MODULE "\n"
                          "restart-function=twice_strategy\n");
  /* Both strategies stopped, which is no failure. */
  test_run_assert_status (run, 0);
  g_assert_cmpuint (count_lines (run->out, "storm started"), ==, 1);
  g_assert_cmpuint (count_lines (run->out, "quick-exit started"), ==, 3);
  g_assert_null (strstr (run->err, "NEVER GAVE UP"));
}

/* ── named places that come back ───────────────────────────────────── */

/* Asks a pid_place for its process id. */
static gint32
ask_pid (gpointer channel)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  gint32 pid;

  test_put (channel, g_variant_new_string ("pid?"));
  reply = test_get (channel);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(i)");
  g_variant_get (reply, "(i)", &pid);
  return pid;
}

/* Connects to @name at @host:@port and asks it for its process id, once:
 * called when the place is known to be there. */
static gint32
ask_name (const char *host,
          guint       port,
          const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteConnection) connection = dp_connect_to_named_place_at (host, port, name, &error);

  g_assert_no_error (error);
  return ask_pid (connection);
}

/* ── restarts, as the monitor reports them ─────────────────────────── */

/* The place-restart and node-restart events of this process, in order:
 * what a test waits on for a child to come back. */
typedef struct {
  GMutex lock;
  GCond cond;
  GPtrArray *events;
  gulong handler;
} RestartEvents;

static void
restart_event_cb (DpMonitor     *monitor,
                  GVariant      *event,
                  RestartEvents *restarts)
{
  const char *kind;

  if (!g_variant_lookup (event, "kind", "&s", &kind) ||
      (!g_str_equal (kind, DP_MONITOR_EVENT_PLACE_RESTART) &&
       !g_str_equal (kind, DP_MONITOR_EVENT_NODE_RESTART)))
    return;
  g_mutex_lock (&restarts->lock);
  g_ptr_array_add (restarts->events, g_variant_ref (event));
  g_cond_broadcast (&restarts->cond);
  g_mutex_unlock (&restarts->lock);
}

static void
restart_events_start (RestartEvents *restarts)
{
  g_mutex_init (&restarts->lock);
  g_cond_init (&restarts->cond);
  restarts->events = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  restarts->handler = g_signal_connect (dp_monitor_get_default (), "event",
                                        G_CALLBACK (restart_event_cb), restarts);
}

static void
restart_events_stop (RestartEvents *restarts)
{
  g_signal_handler_disconnect (dp_monitor_get_default (), restarts->handler);
  g_ptr_array_unref (restarts->events);
  g_mutex_clear (&restarts->lock);
  g_cond_clear (&restarts->cond);
}

/* Waits for the @n-th (from 1) event of @kind; returns its `delay`: how
 * long the supervisor waited before that restart, in seconds. */
static gdouble
restart_events_wait (RestartEvents *restarts,
                     const char    *kind,
                     guint          n)
{
  gint64 end_time = g_get_monotonic_time () + TEST_WAIT_USEC;
  g_autoptr(GVariant) found = NULL;
  gdouble delay = -1;

  g_mutex_lock (&restarts->lock);
  while (found == NULL)
    {
      guint seen = 0;

      for (guint i = 0; i < restarts->events->len && found == NULL; i++)
        {
          GVariant *event = g_ptr_array_index (restarts->events, i);
          const char *event_kind;

          g_variant_lookup (event, "kind", "&s", &event_kind);
          if (g_str_equal (event_kind, kind) && ++seen == n)
            found = g_variant_ref (event);
        }
      if (found == NULL && !g_cond_wait_until (&restarts->cond, &restarts->lock, end_time))
        break;
    }
  g_mutex_unlock (&restarts->lock);

  if (found == NULL)
    g_error ("no %s event number %u within %d s", kind, n, (int) (TEST_WAIT_USEC / G_USEC_PER_SEC));
  {
    g_autofree char *text = g_variant_print (found, FALSE);

    test_note ("%s", text);
  }
  g_assert_true (g_variant_lookup (found, "delay", "d", &delay));
  return delay;
}

static gpointer
system_thread (gpointer data)
{
  DpSystem *system = data;
  g_autoptr(GError) error = NULL;
  gint status = dp_system_run (system, &error);

  g_assert_no_error (error);
  return GINT_TO_POINTER (status);
}

/* The system of @text, a keyfile, started and run on @thread. */
static DpSystem *
system_start (const char  *text,
              GThread    **thread)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = NULL;
  g_autoptr(DpSystem) system = NULL;

  config = dp_config_new_from_data (text, -1, "test.ini", &error);
  g_assert_no_error (error);
  system = dp_system_new (config);
  g_assert_true (dp_system_start (system, &error));
  g_assert_no_error (error);
  *thread = g_thread_new ("system", system_thread, system);
  return g_steal_pointer (&system);
}

/* Tells the system run on @thread to exit, and waits until it has. */
static void
system_stop (DpSystem *system,
             GThread  *thread)
{
  dp_system_exit (system, 0);
  g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (thread)), ==, 0);
}

/* A named place of the processes backend, on the root of a keyfile's
 * system, SIGKILLed: `always` starts it again at once, under its name. */
static void
test_root_named_sigkill (void)
{
  const char *text =
    "[dplaces]\n"
    "listen-port=0\n"
    "exit-when-idle=false\n"
    "\n"
    "[place pid]\n"
    "module=" TEST_MODULE "\n"
    "function=pid_place\n"
    "named=true\n"
    "backend=processes\n"
    "restart=always\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(DpSystem) system = NULL;
  g_autoptr(DpRemoteConnection) first = NULL;
  RestartEvents restarts;
  GThread *thread;
  guint port;
  gint32 pid, new_pid;
  gint64 killed;
  gdouble delay;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  restart_events_start (&restarts);
  system = system_start (text, &thread);
  port = dp_node_get_listen_port (dp_system_get_node (system));
  g_assert_cmpuint (port, >, 0);

  first = dp_connect_to_named_place_at ("localhost", port, "pid", &error);
  g_assert_no_error (error);
  pid = ask_pid (first);
  g_assert_cmpint (pid, !=, getpid ());

  killed = g_get_monotonic_time ();
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  /* always: started again at once, under its name (the system names it
   * before it says so). */
  delay = restart_events_wait (&restarts, DP_MONITOR_EVENT_PLACE_RESTART, 1);
  g_assert_cmpfloat (delay, <=, AT_ONCE_DELAY);
  new_pid = ask_name ("localhost", port, "pid");
  test_note ("the named place (pid %d) answered again as pid %d %.3f s after SIGKILL", pid, new_pid,
             test_seconds_since (killed));
  g_assert_cmpint (new_pid, !=, pid);
  g_assert_cmpint (new_pid, !=, getpid ());

  /* The old connection led to the old instance: it says it is gone. */
  if (dp_channel_put (DP_CHANNEL (first), g_variant_new_string ("pid?"), &error))
    {
      g_autoptr(GVariant) reply = dp_channel_get_timeout (DP_CHANNEL (first), TEST_WAIT_USEC, &error);

      g_assert_null (reply);
    }
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, DP_ERROR, DP_ERROR_TIMED_OUT));
  test_note ("the old connection: %s", error->message);

  system_stop (system, thread);
  restart_events_stop (&restarts);
}

/* A place of a keyfile that dies the moment it starts, under `always`:
 * its storm guard waits 0, 0.1, 0.2, 0.4, 0.8 … s before each restart in
 * a row (the supervisor itself, at least 0.1 s since the last start) —
 * each restart waits as long as it should, whatever the machine's speed;
 * without the guard, thousands a second. The restart events say how long
 * each waited. */
static void
test_root_storm_guard (void)
{
  const char *text =
    "[dplaces]\n"
    "exit-when-idle=false\n"
    "\n"
    "[place storm]\n"
    "module=" TEST_MODULE "\n"
    "function=storm_place\n"
    "restart=always\n";
  const gdouble delays[] = { AT_ONCE_DELAY, 0.1, 0.2, 0.4, 0.8 };
  g_autoptr(DpSystem) system = NULL;
  RestartEvents restarts;
  GThread *thread;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  restart_events_start (&restarts);
  system = system_start (text, &thread);

  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    {
      gdouble delay = restart_events_wait (&restarts, DP_MONITOR_EVENT_PLACE_RESTART, i + 1);

      /* The first restart is "at once": only the supervisor's 0.1 s since
       * the start holds it back, and by less as the start is longer
       * ago. */
      if (i == 0)
        g_assert_cmpfloat (delay, <=, delays[i]);
      else
        g_assert_cmpfloat (delay, ==, delays[i]);
    }

  system_stop (system, thread);
  restart_events_stop (&restarts);
}

static void
test_remote_named_sigkill (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRestarter) restarter = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;
  RestartEvents restarts;
  guint port;
  gint32 pid, pid2, pid3;
  gint64 killed;
  gdouble delay, seconds;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  restart_events_start (&restarts);
  node = test_spawn_node ();
  port = dp_remote_node_get_listen_port (node);
  restarter = dp_restart_every (2.0, -1, NULL, NULL, NULL);
  place = dp_remote_node_launch_place_full (node, DP_PLACE_EXEC_DYNAMIC_PLACE, TEST_MODULE, "pid_place",
                                            "pid", "processes", DP_RESTART_STRATEGY (restarter), &error);
  g_assert_no_error (error);
  pid = ask_pid (place);

  /* First death: restart-every restarts at once. */
  killed = g_get_monotonic_time ();
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  delay = restart_events_wait (&restarts, DP_MONITOR_EVENT_PLACE_RESTART, 1);
  g_assert_cmpfloat (delay, <=, AT_ONCE_DELAY);

  /* The creator's channel reaches the new instance, and so does its name
   * (the node named it before it answered anyone). */
  pid2 = ask_pid (place);
  test_note ("the remote named place answered again %.3f s after SIGKILL (delay %.3f s)",
             test_seconds_since (killed), delay);
  g_assert_cmpint (pid2, !=, pid);
  g_assert_cmpint (ask_name ("localhost", port, "pid"), ==, pid2);
  g_assert_cmpuint (dp_remote_connection_get_restarts (place), ==, 1);
  g_assert_false (dp_remote_connection_has_exited (place));

  /* Second death, within 2 s of the restart: restart-every waits its
   * 2 s first. */
  killed = g_get_monotonic_time ();
  g_assert_cmpint (kill (pid2, SIGKILL), ==, 0);
  delay = restart_events_wait (&restarts, DP_MONITOR_EVENT_PLACE_RESTART, 2);
  seconds = test_seconds_since (killed);
  pid3 = ask_pid (place);
  test_note ("… and %.3f s after the second SIGKILL (delay %.3f s)", seconds, delay);
  g_assert_cmpfloat (delay, ==, 2.0);
  g_assert_cmpfloat (seconds, >=, 1.9);
  g_assert_cmpint (pid3, !=, pid2);
  g_assert_cmpint (ask_name ("localhost", port, "pid"), ==, pid3);
  g_assert_cmpuint (dp_restarter_get_retries (restarter), ==, 2);

  test_stop_node (node);
  restart_events_stop (&restarts);
}

/* A place on a node killed again and again (six times): its DpRemoteConnection let
 * go of the endpoints of instances that ended long ago. It kept every one
 * (with what each left unread), so a root restarting a place all day grew
 * all day (`dplaces bench soak` saw it). */
static void
test_remote_retired_endpoints (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRestartStrategy) always = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;
  DpPlaceChannel *first;
  RestartEvents restarts;
  guint port;
  gint32 pid;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  restart_events_start (&restarts);
  node = test_spawn_node ();
  port = dp_remote_node_get_listen_port (node);
  always = dp_restart_strategy_new ("always", &error);
  g_assert_no_error (error);
  place = dp_remote_node_launch_place_full (node, DP_PLACE_EXEC_DYNAMIC_PLACE, TEST_MODULE, "pid_place",
                                            "pid", "processes", always, &error);
  g_assert_no_error (error);
  first = dp_channel_get_endpoint (DP_CHANNEL (place));
  g_object_add_weak_pointer (G_OBJECT (first), (gpointer *) &first);
  pid = ask_pid (place);

  for (guint i = 0; i < 6; i++)
    {
      gint32 new_pid;

      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      restart_events_wait (&restarts, DP_MONITOR_EVENT_PLACE_RESTART, i + 1);
      /* The creator's channel reaches the new instance, and so does its
       * name. */
      new_pid = ask_pid (place);
      g_assert_cmpint (new_pid, !=, pid);
      g_assert_cmpint (ask_name ("localhost", port, "pid"), ==, new_pid);
      pid = new_pid;
    }
  g_assert_cmpuint (dp_remote_connection_get_restarts (place), ==, 6);
  g_assert_null (first);

  test_stop_node (node);
  restart_events_stop (&restarts);
}

static void
count_atomic_cb (gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

static void
test_remote_final_fail (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRestarter) restarter = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;
  gint final_fails = 0;
  gint64 start;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_node ();
  restarter = dp_restart_every (0.2, 2, count_atomic_cb, &final_fails, NULL);
  start = g_get_monotonic_time ();
  place = dp_supervise_place_at_full (node, TEST_MODULE, "count_place", NULL, FALSE,
                                      DP_RESTART_STRATEGY (restarter), &error);
  g_assert_no_error (error);

  /* It ends at once, three times; wait returns once it is given up. */
  g_assert_cmpint (test_wait_remote (place), ==, 0);
  test_note ("given up after %.3f s", test_seconds_since (start));
  g_assert_cmpint (g_atomic_int_get (&final_fails), ==, 1);
  g_assert_cmpuint (dp_remote_connection_get_restarts (place), ==, 2);
  g_assert_true (dp_remote_connection_has_exited (place));

  test_stop_node (node);
  g_assert_cmpint (g_atomic_int_get (&final_fails), ==, 1);
}

/* ── nodes ─────────────────────────────────────────────────────────── */

typedef struct {
  gboolean died;
  gboolean restarted;
  gint64 when;
} NodeEvents;

static void
died_cb (DpRemoteNode *node,
         GError       *reason,
         NodeEvents   *events)
{
  test_note ("node died: %s", reason->message);
  events->died = TRUE;
}

static void
restarted_cb (DpRemoteNode *node,
              NodeEvents   *events)
{
  events->restarted = TRUE;
  events->when = g_get_monotonic_time ();
}

static void
test_node_sigkill (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRestartStrategy) always = NULL;
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;
  NodeEvents events = { FALSE, FALSE, 0 };
  DpNodeOptions options;
  guint port;
  GPid node_pid, new_node_pid;
  gint32 pid;
  gint64 killed;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  /* "died" and "restarted" come in our context. */
  g_main_context_push_thread_default (context);
  always = dp_restart_strategy_new ("always", &error);
  g_assert_no_error (error);
  dp_node_options_init (&options);
  options.node_restart_on_exit = G_OBJECT (always);
  node = test_spawn_node_full ("localhost", &options);
  g_signal_connect (node, "died", G_CALLBACK (died_cb), &events);
  g_signal_connect (node, "restarted", G_CALLBACK (restarted_cb), &events);
  port = dp_remote_node_get_listen_port (node);
  node_pid = dp_spawned_process_get_pid (dp_remote_node_get_process (node));

  /* A named place in the node's own process (threads backend). */
  place = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, TEST_MODULE, "pid_place", "pid",
                                       NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ask_pid (place), ==, node_pid);

  killed = g_get_monotonic_time ();
  g_assert_cmpint (kill (node_pid, SIGKILL), ==, 0);
  g_assert_true (test_iterate_until (context, &events.restarted, TEST_WAIT_USEC / 1000));
  g_assert_true (events.died);
  test_note ("the node was spawned again %.3f s after SIGKILL",
             (events.when - killed) / (gdouble) G_USEC_PER_SEC);

  /* On the same port, a new process … */
  g_assert_true (dp_remote_node_is_alive (node));
  g_assert_cmpuint (dp_remote_node_get_listen_port (node), ==, port);
  new_node_pid = dp_spawned_process_get_pid (dp_remote_node_get_process (node));
  g_assert_cmpint (new_node_pid, !=, node_pid);

  /* … with its place, reached by the same channel, and under its name
   * (the node is started again with its places before "restarted"). */
  pid = ask_pid (place);
  test_note ("its named place answered %.3f s after SIGKILL", test_seconds_since (killed));
  g_assert_cmpint (pid, ==, new_node_pid);
  g_assert_cmpint (ask_name ("localhost", port, "pid"), ==, new_node_pid);
  g_assert_cmpuint (dp_remote_connection_get_restarts (place), ==, 1);
  g_assert_false (dp_remote_connection_has_exited (place));

  /* Told to exit, it stays dead, and so does its place. */
  test_stop_node (node);
  g_assert_cmpint (test_wait_remote (place), ==, 1);
  g_main_context_pop_thread_default (context);
}

/* ── processes and threads ─────────────────────────────────────────── */

typedef struct {
  GMutex lock;
  GCond cond;
  guint restarts;
} Restarts;

static void
process_restarted_cb (DpSpawnedProcess *process,
                      Restarts         *restarts)
{
  g_mutex_lock (&restarts->lock);
  restarts->restarts++;
  g_cond_broadcast (&restarts->cond);
  g_mutex_unlock (&restarts->lock);
}

static void
test_process_restart (void)
{
  const char *exits[] = { "sh", "-c", "echo started $$; exit 3", NULL };
  const char *sleeps[] = { "sleep", "60", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRestarter) restarter = NULL;
  g_autoptr(DpRestartStrategy) always = NULL;
  g_autoptr(DpSpawnedProcess) process = NULL;
  g_autoptr(DpSpawnedProcess) sleeper = NULL;
  g_autoptr(GString) seen = g_string_new (NULL);
  Restarts restarts = { 0 };
  gint final_fails = 0;
  TestStdout caught;
  gboolean found;
  GPid pid;
  gint64 killed;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  /* 1. A command that exits: run 1 + 2 times, its output forwarded to
   * our standard output. */
  test_stdout_catch (&caught);
  restarter = dp_restart_every (0.2, 2, count_atomic_cb, &final_fails, NULL);
  process = dp_supervise_process_at_full ("localhost", exits, DP_RESTART_STRATEGY (restarter), &error);
  found = process != NULL && test_read_fd_until (caught.fd, "PROCESS localhost: started ", 3, seen);
  test_stdout_release (&caught);

  g_assert_no_error (error);
  test_note ("forwarded:\n%s", seen->str);
  g_assert_true (found);
  g_assert_cmpint (dp_spawned_process_wait (process), ==, 3);
  g_assert_cmpuint (dp_spawned_process_get_restarts (process), ==, 2);
  g_assert_cmpint (g_atomic_int_get (&final_fails), ==, 1);
  g_assert_true (dp_spawned_process_has_exited (process));

  /* 2. A command killed from outside comes back; stop ends it. */
  g_mutex_init (&restarts.lock);
  g_cond_init (&restarts.cond);
  always = dp_restart_strategy_new ("always", &error);
  g_assert_no_error (error);
  sleeper = dp_supervise_process_at_full ("localhost", sleeps, always, &error);
  g_assert_no_error (error);
  g_signal_connect (sleeper, "restarted", G_CALLBACK (process_restarted_cb), &restarts);
  pid = dp_spawned_process_get_pid (sleeper);
  killed = g_get_monotonic_time ();
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);

  g_mutex_lock (&restarts.lock);
  while (restarts.restarts == 0)
    g_assert_true (g_cond_wait_until (&restarts.cond, &restarts.lock,
                                      g_get_monotonic_time () + TEST_WAIT_USEC));
  g_mutex_unlock (&restarts.lock);
  test_note ("the killed command ran again %.3f s after SIGKILL", test_seconds_since (killed));
  g_assert_cmpint (dp_spawned_process_get_pid (sleeper), !=, pid);
  g_assert_false (dp_spawned_process_has_exited (sleeper));

  dp_spawned_process_stop (sleeper);
  g_assert_true (dp_spawned_process_wait_timeout (sleeper, TEST_WAIT_USEC / 1000));
  g_assert_cmpint (dp_spawned_process_wait (sleeper), ==, 128 + SIGKILL);
  g_assert_cmpuint (dp_spawned_process_get_restarts (sleeper), ==, 1);
  g_signal_handlers_disconnect_by_data (sleeper, &restarts);
  g_mutex_clear (&restarts.lock);
  g_cond_clear (&restarts.cond);
}

static void
test_thread_restart (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRestarter) restarter = NULL;
  g_autoptr(DpRemoteConnection) thread = NULL;
  RestartEvents restarts;
  gint final_fails = 0;
  guint hellos = 0;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  restart_events_start (&restarts);
  node = test_spawn_node ();
  restarter = dp_restart_every (0.1, 2, count_atomic_cb, &final_fails, NULL);
  thread = dp_supervise_thread_at_full (node, TEST_MODULE, "hello_place", DP_RESTART_STRATEGY (restarter),
                                        &error);
  g_assert_no_error (error);

  /* Each run says hello, once, on the same channel: a get on a run that
   * ended fails, the next — once the run is started again — reaches the
   * next run. */
  while (hellos < 3)
    {
      g_autoptr(GError) get_error = NULL;
      g_autoptr(GVariant) message = dp_channel_get_timeout (DP_CHANNEL (thread), TEST_WAIT_USEC,
                                                            &get_error);

      if (message != NULL)
        {
          g_assert_cmpstr (g_variant_get_string (message, NULL), ==, "hello");
          hellos++;
          continue;
        }
      g_assert_nonnull (get_error);
      g_assert_false (g_error_matches (get_error, DP_ERROR, DP_ERROR_TIMED_OUT));
      test_note ("after hello %u: %s", hellos, get_error->message);
      /* The run that said hello number @hellos ended: its restart. */
      g_assert_cmpuint (hellos, >, 0);
      restart_events_wait (&restarts, DP_MONITOR_EVENT_PLACE_RESTART, hellos);
    }
  g_assert_cmpint (test_wait_remote (thread), ==, 0);
  g_assert_cmpuint (dp_remote_connection_get_restarts (thread), ==, 2);
  g_assert_cmpint (g_atomic_int_get (&final_fails), ==, 1);

  test_stop_node (node);
  restart_events_stop (&restarts);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  test_sandbox_init ("dplaces-supervision", TEST_COOKIE);

  g_test_add_func ("/supervision/run/restart-example", test_run_restart_example);
  g_test_add_func ("/supervision/program/restart-example", test_program_restart_example);
  g_test_add_func ("/supervision/run/final-fail-once", test_run_final_fail_once);
  g_test_add_func ("/supervision/run/final-fail-exit", test_run_final_fail_exit);
  g_test_add_func ("/supervision/run/escalate", test_run_escalate);
  g_test_add_func ("/supervision/run/never-function", test_run_never_function);
  g_test_add_func ("/supervision/root/named-sigkill", test_root_named_sigkill);
  g_test_add_func ("/supervision/root/storm-guard", test_root_storm_guard);
  g_test_add_func ("/supervision/remote/named-sigkill", test_remote_named_sigkill);
  g_test_add_func ("/supervision/remote/retired-endpoints", test_remote_retired_endpoints);
  g_test_add_func ("/supervision/remote/final-fail", test_remote_final_fail);
  g_test_add_func ("/supervision/node/sigkill", test_node_sigkill);
  g_test_add_func ("/supervision/process/restart", test_process_restart);
  g_test_add_func ("/supervision/thread/restart", test_thread_restart);

  status = g_test_run ();
  test_sandbox_finish ();
  return status;
}
