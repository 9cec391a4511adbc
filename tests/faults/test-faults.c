/* test-faults.c: faults injected into a running system — real nodes in
 * real processes, killed, stopped, cut off and stormed mid-traffic
 *
 *   /faults/node/sigkill            a node SIGKILLed while every channel
 *                                   carries traffic: its channels fail
 *                                   with PEER_DIED, "died" fires, the
 *                                   other nodes' channels lose nothing
 *   /faults/node/sigkill-restarted  … under a restart strategy: spawned
 *                                   again, its place answers on the same
 *                                   connection
 *   /faults/place/sigkill           a processes place SIGKILLed (on a node
 *                                   and here): its creator and its clients
 *                                   see it dead, its node and the other
 *                                   places lose nothing
 *   /faults/node/sigkill-processes  a node SIGKILLed: its processes places
 *                                   end with it, even one that waits on a
 *                                   channel of its own or computes
 *   /faults/node/sigstop            a node SIGSTOPped, then SIGCONTed:
 *                                   nobody sees an error meanwhile, and
 *                                   afterwards every message arrives,
 *                                   once, in order
 *   /faults/place/sigstop           the same for a processes place
 *   /faults/partition               two nodes in network namespaces, the
 *                                   link between them cut for 5 s, then
 *                                   healed: TCP delivers everything, once,
 *                                   in order (root only)
 *   /faults/connections/storm       10 000 connections to a node: closed
 *                                   at once, garbage, wrong cookies, half
 *                                   handshakes, whole handshakes that
 *                                   vanish; its channels lose nothing, it
 *                                   still accepts a client, its descriptors
 *                                   and memory come back to where they were
 *   /faults/connections/stalled     300 connections hang in their
 *                                   handshakes: a new client is served
 *                                   meanwhile
 *
 * Traffic is numbered round trips (faults-traffic.c) on every channel,
 * from this process and from places on the nodes: each echo must be the
 * next number, and once the traffic is told to stop, every message sent
 * must have come back. Nothing sleeps to wait for what can be waited on:
 * traffic is waited for by its counts, deaths by their errors and signals.
 * What does sleep is the fault itself (the partition lasts 5 s, a stop as
 * long as a probe's get takes to time out) and the traffic's pacing; where
 * only looking tells (every thread of a process stopped, a node's
 * descriptors back) the test looks every few milliseconds until a
 * deadline.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <dplaces/dplaces.h>

#include "faults-places.h"
#include "faults-traffic.h"
#include "test-bare-node.h"
#include "test-common.h"
#include "test-nodes.h"
#include "test-wire.h"

#define TEST_COOKIE "dplaces-fault-tests-0123456789abcdef0123"

/* Messages on their way at once on each channel. */
#define WINDOW 32

/* How many round trips "traffic flows" means: before a fault, during it
 * on the channels it spares, and after it on every survivor. */
#define ROUND_TRIPS 500

/* Messages on their way at once on a channel whose peer is stopped: they
 * pile up in the sockets and the send queue meanwhile. */
#define DEEP_WINDOW 20000

/* How long a stopped process stays stopped: as long as a get waits in vain
 * for its answer. */
#define STOP_PROBE_USEC (G_USEC_PER_SEC)

/* A pinger place answers "progress" this often. */
#define PROGRESS_EVERY 50

/* How long a traffic's get waits for an echo. Longer than any fault
 * lasts, shorter than the test's own deadline. */
#define TRAFFIC_GET_USEC (20 * G_USEC_PER_SEC)

static char *tmp_dir;

/* ── traffic ───────────────────────────────────────────────────────── */

/* Numbered round trips on one channel: from a thread of this process, or
 * from a pinger place on a node, with a named echo place at the other end. */
typedef struct {
  char *name;

  /* Here. */
  FaultsTraffic traffic;
  GThread *thread;
  gint stop;                /* atomic */
  GMutex lock;
  GCond cond;
  guint64 received;         /* under lock */
  gboolean finished;        /* under lock */

  /* On a node. */
  DpRemoteConnection *pinger;
} Flow;

static gboolean
flow_check_cb (FaultsTraffic *traffic,
               gpointer       data)
{
  Flow *flow = data;

  g_mutex_lock (&flow->lock);
  flow->received = traffic->received;
  g_cond_broadcast (&flow->cond);
  g_mutex_unlock (&flow->lock);
  return g_atomic_int_get (&flow->stop);
}

static gpointer
flow_thread (gpointer data)
{
  Flow *flow = data;

  faults_traffic_run (&flow->traffic);
  g_mutex_lock (&flow->lock);
  flow->received = flow->traffic.received;
  flow->finished = TRUE;
  g_cond_broadcast (&flow->cond);
  g_mutex_unlock (&flow->lock);
  return NULL;
}

/* Round trips from this process on @channel, to a place that echoes,
 * with up to @window messages on their way. */
static Flow *
flow_start_here_full (const char *name,
                      gpointer    channel,
                      guint       window)
{
  Flow *flow = g_new0 (Flow, 1);

  flow->name = g_strdup (name);
  g_mutex_init (&flow->lock);
  g_cond_init (&flow->cond);
  flow->traffic.channel = DP_CHANNEL (channel);
  flow->traffic.window = window;
  flow->traffic.get_timeout_usec = TRAFFIC_GET_USEC;
  flow->traffic.progress_every = 1;
  flow->traffic.check = flow_check_cb;
  flow->traffic.check_data = flow;
  flow->thread = g_thread_new (name, flow_thread, flow);
  return flow;
}

static Flow *
flow_start_here (const char *name,
                 gpointer    channel)
{
  return flow_start_here_full (name, channel, WINDOW);
}

/* Round trips from a pinger place on @node to the echo place named
 * @echo_name at @host:@port, which the pinger connects to itself, with
 * up to @window messages on their way, each echo awaited for at most
 * @get_timeout_usec. */
static Flow *
flow_start_on_full (const char   *name,
                    DpRemoteNode *node,
                    const char   *host,
                    guint         port,
                    const char   *echo_name,
                    guint         window,
                    gint64        get_timeout_usec)
{
  Flow *flow = g_new0 (Flow, 1);

  flow->name = g_strdup (name);
  g_mutex_init (&flow->lock);
  g_cond_init (&flow->cond);
  flow->pinger = test_launch (node, FAULTS_MODULE, "pinger_place", NULL, NULL);
  test_put (DP_CHANNEL (flow->pinger),
            g_variant_new (FAULTS_PINGER_CONFIG_TYPE, host, (guint16) port, echo_name,
                           (guint32) window, get_timeout_usec, (guint32) PROGRESS_EVERY));
  return flow;
}

static Flow *
flow_start_on (const char   *name,
               DpRemoteNode *node,
               const char   *host,
               guint         port,
               const char   *echo_name)
{
  return flow_start_on_full (name, node, host, port, echo_name, WINDOW, TRAFFIC_GET_USEC);
}

static void
flow_free (Flow *flow)
{
  g_assert_null (flow->thread);
  faults_traffic_clear (&flow->traffic);
  g_clear_object (&flow->pinger);
  g_mutex_clear (&flow->lock);
  g_cond_clear (&flow->cond);
  g_free (flow->name);
  g_free (flow);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Flow, flow_free)

/* A pinger's next report, of @kind or "done". */
static GVariant *
flow_report (Flow       *flow,
             const char *kind)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) report = dp_channel_get_timeout (DP_CHANNEL (flow->pinger),
                                                           TEST_WAIT_USEC, &error);
      const char *got;

      if (report == NULL)
        g_error ("%s: no report from the pinger: %s", flow->name,
                 error != NULL ? error->message : "nothing came");
      g_assert_cmpstr (g_variant_get_type_string (report), ==, FAULTS_REPORT_TYPE);
      g_variant_get (report, "(&sttis)", &got, NULL, NULL, NULL, NULL);
      if (g_str_equal (got, kind) || g_str_equal (got, "done"))
        return g_steal_pointer (&report);
    }
}

/* Round trips done so far: counted after this call began. */
static guint64
flow_received (Flow *flow)
{
  g_autoptr(GVariant) report = NULL;
  const char *kind, *why;
  guint64 received, sent;
  gint32 code;

  if (flow->pinger == NULL)
    {
      g_mutex_lock (&flow->lock);
      received = flow->received;
      g_mutex_unlock (&flow->lock);
      return received;
    }

  test_put (DP_CHANNEL (flow->pinger), g_variant_new_string ("progress"));
  report = flow_report (flow, "progress");
  g_variant_get (report, "(&stti&s)", &kind, &received, &sent, &code, &why);
  if (!g_str_equal (kind, "progress"))
    g_error ("%s: the pinger stopped after %" G_GUINT64_FORMAT " round trips: %s", flow->name,
             received, why);
  return received;
}

/* Waits until @flow has done @round_trips more round trips than it had
 * when this was called. */
static void
flow_advance (Flow    *flow,
              guint64  round_trips)
{
  guint64 target = flow_received (flow) + round_trips;
  gint64 end_time = g_get_monotonic_time () + TEST_WAIT_USEC;

  if (flow->pinger != NULL)
    {
      while (flow_received (flow) < target)
        g_assert_cmpint (g_get_monotonic_time (), <, end_time);
      return;
    }

  g_mutex_lock (&flow->lock);
  while (flow->received < target && !flow->finished)
    if (!g_cond_wait_until (&flow->cond, &flow->lock, end_time))
      break;
  if (flow->received < target)
    {
      g_autofree char *why = faults_traffic_why (&flow->traffic);

      g_error ("%s: stuck at %" G_GUINT64_FORMAT " round trips (waiting for %" G_GUINT64_FORMAT
               ")%s%s", flow->name, flow->received, target, flow->finished ? ", ended: " : "",
               flow->finished ? why : "");
    }
  g_mutex_unlock (&flow->lock);
}

/* Stops a healthy flow and checks that every message came back, in order:
 * nothing lost, nothing twice. */
static void
flow_finish (Flow *flow)
{
  guint64 received, sent;
  gint32 code;
  g_autofree char *why = NULL;

  if (flow->pinger != NULL)
    {
      g_autoptr(GVariant) report = NULL;
      const char *kind;

      test_put (DP_CHANNEL (flow->pinger), g_variant_new_string ("stop"));
      report = flow_report (flow, "done");
      g_variant_get (report, "(&sttis)", &kind, &received, &sent, &code, &why);
      g_assert_cmpint (test_wait_remote (flow->pinger), ==, 0);
    }
  else
    {
      g_atomic_int_set (&flow->stop, TRUE);
      g_thread_join (g_steal_pointer (&flow->thread));
      received = flow->traffic.received;
      sent = flow->traffic.sent;
      code = faults_traffic_code (&flow->traffic);
      why = faults_traffic_why (&flow->traffic);
    }

  test_note ("%s: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT " came back in order%s%s",
             flow->name, sent, received, code != FAULTS_CODE_NONE ? "; then: " : "", why);
  g_assert_cmpstr (why, ==, "");
  g_assert_cmpint (code, ==, FAULTS_CODE_NONE);
  g_assert_cmpuint (received, ==, sent);
  /* It was advanced at least once. */
  g_assert_cmpuint (received, >=, ROUND_TRIPS);
}

/* Waits for @flow to fail, as it must once its peer is dead; returns the
 * error (code and message) it failed with. Every echo that came before
 * came in order. */
static GError *
flow_failed (Flow *flow)
{
  guint64 received, sent;
  gint32 code;
  g_autofree char *why = NULL;

  if (flow->pinger != NULL)
    {
      g_autoptr(GVariant) report = flow_report (flow, "done");
      const char *kind;

      g_variant_get (report, "(&sttis)", &kind, &received, &sent, &code, &why);
    }
  else
    {
      g_thread_join (g_steal_pointer (&flow->thread));
      received = flow->traffic.received;
      sent = flow->traffic.sent;
      code = faults_traffic_code (&flow->traffic);
      why = faults_traffic_why (&flow->traffic);
    }

  test_note ("%s: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT " came back in order, then: %s",
             flow->name, sent, received, why);
  g_assert_cmpint (code, !=, FAULTS_CODE_NONE);
  g_assert_cmpint (code, !=, FAULTS_CODE_WRONG_ECHO);
  g_assert_cmpint (code, !=, DP_ERROR_TIMED_OUT);
  g_assert_cmpuint (received, >=, ROUND_TRIPS);
  return g_error_new_literal (DP_ERROR, code, why);
}

/* ── nodes and places ──────────────────────────────────────────────── */

static DpRemoteConnection *
launch (DpRemoteNode *node,
        const char   *named,
        const char   *backend)
{
  return test_launch (node, FAULTS_MODULE, "echo_place", named, backend);
}

/* Asks an echo place for its process id. */
static GPid
ask_pid (gpointer channel)
{
  g_autoptr(GVariant) reply = NULL;
  gint32 pid;

  test_put (DP_CHANNEL (channel), g_variant_new_string ("pid?"));
  reply = test_get (DP_CHANNEL (channel));
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(i)");
  g_variant_get (reply, "(i)", &pid);
  g_assert_cmpint (pid, >, 0);
  return pid;
}

static GPid
node_pid (DpRemoteNode *node)
{
  return dp_spawned_process_get_pid (dp_remote_node_get_process (node));
}

/* A named echo place answers by address: a new connection to it works. */
static void
assert_named_answers (DpRemoteNode *node,
                      const char   *name,
                      GPid          pid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteConnection) connection = NULL;

  connection = dp_connect_to_named_place_at (dp_remote_node_get_host (node),
                                             dp_remote_node_get_listen_port (node), name, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ask_pid (connection), ==, pid);
}

typedef struct {
  guint died;
  guint restarted;
  char *reason;
} NodeEvents;

static void
died_cb (DpRemoteNode *node,
         GError       *reason,
         NodeEvents   *events)
{
  events->died++;
  g_free (events->reason);
  events->reason = g_strdup (reason != NULL ? reason->message : "(no reason)");
}

static void
restarted_cb (DpRemoteNode *node,
              NodeEvents   *events)
{
  events->restarted++;
}

static gboolean
events_died (NodeEvents *events)
{
  return events->died > 0;
}

/* Iterates @context until @what holds for @events, or fails the test
 * after TEST_WAIT_USEC (a timeout source wakes the loop if nothing else
 * does). */
static void
iterate_until_event (GMainContext *context,
                     gboolean    (*what) (NodeEvents *events),
                     NodeEvents   *events)
{
  g_autoptr(GSource) timeout = g_timeout_source_new (TEST_WAIT_USEC / 1000);
  gboolean timed_out = FALSE;

  g_source_set_callback (timeout, test_wait_timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (!what (events) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_assert_true (what (events));
}

/* ── 1. SIGKILL of a node ──────────────────────────────────────────── */

/* Nodes A, B and C. A holds a named echo place; a place on B and one on C
 * ping it over connections of their own, and this process pings a place
 * on A and one on C. C is killed mid-traffic. */
static void
test_node_sigkill (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteNode) c = NULL;
  g_autoptr(DpRemoteConnection) echo_a = NULL;
  g_autoptr(DpRemoteConnection) echo_c = NULL;
  g_autoptr(Flow) here_a = NULL;
  g_autoptr(Flow) here_c = NULL;
  g_autoptr(Flow) b_to_a = NULL;
  g_autoptr(Flow) c_to_a = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) why = NULL;
  NodeEvents events = { 0 };
  guint port_a;

  if (!test_in_subprocess ())
    return;

  /* C's "died" comes in our context. */
  g_main_context_push_thread_default (context);
  a = test_spawn_node ();
  b = test_spawn_node ();
  c = test_spawn_node ();
  g_signal_connect (c, "died", G_CALLBACK (died_cb), &events);
  port_a = dp_remote_node_get_listen_port (a);

  echo_a = launch (a, "echo", NULL);
  echo_c = launch (c, NULL, NULL);
  g_assert_cmpint (ask_pid (echo_a), ==, node_pid (a));
  g_assert_cmpint (ask_pid (echo_c), ==, node_pid (c));

  here_a = flow_start_here ("here->A", echo_a);
  here_c = flow_start_here ("here->C", echo_c);
  b_to_a = flow_start_on ("B->A", b, "localhost", port_a, "echo");
  c_to_a = flow_start_on ("C->A", c, "localhost", port_a, "echo");
  flow_advance (here_a, ROUND_TRIPS);
  flow_advance (here_c, ROUND_TRIPS);
  flow_advance (b_to_a, ROUND_TRIPS);
  flow_advance (c_to_a, ROUND_TRIPS);

  g_assert_cmpint (kill (node_pid (c), SIGKILL), ==, 0);

  /* C's channels fail, each with why. */
  why = flow_failed (here_c);
  g_assert_error (why, DP_ERROR, DP_ERROR_PEER_DIED);
  g_clear_error (&why);
  {
    g_autoptr(GVariant) report = dp_channel_get_timeout (DP_CHANNEL (c_to_a->pinger),
                                                         TEST_WAIT_USEC, &error);

    test_note ("C's pinger's channel: %s", error != NULL ? error->message : "(a report)");
    g_assert_null (report);
    g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
    g_clear_error (&error);
  }
  iterate_until_event (context, events_died, &events);
  test_note ("\"died\": %s", events.reason);
  g_assert_false (dp_remote_node_is_alive (c));
  g_assert_cmpint (test_wait_remote (echo_c), ==, 1);
  g_assert_cmpint (test_wait_remote (c_to_a->pinger), ==, 1);
  g_assert_null (dp_remote_node_launch_place (c, DP_PLACE_EXEC_DYNAMIC_PLACE, FAULTS_MODULE,
                                              "echo_place", NULL, NULL, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_clear_error (&error);

  /* The others flow on, A's named place among them (one of its clients
   * died), and lose nothing. */
  flow_advance (here_a, ROUND_TRIPS);
  flow_advance (b_to_a, ROUND_TRIPS);
  flow_finish (here_a);
  flow_finish (b_to_a);
  assert_named_answers (a, "echo", node_pid (a));
  g_assert_true (dp_remote_node_is_alive (a));
  g_assert_true (dp_remote_node_is_alive (b));

  /* "died" came once. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (events.died, ==, 1);

  test_stop_node (a);
  test_stop_node (b);
  g_signal_handlers_disconnect_by_data (c, &events);
  g_free (events.reason);
  g_main_context_pop_thread_default (context);
}

static gboolean
events_restarted (NodeEvents *events)
{
  return events->restarted > 0;
}

/* The same, C under `always`: it is spawned again, its place with it, and
 * the connection to the place reaches the new one. */
static void
test_node_sigkill_restarted (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(DpRestartStrategy) always = NULL;
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteNode) c = NULL;
  g_autoptr(DpRemoteConnection) echo_a = NULL;
  g_autoptr(DpRemoteConnection) echo_c = NULL;
  g_autoptr(Flow) here_a = NULL;
  g_autoptr(Flow) here_c = NULL;
  g_autoptr(Flow) here_c_again = NULL;
  g_autoptr(Flow) b_to_a = NULL;
  g_autoptr(GError) error = NULL;
  NodeEvents events = { 0 };
  DpNodeOptions options;
  GPid old_pid;

  if (!test_in_subprocess ())
    return;

  g_main_context_push_thread_default (context);
  a = test_spawn_node ();
  b = test_spawn_node ();
  always = dp_restart_strategy_new ("always", &error);
  g_assert_no_error (error);
  dp_node_options_init (&options);
  options.node_restart_on_exit = G_OBJECT (always);
  c = test_spawn_node_full ("localhost", &options);
  g_signal_connect (c, "died", G_CALLBACK (died_cb), &events);
  g_signal_connect (c, "restarted", G_CALLBACK (restarted_cb), &events);
  old_pid = node_pid (c);

  echo_a = launch (a, "echo", NULL);
  echo_c = launch (c, "echo", NULL);
  g_assert_cmpint (ask_pid (echo_c), ==, old_pid);

  here_a = flow_start_here ("here->A", echo_a);
  here_c = flow_start_here ("here->C", echo_c);
  b_to_a = flow_start_on ("B->A", b, "localhost", dp_remote_node_get_listen_port (a), "echo");
  flow_advance (here_a, ROUND_TRIPS);
  flow_advance (here_c, ROUND_TRIPS);
  flow_advance (b_to_a, ROUND_TRIPS);

  g_assert_cmpint (kill (old_pid, SIGKILL), ==, 0);

  /* The traffic to the instance that died stops. A get blocked on it
   * fails with the reason; but the connection leads to the new instance
   * as soon as there is one, so a caller that was not in a get then (our
   * flow pauses now and again) puts its next message there, and the
   * messages on their way to the old one are lost: the echo it gets is a
   * later number than it waits for, never an earlier one or one twice.
   * That is what "died" and "restarted" are for. */
  g_thread_join (g_steal_pointer (&here_c->thread));
  if (here_c->traffic.problem != NULL)
    {
      test_note ("here->C: was not in a get when C died: %" G_GUINT64_FORMAT " echoes in order, "
                 "then %s (from the new instance)", here_c->traffic.received,
                 here_c->traffic.problem);
      g_assert_cmpint (here_c->traffic.wrong_echo, >, (gint64) here_c->traffic.received);
      g_assert_cmpint (here_c->traffic.wrong_echo, <, (gint64) here_c->traffic.sent);
    }
  else
    {
      test_note ("here->C: %s", here_c->traffic.error->message);
      g_assert_error (here_c->traffic.error, DP_ERROR, DP_ERROR_PEER_DIED);
    }
  g_assert_cmpuint (here_c->traffic.received, >=, ROUND_TRIPS);

  /* … the node comes back, on its port, with its place under its name, … */
  iterate_until_event (context, events_restarted, &events);
  test_note ("\"died\" (%s), then \"restarted\"", events.reason);
  g_assert_cmpuint (events.died, ==, 1);
  g_assert_true (dp_remote_node_is_alive (c));
  g_assert_cmpint (node_pid (c), !=, old_pid);
  g_assert_cmpuint (dp_remote_connection_get_restarts (echo_c), ==, 1);
  g_assert_cmpint (ask_pid (echo_c), ==, node_pid (c));
  assert_named_answers (c, "echo", node_pid (c));

  /* … and the same connection carries new traffic, none of it lost. */
  here_c_again = flow_start_here ("here->C again", echo_c);
  flow_advance (here_c_again, ROUND_TRIPS);
  flow_advance (here_a, ROUND_TRIPS);
  flow_advance (b_to_a, ROUND_TRIPS);
  flow_finish (here_c_again);
  flow_finish (here_a);
  flow_finish (b_to_a);

  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (events.died, ==, 1);
  g_assert_cmpuint (events.restarted, ==, 1);

  test_stop_node (a);
  test_stop_node (b);
  test_stop_node (c);
  g_signal_handlers_disconnect_by_data (c, &events);
  g_free (events.reason);
  g_main_context_pop_thread_default (context);
}

/* ── 2. SIGKILL of a place ─────────────────────────────────────────── */

/* A place of the processes backend in this process. */
static DpPlace *
start_place_here (const char *backend)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = g_object_new (DP_TYPE_PLACE, "module", FAULTS_MODULE,
                                           "function", "echo_place", "backend", backend, NULL);

  g_assert_true (dp_place_start (place, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&place);
}

/* Node A runs a named processes place, "victim", beside a named processes
 * place and a threads place that are left alone; a place on B pings each
 * named one, this process pings all three. This process also runs a
 * processes place of its own beside another. Both victims are SIGKILLed
 * mid-traffic. */
static void
test_place_sigkill (void)
{
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteConnection) victim = NULL;
  g_autoptr(DpRemoteConnection) healthy = NULL;
  g_autoptr(DpRemoteConnection) threads = NULL;
  g_autoptr(DpRemoteConnection) after = NULL;
  g_autoptr(DpRemoteConnection) by_name = NULL;
  g_autoptr(DpPlace) local_victim = NULL;
  g_autoptr(DpPlace) local_healthy = NULL;
  g_autoptr(Flow) here_victim = NULL;
  g_autoptr(Flow) here_healthy = NULL;
  g_autoptr(Flow) here_threads = NULL;
  g_autoptr(Flow) b_victim = NULL;
  g_autoptr(Flow) b_healthy = NULL;
  g_autoptr(Flow) local_victim_flow = NULL;
  g_autoptr(Flow) local_healthy_flow = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) why = NULL;
  GPid victim_pid, local_victim_pid;
  guint port_a;

  if (!test_in_subprocess ())
    return;

  a = test_spawn_node ();
  b = test_spawn_node ();
  port_a = dp_remote_node_get_listen_port (a);

  victim = launch (a, "victim", "processes");
  healthy = launch (a, "healthy", "processes");
  threads = launch (a, NULL, NULL);
  local_victim = start_place_here ("processes");
  local_healthy = start_place_here ("processes");
  victim_pid = ask_pid (victim);
  local_victim_pid = ask_pid (local_victim);
  g_assert_cmpint (victim_pid, !=, node_pid (a));
  g_assert_cmpint (ask_pid (healthy), !=, victim_pid);
  g_assert_cmpint (ask_pid (threads), ==, node_pid (a));
  g_assert_cmpint (local_victim_pid, !=, getpid ());

  here_victim = flow_start_here ("here->victim", victim);
  here_healthy = flow_start_here ("here->healthy", healthy);
  here_threads = flow_start_here ("here->threads place", threads);
  b_victim = flow_start_on ("B->victim", b, "localhost", port_a, "victim");
  b_healthy = flow_start_on ("B->healthy", b, "localhost", port_a, "healthy");
  local_victim_flow = flow_start_here ("here->local victim", local_victim);
  local_healthy_flow = flow_start_here ("here->local healthy", local_healthy);
  flow_advance (here_victim, ROUND_TRIPS);
  flow_advance (here_healthy, ROUND_TRIPS);
  flow_advance (here_threads, ROUND_TRIPS);
  flow_advance (b_victim, ROUND_TRIPS);
  flow_advance (b_healthy, ROUND_TRIPS);
  flow_advance (local_victim_flow, ROUND_TRIPS);
  flow_advance (local_healthy_flow, ROUND_TRIPS);

  g_assert_cmpint (kill (victim_pid, SIGKILL), ==, 0);
  g_assert_cmpint (kill (local_victim_pid, SIGKILL), ==, 0);

  /* Its creator sees it dead, with its signal — even a put that meets
   * the dead place's broken socket before its backend has reaped it. */
  why = flow_failed (here_victim);
  g_assert_error (why, DP_ERROR, DP_ERROR_PEER_DIED);
  g_assert_nonnull (strstr (why->message, "SIGKILL"));
  g_clear_error (&why);
  why = flow_failed (local_victim_flow);
  g_assert_error (why, DP_ERROR, DP_ERROR_PEER_DIED);
  g_assert_nonnull (strstr (why->message, "SIGKILL"));
  g_clear_error (&why);
  why = flow_failed (b_victim);
  g_clear_error (&why);
  g_assert_cmpint (test_wait_remote (victim), ==, 128 + SIGKILL);
  g_assert_cmpint (test_wait (local_victim), ==, 128 + SIGKILL);
  g_assert_cmpint (test_wait_remote (b_victim->pinger), ==, 0);

  /* Its name is free: a new connection to it says so (a refusal comes
   * as the end of the channel, DP_ERROR_NOT_FOUND with the reason) — to
   * the put, if the refusal came first, or else to the get. */
  by_name = dp_connect_to_named_place_at ("localhost", port_a, "victim", &error);
  g_assert_no_error (error);
  if (dp_channel_put (DP_CHANNEL (by_name), g_variant_new_string ("pid?"), &error))
    {
      g_autoptr(GVariant) reply = dp_channel_get_timeout (DP_CHANNEL (by_name), TEST_WAIT_USEC,
                                                          &error);

      g_assert_null (reply);
    }
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "No place named"));
  g_clear_error (&error);

  /* Nothing else noticed. */
  flow_advance (here_healthy, ROUND_TRIPS);
  flow_advance (here_threads, ROUND_TRIPS);
  flow_advance (b_healthy, ROUND_TRIPS);
  flow_advance (local_healthy_flow, ROUND_TRIPS);
  flow_finish (here_healthy);
  flow_finish (here_threads);
  flow_finish (b_healthy);
  flow_finish (local_healthy_flow);
  g_assert_true (dp_remote_node_is_alive (a));
  after = launch (a, "victim", "processes");
  g_assert_cmpint (ask_pid (after), !=, victim_pid);
  assert_named_answers (a, "victim", ask_pid (after));

  test_stop_node (a);
  test_stop_node (b);
  dp_channel_close (DP_CHANNEL (local_healthy));
  g_assert_cmpint (test_wait (local_healthy), ==, 0);
}

/* A node runs three processes places: one waits on its creator's channel,
 * one on a channel of its own making, one computes. The node is
 * SIGKILLed: each place process ends, though nothing reached the last
 * two, killed as dp_place_kill() kills (SIGKILL). This process is their
 * subreaper, to see how they ended: once their node has been reaped, they
 * are its children. A processes place whose creator lives on (this
 * process) runs on, and ends with its own status. */
static void
test_node_sigkill_processes (void)
{
  static const char *const functions[] = { "echo_place", "waiting_place", "busy_place" };
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(DpPlace) local = NULL;
  GPid pids[G_N_ELEMENTS (functions)];
  int pidfds[G_N_ELEMENTS (functions)];
  gboolean ended[G_N_ELEMENTS (functions)];
  gint64 end_time;
  GPid local_pid;

  if (!test_in_subprocess ())
    return;

  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);
  node = test_spawn_node ();
  local = start_place_here ("processes");
  local_pid = ask_pid (local);
  for (guint i = 0; i < G_N_ELEMENTS (functions); i++)
    {
      DpRemoteConnection *place = test_launch (node, FAULTS_MODULE, functions[i], NULL, "processes");

      g_ptr_array_add (places, place);
      pids[i] = ask_pid (place);
      g_assert_cmpint (pids[i], !=, node_pid (node));
      pidfds[i] = test_pidfd_open (pids[i]);
    }

  g_assert_cmpint (kill (node_pid (node), SIGKILL), ==, 0);
  test_wait_node_exit (node);

  /* Those that outlive their node are killed before the test fails: a
   * busy one would spin on. */
  end_time = g_get_monotonic_time () + TEST_WAIT_USEC;
  for (guint i = 0; i < G_N_ELEMENTS (functions); i++)
    ended[i] = test_pidfd_wait (pidfds[i], end_time - g_get_monotonic_time ());
  for (guint i = 0; i < G_N_ELEMENTS (functions); i++)
    if (!ended[i])
      {
        test_note ("%s (process %d) outlived its node", functions[i], pids[i]);
        pidfd_send_signal (pidfds[i], SIGKILL, NULL, 0);
      }

  for (guint i = 0; i < G_N_ELEMENTS (functions); i++)
    {
      siginfo_t info = { 0 };

      g_assert_true (ended[i]);
      g_assert_cmpint (waitid (P_PIDFD, pidfds[i], &info, WEXITED), ==, 0);
      test_note ("%s (process %d) ended with its node: %s %d", functions[i], pids[i],
                 info.si_code == CLD_KILLED ? "killed by signal" : "status", info.si_status);
      g_assert_cmpint (info.si_code, ==, CLD_KILLED);
      g_assert_cmpint (info.si_status, ==, SIGKILL);
      close (pidfds[i]);
    }

  g_assert_cmpint (ask_pid (local), ==, local_pid);
  dp_channel_close (DP_CHANNEL (local));
  g_assert_cmpint (test_wait (local), ==, 0);
}

/* ── 3. SIGSTOP of a node, of a place ──────────────────────────────── */

/* What a peer of a stopped process sees: nothing. A put succeeds (the
 * kernel takes it), a get waits; with a deadline, it returns nothing —
 * no error says the peer is dead, because it is not. Returns once the
 * probe has timed out: that is how long the stop lasts. */
static void
probe_stopped (gpointer    channel,
               GVariant   *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  test_put (DP_CHANNEL (channel), message);
  /* NULL without an error: the time ran out. */
  reply = dp_channel_get_timeout (DP_CHANNEL (channel), STOP_PROBE_USEC, &error);
  g_assert_no_error (error);
  g_assert_null (reply);
}

/* A process this test stopped is continued by a guard process if the test
 * ends first — a failing assertion in a test's subprocess calls _exit():
 * it would stay stopped forever, holding the test's output open. The
 * guard waits for the end of a pipe that this process holds. */
typedef struct {
  GPid pid;
  int guard_fd;
} Stopped;

/* Whether every thread of process @pid is stopped. */
static gboolean
all_threads_stopped (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/task", pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *tid;

  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *stat_path = g_build_filename (path, tid, "stat", NULL);
      g_autofree char *stat = NULL;
      const char *end;

      /* A thread that ended meanwhile stops nothing. */
      if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;
      /* "TID (NAME) STATE …": the name may hold anything but ends at the
       * last parenthesis. */
      end = strrchr (stat, ')');
      if (end == NULL || end[1] != ' ' || (end[2] != 'T' && end[2] != 't'))
        return FALSE;
    }
  return TRUE;
}

/* kill() returns before a process with many threads has stopped: each
 * thread stops when it next runs. Only looking tells when all have. */
static void
wait_stopped (GPid pid)
{
  gint64 end_time = g_get_monotonic_time () + TEST_WAIT_USEC;

  while (!all_threads_stopped (pid))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end_time);
      g_usleep (1000);
    }
}

static Stopped *
stop_process (GPid pid)
{
  Stopped *stopped = g_new0 (Stopped, 1);
  int fds[2];
  pid_t guard;

  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  guard = fork ();
  g_assert_cmpint (guard, >=, 0);
  if (guard == 0)
    {
      char byte;

      /* Only async-signal-safe calls here: this process has threads. */
      close (fds[1]);
      while (read (fds[0], &byte, 1) < 0 && errno == EINTR)
        ;
      kill (pid, SIGCONT);
      _exit (0);
    }
  close (fds[0]);
  stopped->pid = pid;
  stopped->guard_fd = fds[1];
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  wait_stopped (pid);
  return stopped;
}

static void
continue_process (Stopped *stopped)
{
  g_assert_cmpint (kill (stopped->pid, SIGCONT), ==, 0);
  close (stopped->guard_fd);
  g_free (stopped);
}

/* Nodes A and B. A holds a named echo place that a place on B pings and
 * this process pings, with many messages on their way; this process also
 * pings a place on B. A is stopped mid-traffic, then continued. */
static void
test_node_sigstop (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteConnection) echo_a = NULL;
  g_autoptr(DpRemoteConnection) echo_b = NULL;
  g_autoptr(DpRemoteConnection) probe = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(Flow) here_a = NULL;
  g_autoptr(Flow) here_b = NULL;
  g_autoptr(Flow) b_to_a = NULL;
  NodeEvents events = { 0 };
  Stopped *stopped_a;
  gint64 stopped;

  if (!test_in_subprocess ())
    return;

  g_main_context_push_thread_default (context);
  a = test_spawn_node ();
  b = test_spawn_node ();
  g_signal_connect (a, "died", G_CALLBACK (died_cb), &events);

  echo_a = launch (a, "echo", NULL);
  echo_b = launch (b, NULL, NULL);
  probe = launch (a, NULL, NULL);
  g_assert_cmpint (ask_pid (probe), ==, node_pid (a));

  here_a = flow_start_here_full ("here->A", echo_a, DEEP_WINDOW);
  here_b = flow_start_here ("here->B", echo_b);
  b_to_a = flow_start_on_full ("B->A", b, "localhost", dp_remote_node_get_listen_port (a), "echo",
                              DEEP_WINDOW, TRAFFIC_GET_USEC);
  flow_advance (here_a, ROUND_TRIPS);
  flow_advance (here_b, ROUND_TRIPS);
  flow_advance (b_to_a, ROUND_TRIPS);

  stopped_a = stop_process (node_pid (a));
  stopped = g_get_monotonic_time ();

  /* A's peers see nothing; the channels it has no part in flow on. */
  probe_stopped (probe, g_variant_new_string ("are you there?"));
  flow_advance (here_b, ROUND_TRIPS);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (events.died, ==, 0);
  g_assert_true (dp_remote_node_is_alive (a));

  test_note ("A stopped for %.3f s", test_seconds_since (stopped));
  continue_process (stopped_a);

  /* Everything put meanwhile arrives, once, in order. */
  reply = test_get (DP_CHANNEL (probe));
  g_assert_cmpstr (g_variant_get_string (reply, NULL), ==, "are you there?");
  flow_advance (here_a, ROUND_TRIPS);
  flow_advance (here_b, ROUND_TRIPS);
  flow_advance (b_to_a, ROUND_TRIPS);
  flow_finish (here_a);
  flow_finish (here_b);
  flow_finish (b_to_a);

  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (events.died, ==, 0);

  test_stop_node (a);
  test_stop_node (b);
  g_signal_handlers_disconnect_by_data (a, &events);
  g_main_context_pop_thread_default (context);
}

/* Node A runs a named processes place, "stopped", beside a named processes
 * place and a threads place; a place on B pings each named one, with many
 * messages on their way to "stopped", and this process pings all three.
 * This process also runs a processes place of its own, with many
 * messages on their way. Both are stopped mid-traffic, then continued. */
static void
test_place_sigstop (void)
{
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteConnection) stopped = NULL;
  g_autoptr(DpRemoteConnection) healthy = NULL;
  g_autoptr(DpRemoteConnection) threads = NULL;
  g_autoptr(DpRemoteConnection) probe = NULL;
  g_autoptr(DpPlace) local_stopped = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(Flow) here_stopped = NULL;
  g_autoptr(Flow) here_healthy = NULL;
  g_autoptr(Flow) here_threads = NULL;
  g_autoptr(Flow) b_stopped = NULL;
  g_autoptr(Flow) b_healthy = NULL;
  g_autoptr(Flow) local_flow = NULL;
  g_autoptr(GError) error = NULL;
  Stopped *stopped_place, *stopped_local;
  GPid pid, local_pid;
  guint port_a;

  if (!test_in_subprocess ())
    return;

  a = test_spawn_node ();
  b = test_spawn_node ();
  port_a = dp_remote_node_get_listen_port (a);

  stopped = launch (a, "stopped", "processes");
  healthy = launch (a, "healthy", "processes");
  threads = launch (a, NULL, NULL);
  local_stopped = start_place_here ("processes");
  pid = ask_pid (stopped);
  local_pid = ask_pid (local_stopped);
  probe = dp_connect_to_named_place_at ("localhost", port_a, "stopped", &error);
  g_assert_no_error (error);
  g_assert_cmpint (ask_pid (probe), ==, pid);

  here_stopped = flow_start_here ("here->stopped", stopped);
  here_healthy = flow_start_here ("here->healthy", healthy);
  here_threads = flow_start_here ("here->threads place", threads);
  b_stopped = flow_start_on ("B->stopped", b, "localhost", port_a, "stopped");
  b_healthy = flow_start_on ("B->healthy", b, "localhost", port_a, "healthy");
  local_flow = flow_start_here_full ("here->local stopped", local_stopped, DEEP_WINDOW);
  flow_advance (here_stopped, ROUND_TRIPS);
  flow_advance (here_healthy, ROUND_TRIPS);
  flow_advance (here_threads, ROUND_TRIPS);
  flow_advance (b_stopped, ROUND_TRIPS);
  flow_advance (b_healthy, ROUND_TRIPS);
  flow_advance (local_flow, ROUND_TRIPS);

  stopped_place = stop_process (pid);
  stopped_local = stop_process (local_pid);

  /* A client by name sees nothing; the other places flow on, and nobody
   * takes the stopped ones for dead. (The places whose channels share a
   * connection with "stopped"'s flow on because few messages are on
   * their way to it on that connection: its node's reader delivers them
   * into the stopped place's socket without blocking.) */
  probe_stopped (probe, g_variant_new_string ("pid?"));
  flow_advance (here_healthy, ROUND_TRIPS);
  flow_advance (here_threads, ROUND_TRIPS);
  flow_advance (b_healthy, ROUND_TRIPS);
  g_assert_false (dp_remote_connection_has_exited (stopped));
  g_assert_false (dp_place_has_exited (local_stopped));

  continue_process (stopped_place);
  continue_process (stopped_local);

  reply = test_get (DP_CHANNEL (probe));
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(i)");
  flow_advance (here_stopped, ROUND_TRIPS);
  flow_advance (b_stopped, ROUND_TRIPS);
  flow_advance (local_flow, ROUND_TRIPS);
  flow_advance (here_healthy, ROUND_TRIPS);
  flow_finish (here_stopped);
  flow_finish (here_healthy);
  flow_finish (here_threads);
  flow_finish (b_stopped);
  flow_finish (b_healthy);
  flow_finish (local_flow);

  test_stop_node (a);
  test_stop_node (b);
  dp_channel_close (DP_CHANNEL (local_stopped));
  g_assert_cmpint (test_wait (local_stopped), ==, 0);
}

/* ── 4. a partition ────────────────────────────────────────────────── */

/* How long the link between the two nodes stays cut. */
#define PARTITION_USEC (5 * G_USEC_PER_SEC)

/* How long the traffic across waits for an echo: the cut, then however
 * long the kernel takes to bring the link up again (seconds, when it is
 * busy removing another test's namespaces), then TCP's next retransmit. */
#define PARTITION_GET_USEC (45 * G_USEC_PER_SEC)

/* Two network namespaces joined by a veth pair: A's end 10.200.N.1, B's
 * 10.200.N.2. Named after the test's process, so that runs side by side
 * do not meet; made and removed by the test's parent process, so that
 * they go even when the test fails. */
typedef struct {
  char *namespaces[2];
  char *links[2];
  char *addresses[2];
} Net;

static const char *
ip_bin (void)
{
  static char *path;

  if (path == NULL)
    path = g_find_program_in_path ("ip");
  return path;
}

/* Runs `ip ARGS…`; FALSE with @error (what ip said) if it failed. */
static gboolean
run_ip (GError **error,
        ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  const char *arg;
  gint status;
  va_list args;

  g_ptr_array_add (argv, (gpointer) ip_bin ());
  va_start (args, error);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                     NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_autofree char *command = g_strjoinv (" ", (char **) argv->pdata);

      g_set_error (error, G_SPAWN_EXIT_ERROR, status, "%s: %s", command, g_strstrip (err));
      return FALSE;
    }
  return TRUE;
}

static void
net_free (Net *net)
{
  for (guint i = 0; i < 2; i++)
    {
      /* The veth pair goes with its namespace; if it never got there, it
       * is here. */
      run_ip (NULL, "link", "delete", net->links[i], NULL);
      run_ip (NULL, "netns", "delete", net->namespaces[i], NULL);
      g_free (net->namespaces[i]);
      g_free (net->links[i]);
      g_free (net->addresses[i]);
    }
  g_free (net);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Net, net_free)

static Net *
net_new (GPid      pid,
         GError  **error)
{
  g_autoptr(Net) net = g_new0 (Net, 1);
  guint subnet = 1 + pid % 250;

  for (guint i = 0; i < 2; i++)
    {
      net->namespaces[i] = g_strdup_printf ("dp-faults-%d-%c", pid, 'a' + i);
      net->links[i] = g_strdup_printf ("dpf%d%c", pid, 'a' + i);
      net->addresses[i] = g_strdup_printf ("10.200.%u.%u", subnet, i + 1);
    }
  if (!run_ip (error, "netns", "add", net->namespaces[0], NULL) ||
      !run_ip (error, "netns", "add", net->namespaces[1], NULL) ||
      !run_ip (error, "link", "add", net->links[0], "type", "veth", "peer", "name", net->links[1],
               NULL))
    return NULL;
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *cidr = g_strdup_printf ("%s/24", net->addresses[i]);

      if (!run_ip (error, "link", "set", net->links[i], "netns", net->namespaces[i], NULL) ||
          !run_ip (error, "-n", net->namespaces[i], "address", "add", cidr, "dev", net->links[i],
                   NULL) ||
          !run_ip (error, "-n", net->namespaces[i], "link", "set", "lo", "up", NULL) ||
          !run_ip (error, "-n", net->namespaces[i], "link", "set", net->links[i], "up", NULL))
        return NULL;
    }
  return g_steal_pointer (&net);
}

/* The names the parent made, for its subprocess. */
static Net *
net_from_environment (void)
{
  Net *net = g_new0 (Net, 1);
  g_auto(GStrv) parts = g_strsplit (g_getenv ("DP_FAULTS_NET"), " ", -1);

  g_assert_cmpuint (g_strv_length (parts), ==, 6);
  for (guint i = 0; i < 2; i++)
    {
      net->namespaces[i] = g_strdup (parts[3 * i]);
      net->links[i] = g_strdup (parts[3 * i + 1]);
      net->addresses[i] = g_strdup (parts[3 * i + 2]);
    }
  return net;
}

typedef struct {
  const char *namespace;
  DpRemoteNode *node;
} SpawnIn;

/* A thread enters the namespace and spawns the node there: the local
 * launcher's child is born in it, and the connection to the node is made
 * in it, on its loopback interface. That socket stays in the namespace,
 * whichever thread uses it. The node listens on every address of the
 * namespace: the other node reaches it across the veth pair. */
static gpointer
spawn_in_namespace_thread (gpointer data)
{
  SpawnIn *spawn = data;
  g_autofree char *path = g_build_filename ("/run/netns", spawn->namespace, NULL);
  DpNodeOptions options;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (setns (fd, CLONE_NEWNET), ==, 0);
  close (fd);
  dp_node_options_init (&options);
  spawn->node = test_spawn_node_full ("localhost", &options);
  return NULL;
}

static DpRemoteNode *
spawn_in_namespace (const char *namespace)
{
  SpawnIn spawn = { namespace, NULL };

  g_thread_join (g_thread_new ("netns", spawn_in_namespace_thread, &spawn));
  return spawn.node;
}

static void
cut_link (Net      *net,
          gboolean  up)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (run_ip (&error, "-n", net->namespaces[0], "link", "set", net->links[0],
                         up ? "up" : "down", NULL));
  g_assert_no_error (error);
}

static gboolean
partition_possible (char **why)
{
  if (getuid () != 0)
    *why = g_strdup ("the partition needs root: it makes network namespaces");
  else if (ip_bin () == NULL)
    *why = g_strdup ("the partition needs ip (Debian: iproute2)");
  return *why == NULL;
}

/* Node A in one namespace, B in the other. Each holds a named echo place
 * that a pinger place on the other pings across the veth pair; this
 * process pings another echo place on each, inside each namespace. The
 * pair is cut for 5 s mid-traffic, then healed. Nodes have no heartbeat
 * and TCP has no deadline short of minutes, so nobody is declared dead:
 * the traffic across waits, and once the link is back TCP delivers all of
 * it, once, in order.
 *
 * The places this process pings are not the named ones: a place that
 * answers a client across the cut blocks in its put once the connection
 * to that client has all it can queue (back-pressure), and then answers
 * nobody else either until the link is back. */
static void
test_partition (void)
{
  g_autoptr(Net) net = NULL;
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteConnection) echo_a = NULL;
  g_autoptr(DpRemoteConnection) echo_b = NULL;
  g_autoptr(DpRemoteConnection) local_a = NULL;
  g_autoptr(DpRemoteConnection) local_b = NULL;
  g_autoptr(Flow) here_a = NULL;
  g_autoptr(Flow) here_b = NULL;
  g_autoptr(Flow) b_to_a = NULL;
  g_autoptr(Flow) a_to_b = NULL;
  gint64 cut, healing, healed;
  gint64 left;

  if (!g_test_subprocess ())
    {
      g_autofree char *why = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *names = NULL;

      if (!partition_possible (&why))
        {
          g_test_skip (why);
          return;
        }
      net = net_new (getpid (), &error);
      if (net == NULL)
        {
          g_autofree char *reason = g_strdup_printf ("cannot make network namespaces: %s",
                                                     error->message);
          g_test_skip (reason);
          return;
        }
      names = g_strdup_printf ("%s %s %s %s %s %s", net->namespaces[0], net->links[0],
                               net->addresses[0], net->namespaces[1], net->links[1],
                               net->addresses[1]);
      g_setenv ("DP_FAULTS_NET", names, TRUE);
      test_in_subprocess ();
      /* net goes now, whatever the subprocess did. */
      return;
    }

  net = net_from_environment ();
  a = spawn_in_namespace (net->namespaces[0]);
  b = spawn_in_namespace (net->namespaces[1]);
  echo_a = launch (a, "echo", NULL);
  echo_b = launch (b, "echo", NULL);
  local_a = launch (a, NULL, NULL);
  local_b = launch (b, NULL, NULL);
  here_a = flow_start_here ("here->A", local_a);
  here_b = flow_start_here ("here->B", local_b);
  b_to_a = flow_start_on_full ("B->A", b, net->addresses[0], dp_remote_node_get_listen_port (a),
                               "echo", DEEP_WINDOW, PARTITION_GET_USEC);
  a_to_b = flow_start_on_full ("A->B", a, net->addresses[1], dp_remote_node_get_listen_port (b),
                               "echo", DEEP_WINDOW, PARTITION_GET_USEC);
  flow_advance (here_a, ROUND_TRIPS);
  flow_advance (here_b, ROUND_TRIPS);
  flow_advance (b_to_a, ROUND_TRIPS);
  flow_advance (a_to_b, ROUND_TRIPS);

  cut_link (net, FALSE);
  cut = g_get_monotonic_time ();

  /* Each side goes on within itself. */
  flow_advance (here_a, ROUND_TRIPS);
  flow_advance (here_b, ROUND_TRIPS);
  g_assert_true (dp_remote_node_is_alive (a));
  g_assert_true (dp_remote_node_is_alive (b));

  /* The partition lasts what it lasts: this is the fault, not a wait. */
  left = PARTITION_USEC - (g_get_monotonic_time () - cut);
  if (left > 0)
    g_usleep (left);
  healing = g_get_monotonic_time ();
  cut_link (net, TRUE);
  healed = g_get_monotonic_time ();
  test_note ("the link was cut for %.3f s (bringing it up took %.3f s)",
             (healed - cut) / (gdouble) G_USEC_PER_SEC,
             (healed - healing) / (gdouble) G_USEC_PER_SEC);

  /* Across, the traffic resumes where it stopped; nothing was lost or
   * doubled on the way. */
  flow_advance (b_to_a, ROUND_TRIPS);
  flow_advance (a_to_b, ROUND_TRIPS);
  test_note ("traffic across resumed within %.3f s of the healing",
             test_seconds_since (healed));
  flow_advance (here_a, ROUND_TRIPS);
  flow_advance (here_b, ROUND_TRIPS);
  flow_finish (b_to_a);
  flow_finish (a_to_b);
  flow_finish (here_a);
  flow_finish (here_b);

  test_stop_node (a);
  test_stop_node (b);
}

/* ── 5. a storm of connections ─────────────────────────────────────── */

/* How many connections, from how many threads at once. */
#define STORM_CONNECTIONS 10000
#define STORM_THREADS 4

/* What a node's descriptors and memory may be above where they were
 * before the storm once it is over: a connection or two of the test's own
 * still closing, the allocator keeping what it freed. */
#define STORM_FD_SLACK 4
#define STORM_RSS_SLACK_KB (16 * 1024)

typedef enum {
  ATTEMPT_CLOSE,           /* connect, close */
  ATTEMPT_GARBAGE,         /* connect, send garbage, close */
  ATTEMPT_WRONG_COOKIE,    /* a whole handshake, with another cookie */
  ATTEMPT_HALF_HANDSHAKE,  /* our HELLO, then close */
  ATTEMPT_VANISH,          /* a whole handshake, right cookie, then close */
  N_ATTEMPTS
} Attempt;

typedef struct {
  guint port;
  guint first;
  guint count;
  guint done[N_ATTEMPTS];
} Attacker;

/* A plain TCP connection to 127.0.0.1:@port, with no GSocketClient: ten
 * thousand of them should cost the test little. */
static GSocket *
connect_fast (guint port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  /* Reads never hang the test. */
  g_socket_set_timeout (socket, 10);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_assert_no_error (error);
  return socket;
}

static gpointer
attacker_thread (gpointer data)
{
  Attacker *attacker = data;

  for (guint i = attacker->first; i < attacker->first + attacker->count; i++)
    {
      g_autoptr(GSocket) socket = connect_fast (attacker->port);
      Attempt attempt = i % N_ATTEMPTS;

      switch (attempt)
        {
        case ATTEMPT_CLOSE:
          break;

        case ATTEMPT_GARBAGE:
          {
            guint8 garbage[64];
            gsize size = 1 + i % sizeof garbage;

            for (gsize k = 0; k < size; k++)
              garbage[k] = (guint8) g_random_int ();
            test_raw_send (socket, garbage, size);
          }
          break;

        case ATTEMPT_WRONG_COOKIE:
          test_raw_handshake (socket, "not-the-cookie-of-this-system-0123456789", TEST_COOKIE);
          break;

        case ATTEMPT_HALF_HANDSHAKE:
          {
            guint8 nonce[32];

            test_raw_send_hello (socket, nonce);
          }
          break;

        case ATTEMPT_VANISH:
          test_raw_handshake (socket, TEST_COOKIE, TEST_COOKIE);
          break;

        case N_ATTEMPTS:
          g_assert_not_reached ();
        }
      g_socket_close (socket, NULL);
      attacker->done[attempt]++;
    }
  return NULL;
}

/* How many descriptors process @pid has open. */
static guint
count_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  guint n = 0;

  g_assert_no_error (error);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Process @pid's resident memory, in KiB. */
static guint64
rss_kb (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *status = NULL;
  g_autoptr(GError) error = NULL;
  const char *line;
  guint64 kb = 0;

  g_assert_true (g_file_get_contents (path, &status, NULL, &error));
  g_assert_no_error (error);
  line = strstr (status, "\nVmRSS:");
  g_assert_nonnull (line);
  kb = g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
  g_assert_cmpuint (kb, >, 0);
  return kb;
}

/* Waits until @pid has at most @most descriptors open; returns how many.
 * Only trying tells: the node closes what the storm left on its own
 * threads, with nothing to wait on from here. */
static guint
wait_fds_at_most (GPid  pid,
                  guint most)
{
  gint64 end_time = g_get_monotonic_time () + TEST_WAIT_USEC;
  guint n;

  while ((n = count_fds (pid)) > most && g_get_monotonic_time () < end_time)
    g_usleep (10 * 1000);
  return n;
}

/* A bare node serves a client: an echo place that this process pings, and
 * a named echo place that a pinger place on the same node pings through
 * the node's own port. Ten thousand connections come meanwhile, of every
 * kind a node must survive. */
static void
test_connection_storm (void)
{
  g_autoptr(TestBareNode) node = NULL;
  g_autoptr(TestClient) client = NULL;
  g_autoptr(TestClient) later = NULL;
  g_autoptr(DpRemoteConnection) echo = NULL;
  g_autoptr(Flow) here = NULL;
  g_autoptr(Flow) inside = NULL;
  Attacker attackers[STORM_THREADS];
  GThread *threads[STORM_THREADS];
  guint done[N_ATTEMPTS] = { 0 };
  guint fds_before, fds_after, refused;
  guint64 rss_before, rss_after;
  gint64 start;
  gdouble seconds;

  if (!test_in_subprocess ())
    return;

  node = test_bare_node_start (TEST_COOKIE);
  client = test_client_connect (node->port, FAULTS_MODULE);
  test_client_assert_served (client, "before the storm");
  echo = launch (client->node, "echo", NULL);
  g_assert_cmpint (ask_pid (echo), ==, node->pid);

  here = flow_start_here ("here->node", client->place);
  inside = flow_start_on ("node->node", client->node, "127.0.0.1", node->port, "echo");
  flow_advance (here, ROUND_TRIPS);
  flow_advance (inside, ROUND_TRIPS);
  fds_before = count_fds (node->pid);
  rss_before = rss_kb (node->pid);

  start = g_get_monotonic_time ();
  for (guint t = 0; t < STORM_THREADS; t++)
    {
      attackers[t] = (Attacker) { node->port, t * (STORM_CONNECTIONS / STORM_THREADS),
                                  STORM_CONNECTIONS / STORM_THREADS, { 0 } };
      threads[t] = g_thread_new ("attacker", attacker_thread, &attackers[t]);
    }
  for (guint t = 0; t < STORM_THREADS; t++)
    {
      g_thread_join (threads[t]);
      for (guint k = 0; k < N_ATTEMPTS; k++)
        done[k] += attackers[t].done[k];
    }
  seconds = test_seconds_since (start);
  test_note ("%d connections in %.3f s: %u closed at once, %u garbage, %u wrong cookies, "
             "%u half handshakes, %u whole handshakes that vanished",
             STORM_CONNECTIONS, seconds, done[ATTEMPT_CLOSE], done[ATTEMPT_GARBAGE],
             done[ATTEMPT_WRONG_COOKIE], done[ATTEMPT_HALF_HANDSHAKE], done[ATTEMPT_VANISH]);

  /* The channels lost nothing, and a new client is served. */
  flow_advance (here, ROUND_TRIPS);
  flow_advance (inside, ROUND_TRIPS);
  flow_finish (here);
  flow_finish (inside);
  later = test_client_connect (node->port, FAULTS_MODULE);
  test_client_assert_served (later, "after the storm");
  test_client_assert_served (client, "after the storm");
  g_clear_pointer (&later, test_client_free);

  /* What the storm took, the node gave back. */
  fds_after = wait_fds_at_most (node->pid, fds_before + STORM_FD_SLACK);
  rss_after = rss_kb (node->pid);
  refused = test_lines_count (node->err);
  test_note ("node: %u descriptors before the storm, %u after; %" G_GUINT64_FORMAT " KiB "
             "resident before, %" G_GUINT64_FORMAT " KiB after; %u lines logged",
             fds_before, fds_after, rss_before, rss_after, refused);
  g_assert_cmpuint (fds_after, <=, fds_before + STORM_FD_SLACK);
  g_assert_cmpuint (rss_after, <, rss_before + STORM_RSS_SLACK_KB);
}

/* Connections that stop halfway and stay: more than the node lets
 * authenticate at once (128). */
#define STALLED_CONNECTIONS 300

/* While hundreds of connections hang in their handshakes — silent, or
 * stopped after their HELLO, or in the middle of a frame — a legitimate
 * client connects and is served at once: a stalled handshake must not
 * hold a thread, nor the node's door. */
static void
test_connections_stalled (void)
{
  g_autoptr(TestBareNode) node = NULL;
  g_autoptr(TestClient) client = NULL;
  g_autoptr(TestClient) during = NULL;
  g_autoptr(DpRemoteConnection) echo = NULL;
  g_autoptr(Flow) here = NULL;
  g_autoptr(Flow) inside = NULL;
  g_autoptr(GPtrArray) stalled = g_ptr_array_new_with_free_func (g_object_unref);
  guint fds_before, fds_during, fds_after;
  gint64 start;

  if (!test_in_subprocess ())
    return;

  node = test_bare_node_start (TEST_COOKIE);
  client = test_client_connect (node->port, FAULTS_MODULE);
  echo = launch (client->node, "echo", NULL);
  here = flow_start_here ("here->node", client->place);
  inside = flow_start_on ("node->node", client->node, "127.0.0.1", node->port, "echo");
  flow_advance (here, ROUND_TRIPS);
  flow_advance (inside, ROUND_TRIPS);
  fds_before = count_fds (node->pid);

  for (guint i = 0; i < STALLED_CONNECTIONS; i++)
    {
      GSocket *socket = connect_fast (node->port);
      guint8 nonce[32];
      guint8 header[TEST_FRAME_HEADER_SIZE];

      switch (i % 3)
        {
        case 0:
          break;
        case 1:
          test_raw_send_hello (socket, nonce);
          break;
        case 2:
          test_raw_encode_header (header, 100, TEST_FRAME_HELLO, 8, 0, 0);
          test_raw_send (socket, header, sizeof header / 2);
          break;
        }
      g_ptr_array_add (stalled, socket);
    }

  start = g_get_monotonic_time ();
  during = test_client_connect (node->port, FAULTS_MODULE);
  test_client_assert_served (during, "while others stall");
  test_note ("a new client was served %.3f s after %d connections stalled in their handshakes",
             test_seconds_since (start), STALLED_CONNECTIONS);
  fds_during = count_fds (node->pid);
  g_clear_pointer (&during, test_client_free);

  flow_advance (here, ROUND_TRIPS);
  flow_advance (inside, ROUND_TRIPS);
  flow_finish (here);
  flow_finish (inside);

  g_ptr_array_set_size (stalled, 0);
  fds_after = wait_fds_at_most (node->pid, fds_before + STORM_FD_SLACK);
  test_note ("node: %u descriptors before, %u with the stalled connections, %u after",
             fds_before, fds_during, fds_after);
  g_assert_cmpuint (fds_after, <=, fds_before + STORM_FD_SLACK);
}

/* ── main ──────────────────────────────────────────────────────────── */

int
main (int    argc,
      char **argv)
{
  g_autoptr(GBytes) cookie = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *no_config_home = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  /* A test's subprocess works in a folder inside its parent's, which the
   * parent removes at the end even when the subprocess failed. */
  if (g_getenv ("DP_FAULTS_TMP") != NULL)
    {
      tmp_dir = g_build_filename (g_getenv ("DP_FAULTS_TMP"), "subprocess-XXXXXX", NULL);
      g_assert_nonnull (g_mkdtemp (tmp_dir));
    }
  else
    {
      tmp_dir = g_dir_make_tmp ("dplaces-faults-XXXXXX", &error);
      g_assert_no_error (error);
      g_setenv ("DP_FAULTS_TMP", tmp_dir, TRUE);
    }

  /* The test's own cookie; the user's is never read: XDG_CONFIG_HOME is a
   * plain file, so anything that reached for the default cookie fails. */
  cookie = g_bytes_new_static (TEST_COOKIE, strlen (TEST_COOKIE));
  dp_cookie_set_process (cookie);
  no_config_home = g_build_filename (tmp_dir, "not-a-config-home", NULL);
  g_assert_true (g_file_set_contents (no_config_home, "", -1, NULL));
  g_setenv ("XDG_CONFIG_HOME", no_config_home, TRUE);

  g_test_add_func ("/faults/node/sigkill", test_node_sigkill);
  g_test_add_func ("/faults/node/sigkill-restarted", test_node_sigkill_restarted);
  g_test_add_func ("/faults/place/sigkill", test_place_sigkill);
  g_test_add_func ("/faults/node/sigkill-processes", test_node_sigkill_processes);
  g_test_add_func ("/faults/node/sigstop", test_node_sigstop);
  g_test_add_func ("/faults/place/sigstop", test_place_sigstop);
  g_test_add_func ("/faults/partition", test_partition);
  g_test_add_func ("/faults/connections/storm", test_connection_storm);
  g_test_add_func ("/faults/connections/stalled", test_connections_stalled);

  status = g_test_run ();
  if (!g_test_subprocess ())
    test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
