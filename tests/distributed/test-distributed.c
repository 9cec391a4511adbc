/* test-distributed.c: the acceptance of distribution — real nodes in real
 * processes on the loopback interface
 *
 *   /distributed/named-place/two-clients    a named place on node A reached
 *                                           by address from places on B, C
 *   /distributed/named-place/latency        … 50 round trips in a row from
 *                                           another node (how fast: `dplaces
 *                                           bench rpc`, a named place on
 *                                           another node)
 *   /distributed/named-place/connections-let-go  a node keeps no connection
 *                                           to a named place that ended
 *   /distributed/stream/both-ways           100 000 numbered messages each
 *                                           way, in order, none lost
 *   /distributed/channel/pair-from-root     a channel pair made here, one
 *                                           end sent to A, the other to B
 *   /distributed/channel/made-on-node       a channel made on A, sent
 *                                           through the root to B
 *   /distributed/node/sigkill               a SIGKILLed node: a blocked
 *                                           get fails with PEER_DIED, "died"
 *   /distributed/hostile/…                  wrong cookie, garbage first
 *                                           frame, a 2^31-byte frame, a
 *                                           truncated frame: cut off and
 *                                           logged, the node serves on
 *   /distributed/refused/…                  modules outside the plugin
 *                                           directories (REFUSED), unknown
 *                                           modules (NOT_FOUND), a named
 *                                           place that is not there
 *                                           (NOT_FOUND at the get, and at
 *                                           the put once refused)
 *   /distributed/run/hello-world            `dplaces run` of the example
 *   /distributed/run/hello-world-ssh        the same over a real sshd
 *   /distributed/program/hello-world        the example as a C program
 *   /distributed/slow-consumer/threads      a GiB for a place on a node
 *                                           that gets slowly: in order,
 *                                           intact, the node's memory
 *                                           bounded, and another channel
 *                                           of the connection flowing
 *                                           while this one is held back
 *   /distributed/slow-consumer/processes    the same with the consumer in
 *                                           a child of the node, which
 *                                           relays
 *   /distributed/slow-consumer/relayed      a GiB from a place on node A to
 *                                           one on B over a channel made on
 *                                           A and passed through the root:
 *                                           no process on the way grows
 *
 * Nodes listen on ports the system picks. Nothing sleeps to wait: gets
 * and waits have deadlines, loops run until what they wait for happens.
 * No test bounds how long something takes — deadlines only catch hangs;
 * speed is `dplaces bench`'s.
 * Each test runs in a subprocess of its own (its nodes are that process's
 * and end with it), so one failing test does not take the others down.
 * The cookie is the test's own (dp_cookie_set_process(), a mode-0600
 * file for the programs), never the user's: XDG_CONFIG_HOME points at a
 * plain file, so anything that reached for the default cookie would fail.
 *
 * The place functions run on the nodes live in dist-places.so (this
 * folder's build directory is in DPLACES_PLUGIN_PATH; the test process
 * passes its plugin directories to the nodes it spawns).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <dplaces/dplaces.h>

#include "sshd-harness.h"
#include "slow-consumer.h"
#include "test-bare-node.h"
#include "test-common.h"
#include "test-nodes.h"
#include "test-run.h"
#include "test-sandbox.h"
#include "test-wire.h"

#define DIST_MODULE "dist-places"
#define TEST_COOKIE "dplaces-distributed-tests-0123456789abcdef"

/* How long a wait other than a get (test_get()'s TEST_WAIT_USEC) may
 * take: long enough never to trip on a loaded machine, short enough that
 * a hang fails the test before meson's timeout. */
#define WAIT_USEC (20 * G_USEC_PER_SEC)

/* How long a subprocess running one test may take. */
#define SUBPROCESS_USEC (test_timeout_multiplier () * 50 * G_USEC_PER_SEC)

/* The messages each way of the streaming test. */
#define STREAM_MESSAGES 100000

static const char *tmp_dir;

/* ── nodes and places ──────────────────────────────────────────────── */

static DpRemoteConnection *
launch (DpRemoteNode *node,
        const char   *function,
        const char   *named)
{
  return test_launch (node, DIST_MODULE, function, named, NULL);
}

/* ── 1. a named place reached from two other nodes ─────────────────── */

#define NAMED_REQUESTS 50

static void
test_named_place (void)
{
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteNode) c = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(DpRemoteConnection) client_b = NULL;
  g_autoptr(DpRemoteConnection) client_c = NULL;
  g_autoptr(DpRemoteConnection) by_address = NULL;
  g_autoptr(DpRemoteConnection) nobody = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  DpRemoteConnection *clients[2];
  gint64 start;
  gint64 value;
  const char *op;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  a = test_spawn_node ();
  b = test_spawn_node ();
  c = test_spawn_node ();

  server = launch (a, "named_server_place", "squares");
  g_assert_cmpstr (dp_remote_connection_get_name (server), ==, "squares");
  /* Its creator reaches it too, without the wrapping. */
  test_put (server, g_variant_new ("(sx)", "count", (gint64) 0));
  reply = test_get (server);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(sx)");
  g_variant_get (reply, "(&sx)", &op, &value);
  g_assert_cmpstr (op, ==, "count");
  g_assert_cmpint (value, ==, 0);
  g_clear_pointer (&reply, g_variant_unref);

  start = g_get_monotonic_time ();
  client_b = launch (b, "named_client_place", NULL);
  client_c = launch (c, "named_client_place", NULL);
  clients[0] = client_b;
  clients[1] = client_c;
  for (gint i = 0; i < 2; i++)
    test_put (clients[i], g_variant_new ("(sqsii)", dp_remote_node_get_host (a),
                                         (guint16) dp_remote_node_get_listen_port (a), "squares",
                                         i + 1, NAMED_REQUESTS));

  for (gint i = 0; i < 2; i++)
    {
      g_autoptr(GVariant) report = test_get (clients[i]);
      const char *problem;
      gint32 id, right;
      gdouble connecting, asking;

      g_assert_cmpstr (g_variant_get_type_string (report), ==, "(iisdd)");
      g_variant_get (report, "(ii&sdd)", &id, &right, &problem, &connecting, &asking);
      test_note ("client on node %c: %d of %d answers right (connected in %.3f s, asked in %.3f s)%s%s",
                 'B' + i, right, NAMED_REQUESTS, connecting, asking,
                 problem[0] != '\0' ? ": " : "", problem);
      g_assert_cmpstr (problem, ==, "");
      g_assert_cmpint (id, ==, i + 1);
      g_assert_cmpint (right, ==, NAMED_REQUESTS);
      g_assert_cmpint (test_wait_remote (clients[i]), ==, 0);
    }
  test_note ("%d requests from two nodes in %.3f s", 2 * NAMED_REQUESTS, test_seconds_since (start));

  /* Both reached the same place: it counted every square. And the root
   * reaches it by address as well. */
  by_address = dp_connect_to_named_place_at (dp_remote_node_get_host (a),
                                             dp_remote_node_get_listen_port (a), "squares", &error);
  g_assert_no_error (error);
  g_assert_nonnull (by_address);
  test_put (by_address, g_variant_new ("(sx)", "count", (gint64) 0));
  reply = test_get (by_address);
  g_variant_get (reply, "(&sx)", &op, &value);
  g_assert_cmpstr (op, ==, "count");
  g_assert_cmpint (value, ==, 2 * NAMED_REQUESTS);
  g_clear_pointer (&reply, g_variant_unref);

  /* A name nobody has: the first get says so. */
  nobody = dp_connect_to_named_place_at (dp_remote_node_get_host (a),
                                         dp_remote_node_get_listen_port (a), "nobody", &error);
  g_assert_no_error (error);
  g_assert_nonnull (nobody);
  {
    g_autoptr(GError) why = test_get_error (nobody);

    test_note ("connecting to a missing name: %s", why->message);
    g_assert_error (why, DP_ERROR, DP_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (why->message, "nobody"));
  }

  test_put (server, g_variant_new ("(sx)", "stop", (gint64) 0));
  reply = test_get (server);
  g_variant_get (reply, "(&sx)", &op, &value);
  g_assert_cmpstr (op, ==, "stopped");
  g_assert_cmpint (value, ==, 2 * NAMED_REQUESTS);
  g_assert_cmpint (test_wait_remote (server), ==, 0);

  test_stop_node (a);
  test_stop_node (b);
  test_stop_node (c);
}

/* A client on another node asks a named place again and again, each
 * question as soon as the last answer came: every answer right. How long
 * a round trip takes is noted, not asserted (it once waited on another
 * connection's socket, 20 ms each); `dplaces bench rpc` measures it. */
#define LATENCY_REQUESTS 50

static void
test_named_place_latency (void)
{
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(DpRemoteConnection) client = NULL;
  g_autoptr(GVariant) report = NULL;
  const char *problem;
  gint32 id, right;
  gdouble connecting, asking;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  a = test_spawn_node ();
  b = test_spawn_node ();
  server = launch (a, "named_server_place", "squares");
  client = launch (b, "named_client_place", NULL);
  test_put (client, g_variant_new ("(sqsii)", dp_remote_node_get_host (a),
                                   (guint16) dp_remote_node_get_listen_port (a), "squares",
                                   7, LATENCY_REQUESTS));
  report = test_get (client);
  g_assert_cmpstr (g_variant_get_type_string (report), ==, "(iisdd)");
  g_variant_get (report, "(ii&sdd)", &id, &right, &problem, &connecting, &asking);
  test_note ("%d round trips from node B to the named place on node A in %.3f s: %.3f ms each",
             right, asking, 1000 * asking / MAX (right, 1));
  g_assert_cmpstr (problem, ==, "");
  g_assert_cmpint (right, ==, LATENCY_REQUESTS);

  test_stop_node (a);
  test_stop_node (b);
}

/* ── 2. 100 000 messages each way ──────────────────────────────────── */

typedef struct {
  DpChannel *channel;
  guint64 n;
  guint64 sent;
  GError *error;
} Sender;

static gpointer
sender_thread (gpointer data)
{
  Sender *sender = data;

  for (guint64 i = 0; i < sender->n; i++)
    {
      if (!dp_channel_put (sender->channel, g_variant_new_uint64 (i), &sender->error))
        break;
      sender->sent++;
    }
  return NULL;
}

static void
test_stream (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;
  g_autoptr(GVariant) report = NULL;
  Sender sender = { NULL, STREAM_MESSAGES, 0, NULL };
  guint64 received = 0, out_of_order = 0, place_received, place_out_of_order, place_sent;
  const char *problem;
  GThread *thread;
  gint64 start;
  gdouble seconds;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_node ();
  place = launch (node, "stream_place", NULL);
  test_put (place, g_variant_new_uint64 (STREAM_MESSAGES));

  start = g_get_monotonic_time ();
  sender.channel = DP_CHANNEL (place);
  thread = g_thread_new ("sender", sender_thread, &sender);

  while (received < STREAM_MESSAGES)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = dp_channel_get_timeout (DP_CHANNEL (place), WAIT_USEC, &error);

      if (message == NULL)
        g_error ("after %" G_GUINT64_FORMAT " messages: %s", received,
                 error != NULL ? error->message : "nothing came");
      g_assert_true (g_variant_is_of_type (message, G_VARIANT_TYPE_UINT64));
      if (g_variant_get_uint64 (message) != received)
        {
          if (out_of_order == 0)
            test_note ("message %" G_GUINT64_FORMAT " was %" G_GUINT64_FORMAT, received,
                       g_variant_get_uint64 (message));
          out_of_order++;
        }
      received++;
    }
  g_thread_join (thread);
  g_assert_no_error (sender.error);
  g_assert_cmpuint (sender.sent, ==, STREAM_MESSAGES);

  report = test_get (place);
  seconds = test_seconds_since (start);
  g_assert_cmpstr (g_variant_get_type_string (report), ==, "(ttts)");
  g_variant_get (report, "(ttt&s)", &place_received, &place_out_of_order, &place_sent, &problem);
  test_note ("test → node: sent %" G_GUINT64_FORMAT ", the place received %" G_GUINT64_FORMAT
             " (%" G_GUINT64_FORMAT " out of order)%s%s",
             sender.sent, place_received, place_out_of_order, problem[0] != '\0' ? ": " : "", problem);
  test_note ("node → test: the place sent %" G_GUINT64_FORMAT ", received %" G_GUINT64_FORMAT
             " (%" G_GUINT64_FORMAT " out of order)", place_sent, received, out_of_order);
  test_note ("%d messages each way in %.3f s (%.0f messages/s each way)", STREAM_MESSAGES, seconds,
             STREAM_MESSAGES / seconds);

  g_assert_cmpstr (problem, ==, "");
  g_assert_cmpuint (place_received, ==, STREAM_MESSAGES);
  g_assert_cmpuint (place_out_of_order, ==, 0);
  g_assert_cmpuint (place_sent, ==, STREAM_MESSAGES);
  g_assert_cmpuint (received, ==, STREAM_MESSAGES);
  g_assert_cmpuint (out_of_order, ==, 0);
  g_assert_cmpint (test_wait_remote (place), ==, 0);

  test_stop_node (node);
}

/* ── 3. channels sent across nodes ─────────────────────────────────── */

#define PAIR_ROUNDS 200

static void
assert_pair_report (DpRemoteConnection *place,
                    const char         *expected_role,
                    const char         *where)
{
  g_autoptr(GVariant) report = test_get (place);
  const char *role, *problem;
  gint64 rounds;

  g_assert_cmpstr (g_variant_get_type_string (report), ==, "(sxs)");
  g_variant_get (report, "(&sx&s)", &role, &rounds, &problem);
  test_note ("%s on %s: %" G_GINT64_FORMAT " of %d rounds%s%s", role, where, rounds, PAIR_ROUNDS,
             problem[0] != '\0' ? ": " : "", problem);
  g_assert_cmpstr (problem, ==, "");
  g_assert_cmpstr (role, ==, expected_role);
  g_assert_cmpint (rounds, ==, PAIR_ROUNDS);
  g_assert_cmpint (test_wait_remote (place), ==, 0);
}

/* The test makes a pair and sends one end to a place on A, the other to a
 * place on B: they play ping-pong over it. */
static void
test_channel_pair_from_root (void)
{
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteConnection) ping = NULL;
  g_autoptr(DpRemoteConnection) pong = NULL;
  g_autoptr(DpPlaceChannel) end_a = NULL;
  g_autoptr(DpPlaceChannel) end_b = NULL;
  gint64 start;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  a = test_spawn_node ();
  b = test_spawn_node ();
  ping = launch (a, "pair_place", NULL);
  pong = launch (b, "pair_place", NULL);

  start = g_get_monotonic_time ();
  dp_place_channel_new_pair (&end_a, &end_b);
  test_put (ping, g_variant_new ("(s@hx)", "ping", dp_channel_to_variant (DP_CHANNEL (end_a)),
                                 (gint64) PAIR_ROUNDS));
  test_put (pong, g_variant_new ("(s@hx)", "pong", dp_channel_to_variant (DP_CHANNEL (end_b)),
                                 (gint64) PAIR_ROUNDS));

  assert_pair_report (ping, "ping", "node A");
  assert_pair_report (pong, "pong", "node B");
  test_note ("%d round trips between A and B in %.3f s", PAIR_ROUNDS, test_seconds_since (start));

  test_stop_node (a);
  test_stop_node (b);
}

/* A place on A makes a pair and sends one end to the test, which sends it
 * on to a place on B: A and B play over it. */
static void
test_channel_made_on_node (void)
{
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteConnection) maker = NULL;
  g_autoptr(DpRemoteConnection) pong = NULL;
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) relayed = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  a = test_spawn_node ();
  b = test_spawn_node ();
  maker = launch (a, "pair_maker_place", NULL);
  pong = launch (b, "pair_place", NULL);

  start = g_get_monotonic_time ();
  test_put (maker, g_variant_new_int64 (PAIR_ROUNDS));
  message = test_get (maker);
  g_assert_cmpstr (g_variant_get_type_string (message), ==, "(h)");
  handle = g_variant_get_child_value (message, 0);
  relayed = dp_channel_from_variant (handle, &error);
  g_assert_no_error (error);
  g_assert_nonnull (relayed);

  test_put (pong, g_variant_new ("(s@hx)", "pong", dp_channel_to_variant (relayed),
                                 (gint64) PAIR_ROUNDS));

  assert_pair_report (maker, "ping", "node A");
  assert_pair_report (pong, "pong", "node B");
  test_note ("%d round trips between A and B through the root in %.3f s", PAIR_ROUNDS,
             test_seconds_since (start));

  test_stop_node (a);
  test_stop_node (b);
}

/* ── 4. SIGKILL of a node ──────────────────────────────────────────── */

typedef struct {
  GMainContext *context;
  GThread *thread;
  gboolean fired;
  guint times;
  gboolean in_context;
  gint64 when;
  char *reason;
} Died;

static void
died_cb (DpRemoteNode *node,
         const GError *reason,
         Died         *died)
{
  died->times++;
  died->fired = TRUE;
  died->when = g_get_monotonic_time ();
  died->in_context = g_thread_self () == died->thread && g_main_context_is_owner (died->context);
  g_free (died->reason);
  died->reason = g_strdup (reason != NULL ? reason->message : "(no reason)");
}

typedef struct {
  DpChannel *channel;
  GAsyncQueue *started;
  gint64 returned;
  GVariant *message;
  GError *error;
} BlockedGet;

static gpointer
blocked_get_thread (gpointer data)
{
  BlockedGet *blocked = data;

  g_async_queue_push (blocked->started, GINT_TO_POINTER (1));
  blocked->message = dp_channel_get_timeout (blocked->channel, WAIT_USEC, &blocked->error);
  blocked->returned = g_get_monotonic_time ();
  return NULL;
}

/* Closing the channel to a place is how its creator lets it go: the place
 * sees its channel die and ends, and waiting for it still returns. */
static void
test_close_then_wait (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_node ();
  place = launch (node, "echo_place", NULL);
  test_put (place, g_variant_new_string ("once"));
  reply = test_get (place);
  g_assert_cmpstr (g_variant_get_string (reply, NULL), ==, "once");

  dp_channel_close (DP_CHANNEL (place));
  /* echo_place returns when its get fails: completion value 0. */
  g_assert_cmpint (dp_remote_connection_wait (place), ==, 0);
  dp_remote_node_send_exit (node);
}

/* How many connections to named places @node holds for clients. */
static guint
named_connections_held (DpRemoteNode *node)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) status = dp_remote_node_query_status (node, WAIT_USEC, &error);
  guint32 n = G_MAXUINT32;

  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (status, "named-connections", "u", &n));
  return n;
}

/* A client connects to a named place, is answered, and goes; the place
 * ends; another starts under the name, and so on. The node let go of
 * nothing: it kept every connection ever made to a named place for as
 * long as the client's node was connected, and with each the place it
 * led to (`dplaces bench soak` saw the nodes' memory grow with every
 * restart). */
static void
test_named_connections_let_go (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  const guint rounds = 3;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_node ();
  for (guint round = 0; round < rounds; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DpRemoteConnection) server = NULL;
      g_autoptr(DpRemoteConnection) client = NULL;
      g_autoptr(GVariant) answer = NULL;
      g_autoptr(GVariant) stopped = NULL;
      gint64 value;

      server = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, DIST_MODULE,
                                            "named_server_place", "server", "processes", &error);
      g_assert_no_error (error);
      client = dp_connect_to_named_place_at (dp_remote_node_get_host (node),
                                             dp_remote_node_get_listen_port (node), "server", &error);
      g_assert_no_error (error);
      test_put (client, g_variant_new ("(sx)", "square", (gint64) round + 2));
      answer = test_get (client);
      g_variant_get (answer, "(&sx)", NULL, &value);
      g_assert_cmpint (value, ==, (round + 2) * (round + 2));
      dp_channel_close (DP_CHANNEL (client));

      /* Held: this client's only, those of the clients before it went
       * as it connected. */
      g_assert_cmpuint (named_connections_held (node), ==, 1);

      test_put (server, g_variant_new ("(sx)", "stop", (gint64) 0));
      stopped = test_get (server);
      g_assert_cmpint (test_wait_remote (server), ==, 0);
    }
  test_stop_node (node);
}

static void
test_node_sigkill (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  Died died = { context, g_thread_self (), FALSE, 0, FALSE, 0, NULL };
  BlockedGet blocked = { NULL, NULL, 0, NULL, NULL };
  GThread *thread;
  GPid pid;
  gint64 killed;
  gdouble get_seconds, died_seconds;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;
  blocked.started = g_async_queue_new ();

  /* "died" comes in the context that was the thread default when the
   * node was made. */
  g_main_context_push_thread_default (context);
  node = test_spawn_node ();
  g_signal_connect (node, "died", G_CALLBACK (died_cb), &died);

  place = launch (node, "hold_place", NULL);
  test_put (place, g_variant_new_string ("are you there?"));
  reply = test_get (place);
  g_assert_cmpstr (g_variant_get_string (reply, NULL), ==, "are you there?");

  /* A get blocks on the place's channel in another thread … */
  blocked.channel = DP_CHANNEL (place);
  thread = g_thread_new ("blocked-get", blocked_get_thread, &blocked);
  g_assert_nonnull (g_async_queue_timeout_pop (blocked.started, WAIT_USEC));

  /* … when the node is killed. */
  pid = dp_spawned_process_get_pid (dp_remote_node_get_process (node));
  g_assert_cmpint (pid, >, 0);
  killed = g_get_monotonic_time ();
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);

  g_thread_join (thread);
  get_seconds = (blocked.returned - killed) / (gdouble) G_USEC_PER_SEC;
  test_note ("the blocked get returned %.3f ms after SIGKILL: %s", 1000 * get_seconds,
             blocked.error != NULL ? blocked.error->message : "(no error)");
  g_assert_null (blocked.message);
  g_assert_nonnull (blocked.error);
  g_assert_false (g_error_matches (blocked.error, DP_ERROR, DP_ERROR_TIMED_OUT));
  /* The death, not the get's deadline, ended it. */
  g_assert_error (blocked.error, DP_ERROR, DP_ERROR_PEER_DIED);

  /* "died" fires, once, in our context. */
  g_assert_true (test_iterate_until (context, &died.fired, WAIT_USEC / 1000));
  died_seconds = (died.when - killed) / (gdouble) G_USEC_PER_SEC;
  test_note ("\"died\" fired %.3f ms after SIGKILL: %s", 1000 * died_seconds, died.reason);
  g_assert_true (died.in_context);
  g_assert_cmpuint (died.times, ==, 1);
  g_assert_false (dp_remote_node_is_alive (node));

  /* Everything else about the node fails at once too. */
  g_assert_false (dp_channel_put (DP_CHANNEL (place), g_variant_new_string ("anyone?"), &error));
  g_assert_nonnull (error);
  test_note ("a put after the kill: %s", error->message);
  g_clear_error (&error);
  g_assert_cmpint (test_wait_remote (place), ==, 1);
  g_assert_true (dp_spawned_process_wait_timeout (dp_remote_node_get_process (node), 5000));
  g_assert_null (dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, DIST_MODULE,
                                              "echo_place", NULL, NULL, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);

  g_main_context_pop_thread_default (context);
  g_async_queue_unref (blocked.started);
  g_clear_error (&blocked.error);
  g_free (died.reason);
}

/* ── 5. hostile peers ──────────────────────────────────────────────── */

static GSocket *
socket_of (GSocketConnection *connection)
{
  return g_socket_connection_get_socket (connection);
}

typedef enum {
  ATTACK_WRONG_COOKIE,
  ATTACK_GARBAGE,
  ATTACK_HUGE_FRAME,
  ATTACK_TRUNCATED_FRAME,
} Attack;

/* Against a running node: a legitimate client connects; the attack runs
 * on a raw connection, which the node must cut (we read to end of file)
 * and log; then the first client is still served, and so is a new one. */
static void
run_attack (Attack              attack,
            const char * const *log_needles)
{
  g_autoptr(TestBareNode) node = NULL;
  g_autoptr(TestClient) before = NULL;
  g_autoptr(TestClient) after = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *logged = NULL;
  g_autofree char *why = NULL;
  GSocket *socket;
  gsize bytes = 0;
  guint log_from;
  gint64 start;

  node = test_bare_node_start (TEST_COOKIE);
  before = test_client_connect (node->port, DIST_MODULE);
  test_client_assert_served (before, "before the attack");

  log_from = test_lines_count (node->err);
  connection = test_raw_connect (node->port);
  socket = socket_of (connection);
  start = g_get_monotonic_time ();

  switch (attack)
    {
    case ATTACK_WRONG_COOKIE:
      test_raw_handshake (socket, "not-the-cookie-of-this-system-0123456789", TEST_COOKIE);
      break;

    case ATTACK_GARBAGE:
      {
        /* An HTTP request line: 16 bytes, read as a frame header of kind
         * '/' (47) and 542 393 671 bytes. */
        static const char garbage[] = "GET / HTTP/1.1\r\n";

        G_STATIC_ASSERT (sizeof garbage - 1 == 16);
        test_raw_send (socket, garbage, 16);
      }
      break;

    case ATTACK_HUGE_FRAME:
      {
        guint8 header[16];

        test_raw_handshake (socket, TEST_COOKIE, TEST_COOKIE);
        test_raw_encode_header (header, 0x80000000u, TEST_FRAME_DATA, 1, 1, 0);
        test_raw_send (socket, header, sizeof header);
      }
      break;

    case ATTACK_TRUNCATED_FRAME:
      {
        guint8 frame[16 + 40] = { 0 };
        g_autoptr(GError) error = NULL;

        test_raw_handshake (socket, TEST_COOKIE, TEST_COOKIE);
        /* A 100-byte message of type s on channel 1; 40 bytes come. */
        test_raw_encode_header (frame, 100, TEST_FRAME_DATA, 1, 1, 0);
        frame[16] = 's';
        memset (frame + 24, 'x', 32);
        test_raw_send (socket, frame, sizeof frame);
        g_assert_true (g_socket_shutdown (socket, FALSE, TRUE, &error));
        g_assert_no_error (error);
      }
      break;
    }

  /* Cut off: the node closes, and we read to the end. */
  if (!test_raw_read_to_eof (socket, &bytes, &why))
    g_error ("the node did not close the connection: %s", why);
  test_note ("the node closed the connection %.3f ms after the attack (%" G_GSIZE_FORMAT
             " more bytes came)", 1000 * test_seconds_since (start), bytes);
  /* Past the handshake, nothing is sent to a peer that misbehaves. */
  if (attack != ATTACK_GARBAGE)
    g_assert_cmpuint (bytes, ==, 0);

  /* And said why. */
  logged = test_lines_wait (node->err, log_from, log_needles, 5 * G_USEC_PER_SEC);
  if (logged == NULL)
    {
      g_autofree char *wanted = g_strjoinv ("” and “", (char **) log_needles);
      guint n = test_lines_count (node->err);

      g_mutex_lock (&node->err->lock);
      for (guint i = log_from; i < n; i++)
        test_note ("node stderr since the attack: %s",
                   (const char *) g_ptr_array_index (node->err->lines, i));
      g_mutex_unlock (&node->err->lock);
      g_error ("the node logged no line with “%s” on its stderr (%u lines since the attack)",
               wanted, n - log_from);
    }
  test_note ("the node logged: %s", logged);

  /* It serves on: the client that was there, and a new one. */
  test_client_assert_served (before, "after the attack");
  after = test_client_connect (node->port, DIST_MODULE);
  test_client_assert_served (after, "a new client after the attack");
}

static void
test_hostile_wrong_cookie (void)
{
  const char *needles[] = { "Refused connection", "cookie", NULL };

  if (test_in_subprocess_within (SUBPROCESS_USEC))
    run_attack (ATTACK_WRONG_COOKIE, needles);
}

static void
test_hostile_garbage (void)
{
  const char *needles[] = { "Refused connection", "kind 47", NULL };

  if (test_in_subprocess_within (SUBPROCESS_USEC))
    run_attack (ATTACK_GARBAGE, needles);
}

static void
test_hostile_huge_frame (void)
{
  const char *needles[] = { "2147483648", "limit", NULL };

  if (test_in_subprocess_within (SUBPROCESS_USEC))
    run_attack (ATTACK_HUGE_FRAME, needles);
}

static void
test_hostile_truncated_frame (void)
{
  const char *needles[] = { "middle of a frame", NULL };

  if (test_in_subprocess_within (SUBPROCESS_USEC))
    run_attack (ATTACK_TRUNCATED_FRAME, needles);
}

/* ── 6. modules outside the plugin directories ─────────────────────── */

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (from, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents_full (to, contents, length, G_FILE_SET_CONTENTS_NONE, 0755,
                                           &error));
  g_assert_no_error (error);
}

/* Launches @module's echo_place on @node with @exec; its first get fails
 * with @code and a message holding every one of @needles. */
static void
assert_refused (DpRemoteNode       *node,
                DpPlaceExec         exec,
                const char         *module,
                const char         *function,
                gint                code,
                const char * const *needles)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) why = NULL;
  g_autoptr(DpRemoteConnection) place = NULL;

  place = dp_remote_node_launch_place (node, exec, module, function, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (place);
  why = test_get_error (place);
  test_note ("%s: %s", module, why->message);
  g_assert_error (why, DP_ERROR, code);
  for (guint i = 0; needles[i] != NULL; i++)
    if (strstr (why->message, needles[i]) == NULL)
      g_error ("the refusal does not say “%s”: %s", needles[i], why->message);
  g_assert_cmpint (test_wait_remote (place), !=, 0);
  g_assert_nonnull (dp_remote_connection_get_exit_reason (place));
}

static void
test_refused_outside (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) echo = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *outside_dir = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *dotted = NULL;
  const char *module_path = g_getenv ("DP_DIST_MODULE");
  const char *plugin_dir = g_getenv ("DPLACES_PLUGIN_PATH");
  const char *outside_needles[] = { "outside", "plugin directories", NULL };

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  g_assert_nonnull (module_path);
  g_assert_nonnull (plugin_dir);

  node = test_spawn_node ();

  /* The very module the node would load by name, copied elsewhere. */
  outside_dir = g_build_filename (tmp_dir, "outside", NULL);
  g_assert_cmpint (g_mkdir_with_parents (outside_dir, 0700), ==, 0);
  outside = g_build_filename (outside_dir, DIST_MODULE ".so", NULL);
  copy_file (module_path, outside);
  assert_refused (node, DP_PLACE_EXEC_DYNAMIC_PLACE, outside, "echo_place", DP_ERROR_REFUSED, outside_needles);
  assert_refused (node, DP_PLACE_EXEC_PLACE, outside, "echo_place", DP_ERROR_REFUSED, outside_needles);
  assert_refused (node, DP_PLACE_EXEC_THREAD, outside, "echo_place", DP_ERROR_REFUSED, outside_needles);

  /* A path that starts in a plugin directory and leaves it: as many
   * ".." as the directory is deep lead back to /. */
  {
    g_autoptr(GString) path = g_string_new (plugin_dir);

    for (const char *p = plugin_dir; *p != '\0'; p++)
      if (*p == '/')
        g_string_append (path, "/..");
    g_string_append (path, outside);
    dotted = g_string_free (g_steal_pointer (&path), FALSE);
  }
  assert_refused (node, DP_PLACE_EXEC_DYNAMIC_PLACE, dotted, "echo_place", DP_ERROR_REFUSED, outside_needles);

  /* The module in the plugin directory, by name, still runs. */
  echo = launch (node, "echo_place", NULL);
  test_put (echo, g_variant_new_string ("inside"));
  reply = test_get (echo);
  g_assert_cmpstr (g_variant_get_string (reply, NULL), ==, "inside");

  test_stop_node (node);
}

static void
test_refused_unknown (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  const char *plugin_dir = g_getenv ("DPLACES_PLUGIN_PATH");
  g_autofree char *missing = g_build_filename (tmp_dir, "nowhere", "no-module.so", NULL);
  const char *missing_path_needles[] = { missing, NULL };

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  g_assert_nonnull (plugin_dir);
  node = test_spawn_node ();

  /* A name found nowhere: the refusal names the directories searched,
   * the one the test put its module in among them. */
  {
    const char *needles[] = { "no-such-module-xyz", plugin_dir, NULL };

    assert_refused (node, DP_PLACE_EXEC_DYNAMIC_PLACE, "no-such-module-xyz", "echo_place", DP_ERROR_NOT_FOUND,
                    needles);
  }
  /* A path to nothing. */
  assert_refused (node, DP_PLACE_EXEC_DYNAMIC_PLACE, missing, "echo_place", DP_ERROR_NOT_FOUND,
                  missing_path_needles);
  /* A module that has no such function. */
  {
    const char *needles[] = { "no_such_function", NULL };

    assert_refused (node, DP_PLACE_EXEC_DYNAMIC_PLACE, DIST_MODULE, "no_such_function", DP_ERROR_NOT_FOUND,
                    needles);
  }

  test_stop_node (node);
}

/* A named place that is not there: the node refuses the connection, and
 * the refusal says so by its code, DP_ERROR_NOT_FOUND, whichever way it
 * meets the caller — the first get (a put made before the refusal came
 * went out), or a put made once it has come (no get needed: the node
 * answers a sync after it handled the connection, so the refusal is here
 * by then). The same through a plain channel (connect-channel) and by
 * address. And the node serves on: a place launched under that name now
 * answers to it — and once its end is known here, the name is free: a
 * connection made then is refused again, not handed the dead place. */
static void
test_refused_missing_named (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) got_first = NULL;
  g_autoptr(DpRemoteConnection) put_first = NULL;
  g_autoptr(DpRemoteConnection) plain = NULL;
  g_autoptr(DpRemoteConnection) by_address = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(DpRemoteConnection) found = NULL;
  g_autoptr(DpRemoteConnection) after_end = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) stopped = NULL;
  g_autoptr(GError) error = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_node ();

  got_first = dp_remote_node_remote_connect (node, "nobody", &error);
  g_assert_no_error (error);
  test_assert_not_found (got_first, "nobody");

  put_first = dp_remote_node_remote_connect (node, "nobody", &error);
  g_assert_no_error (error);
  g_assert_true (dp_remote_node_sync (node, &error));
  g_assert_no_error (error);
  g_assert_false (dp_channel_put (DP_CHANNEL (put_first), g_variant_new_string ("after the refusal"), &error));
  test_note ("put: %s", error->message);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "No place named “nobody”"));
  g_clear_error (&error);
  test_assert_not_found (put_first, "nobody");

  plain = dp_remote_node_connect_channel (node, g_variant_new ("()"), "nobody", &error);
  g_assert_no_error (error);
  test_assert_not_found (plain, "nobody");

  by_address = dp_connect_to_named_place_at (dp_remote_node_get_host (node), dp_remote_node_get_listen_port (node),
                                             "nobody", &error);
  g_assert_no_error (error);
  test_assert_not_found (by_address, "nobody");

  server = launch (node, "named_server_place", "nobody");
  found = dp_remote_node_remote_connect (node, "nobody", &error);
  g_assert_no_error (error);
  test_put (found, g_variant_new ("(sx)", "count", (gint64) 0));
  reply = test_get (found);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(sx)");

  test_put (server, g_variant_new ("(sx)", "stop", (gint64) 0));
  stopped = test_get (server);
  g_assert_cmpint (test_wait_remote (server), ==, 0);
  after_end = dp_remote_node_remote_connect (node, "nobody", &error);
  g_assert_no_error (error);
  test_assert_not_found (after_end, "nobody");

  test_stop_node (node);
}

/* ── 7–9. the hello world, run for real ────────────────────────────── */

/* The example's keyfile, with listen-port=0 and the test's cookie, and
 * the [node localhost] group replaced by @node_group when given. */
static char *
hello_world_keyfile (const char *name,
                     const char *node_group)
{
  g_autofree char *contents = test_read_example ("hello-world.ini");
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean in_node = FALSE;
  guint ports = 0;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (line[0] == '[')
        in_node = g_str_has_prefix (line, "[node ");
      if (in_node && node_group != NULL)
        {
          if (g_str_has_prefix (line, "[node "))
            g_string_append_printf (text, "%s\n", node_group);
          continue;
        }
      if (g_str_has_prefix (line, "listen-port="))
        {
          g_string_append (text, "listen-port=0\n");
          ports++;
          continue;
        }
      if (node_group != NULL && g_str_has_prefix (line, "node="))
        {
          g_string_append (text, "node=n\n");
          continue;
        }
      g_string_append_printf (text, "%s\n", line);
    }
  if (node_group == NULL)
    g_assert_cmpuint (ports, ==, 1);

  return test_write_keyfile (name, text->str);
}

/* The lines the hello world prints: the root's, exactly, and the node's,
 * with its prefix PLACE @host:PORT, the same port on both. */
static void
assert_hello_world_output (TestRun    *run,
                           const char *host)
{
  g_auto(GStrv) lines = g_strsplit (run->out, "\n", -1);
  g_autofree char *prefix = g_strdup_printf ("PLACE %s:", host);
  gboolean root = FALSE;
  guint64 received_port = 0, sent_port = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *rest;
      g_autofree char *digits = NULL;
      guint64 port = 0;

      if (g_str_equal (line, "message-router received: Hello World"))
        {
          root = TRUE;
          continue;
        }
      if (!g_str_has_prefix (line, prefix))
        continue;
      rest = line + strlen (prefix);
      digits = g_strndup (rest, strspn (rest, "0123456789"));
      rest += strlen (digits);
      if (!g_ascii_string_to_unsigned (digits, 10, 1, 65535, &port, NULL))
        continue;
      if (g_str_equal (rest, ": hello-world received: Hello"))
        received_port = port;
      else if (g_str_equal (rest, ": hello-world sent: Hello World"))
        sent_port = port;
    }

  g_assert_true (root);
  g_assert_cmpuint (received_port, >, 0);
  g_assert_cmpuint (sent_port, ==, received_port);
  test_note ("the node listened on port %" G_GUINT64_FORMAT, received_port);
}

static void
test_run_hello_world (void)
{
  g_autofree char *keyfile = NULL;
  g_autoptr(TestRun) run = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  keyfile = hello_world_keyfile ("hello-world.ini", NULL);
  {
    const char *argv[] = { test_dplaces_bin (), "run", keyfile, NULL };

    run = test_run (argv, NULL, 20000);
  }
  test_run_assert_status (run, 0);
  assert_hello_world_output (run, "localhost");
}

static gboolean
ssh_test_possible (char **why)
{
  g_autofree char *ssh = g_find_program_in_path ("ssh");
  g_autofree char *ssh_keygen = g_find_program_in_path ("ssh-keygen");

  if (getuid () != 0)
    *why = g_strdup ("the ssh test needs root: sshd's privilege separation needs it");
  else if (!g_file_test ("/usr/sbin/sshd", G_FILE_TEST_IS_EXECUTABLE) || ssh == NULL ||
           ssh_keygen == NULL)
    *why = g_strdup ("the ssh test needs /usr/sbin/sshd, ssh and ssh-keygen "
                     "(Debian: openssh-server, openssh-client)");
  return *why == NULL;
}

static void
test_run_hello_world_ssh (void)
{
  g_autoptr(SshdHarness) harness = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) options = g_string_new (NULL);
  g_autofree char *node_group = NULL;
  g_autofree char *keyfile = NULL;
  g_autofree char *why = NULL;
  g_autoptr(TestRun) run = NULL;

  /* Skipped here, in the parent, so that the skip is reported. */
  if (!g_test_subprocess () && !ssh_test_possible (&why))
    {
      g_test_skip (why);
      return;
    }
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  harness = sshd_harness_start (&error);
  g_assert_no_error (error);
  g_assert_nonnull (harness);
  test_note ("sshd listening on 127.0.0.1:%u", harness->port);

  /* The harness's ssh options, "-o", "X", … as "-o X;…". */
  for (guint i = 0; harness->ssh_options[i] != NULL; i++)
    g_string_append_printf (options, "%s%s", harness->ssh_options[i],
                            harness->ssh_options[i + 1] == NULL ? ""
                            : i % 2 == 0 ? " " : ";");
  node_group = g_strdup_printf ("[node n]\n"
                                "host=127.0.0.1\n"
                                "listen-port=0\n"
                                "launcher=ssh\n"
                                "port=%u\n"
                                "user=%s\n"
                                "identity-file=%s\n"
                                "options=%s\n"
                                "remote-path=%s\n",
                                harness->port, harness->user, harness->identity_file,
                                options->str, test_dplaces_bin ());
  keyfile = hello_world_keyfile ("hello-world-ssh.ini", node_group);

  {
    const char *argv[] = { test_dplaces_bin (), "run", keyfile, NULL };

    run = test_run (argv, NULL, 30000);
  }
  test_run_assert_status (run, 0);
  assert_hello_world_output (run, "127.0.0.1");
}

static void
test_program_hello_world (void)
{
  g_autoptr(TestRun) run = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean received = FALSE;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  g_assert_true (g_file_test (test_getenv ("DP_HELLO_WORLD_PROGRAM"), G_FILE_TEST_IS_EXECUTABLE));

  /* The program reads the default cookie: a private config home holds
   * the test's. */
  {
    const char *env[] = { "XDG_CONFIG_HOME", test_sandbox_config_home (), NULL };

    run = test_run_program ("DP_HELLO_WORLD_PROGRAM", NULL, env, 20000);
  }
  test_run_assert_status (run, 0);

  lines = g_strsplit (run->out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    received |= g_str_equal (lines[i], "main received: Hello World");
  g_assert_true (received);
}


/* ── 10. a slow consumer: back-pressure ────────────────────────────── */

/* A GiB in MiB messages to a place that gets one a millisecond; its node
 * may grow by SLOW_BOUND_KIB at most meanwhile, an eighth of what flows
 * through it (the window per channel is 16 MiB). */
#define SLOW_MESSAGE_SIZE (1024 * 1024)
#define SLOW_MESSAGES 1024
#define SLOW_PAUSE_USEC 1000
#define SLOW_BOUND_KIB (64 * 1024)
#define SLOW_ROUND_TRIPS 100

typedef struct {
  DpChannel *channel;
  const guint8 *pattern;
  TestBusy *busy;
  guint sent;               /* atomic */
  GError *error;
} Producer;

static gpointer
producer_thread (gpointer data)
{
  Producer *producer = data;

  for (guint64 i = 0; i < SLOW_MESSAGES; i++)
    {
      GVariant *bytes = g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING,
                                                 slow_pattern_at (producer->pattern, i),
                                                 SLOW_MESSAGE_SIZE, TRUE, NULL, NULL);

      if (!dp_channel_put (producer->channel, g_variant_new ("(t@ay)", i, bytes), &producer->error))
        break;
      g_atomic_int_inc (&producer->sent);
    }

  test_busy_produced (producer->busy);
  return NULL;
}

static void
slow_consumer (const char *backend)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) slow = NULL;
  g_autoptr(DpRemoteConnection) echo = NULL;
  g_autoptr(DpPlaceChannel) gate = NULL;
  g_autoptr(DpPlaceChannel) gate_far = NULL;
  g_autoptr(GVariant) ready = NULL;
  g_autoptr(GVariant) done = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pattern = slow_pattern_new (SLOW_MESSAGE_SIZE);
  TestBusy busy;
  Producer producer = { NULL, pattern, &busy, 0, NULL };
  GThread *thread;
  GPid pid;
  const char *tag, *problem;
  guint64 consumer_base, consumer_peak, node_base, node_peak, right;
  gint64 start;
  gdouble seconds;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_node ();
  pid = dp_spawned_process_get_pid (dp_remote_node_get_process (node));
  slow = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, DIST_MODULE,
                                      "slow_consumer_place", NULL, backend, &error);
  g_assert_no_error (error);
  /* The healthy channel: the same connection, another channel. */
  echo = launch (node, "echo_place", NULL);

  dp_place_channel_new_pair (&gate, &gate_far);
  test_put (slow, g_variant_new ("(@hmhtuu)", dp_channel_to_variant (DP_CHANNEL (gate_far)), FALSE, 0,
                                 (guint64) SLOW_MESSAGES, (guint32) SLOW_MESSAGE_SIZE,
                                 (guint32) SLOW_PAUSE_USEC));
  ready = test_get (slow);
  g_assert_cmpstr (g_variant_get_type_string (ready), ==, "(st)");
  g_variant_get (ready, "(&st)", &tag, &consumer_base);
  g_assert_cmpstr (tag, ==, "ready");
  g_assert_cmpuint (consumer_base, >, 0);
  /* The node's peak memory counts from now. */
  g_assert_true (slow_reset_peak (pid));
  node_base = slow_status_kib (pid, "VmRSS");
  g_assert_cmpuint (node_base, >, 0);

  /* The consumer waits on its gate: the producer fills the channel's
   * window, then waits in a put. */
  test_busy_start (&busy);
  start = g_get_monotonic_time ();
  producer.channel = DP_CHANNEL (slow);
  thread = g_thread_new ("producer", producer_thread, &producer);
  if (!test_busy_wait (&busy, WAIT_USEC))
    g_error ("no put waited: %u of %d messages put, the consumer getting none%s%s",
             g_atomic_int_get (&producer.sent), SLOW_MESSAGES, producer.error != NULL ? ": " : "",
             producer.error != NULL ? producer.error->message : "");
  {
    g_autofree char *text = g_variant_print (busy.first, TRUE);
    test_note ("the producer waits after %u messages: %s", g_atomic_int_get (&producer.sent), text);
  }

  /* The connection's other channels flow meanwhile. */
  for (gint64 i = 0; i < SLOW_ROUND_TRIPS; i++)
    {
      g_autoptr(GVariant) reply = NULL;

      test_put (echo, g_variant_new_int64 (i));
      reply = test_get (echo);
      g_assert_cmpint (g_variant_get_int64 (reply), ==, i);
    }
  /* And the producer is still held back: nothing was consumed. */
  g_assert_cmpuint (g_atomic_int_get (&producer.sent), <, SLOW_MESSAGES);
  test_note ("%d round trips on another channel of the connection while the producer waited",
             SLOW_ROUND_TRIPS);

  test_put (gate, g_variant_new_string ("go"));
  {
    g_autoptr(GError) why = NULL;

    done = dp_channel_get_timeout (DP_CHANNEL (slow), 2 * WAIT_USEC, &why);
    g_assert_no_error (why);
    g_assert_nonnull (done);
  }
  seconds = test_seconds_since (start);
  g_thread_join (thread);
  node_peak = slow_status_kib (pid, "VmHWM");

  g_assert_cmpstr (g_variant_get_type_string (done), ==, "(stst)");
  g_variant_get (done, "(&st&st)", &tag, &right, &problem, &consumer_peak);
  test_note ("%" G_GUINT64_FORMAT " of %d messages of %d KiB right in %.2f s (%.0f MiB/s)%s%s; "
             "%u busy events", right, SLOW_MESSAGES, SLOW_MESSAGE_SIZE / 1024, seconds,
             (gdouble) SLOW_MESSAGES * SLOW_MESSAGE_SIZE / (1024 * 1024) / seconds,
             problem[0] != '\0' ? ": " : "", problem, test_busy_events (&busy));
  test_note ("the consumer's process grew by %" G_GINT64_FORMAT " KiB at most (%" G_GUINT64_FORMAT
             " → %" G_GUINT64_FORMAT "), the node's by %" G_GINT64_FORMAT " KiB (%" G_GUINT64_FORMAT
             " → %" G_GUINT64_FORMAT "); bound %d KiB", (gint64) (consumer_peak - consumer_base),
             consumer_base, consumer_peak, (gint64) (node_peak - node_base), node_base, node_peak,
             SLOW_BOUND_KIB);

  g_assert_no_error (producer.error);
  g_assert_cmpuint (producer.sent, ==, SLOW_MESSAGES);
  g_assert_cmpstr (tag, ==, "done");
  g_assert_cmpstr (problem, ==, "");
  g_assert_cmpuint (right, ==, SLOW_MESSAGES);
  g_assert_cmpuint (consumer_peak, <, consumer_base + SLOW_BOUND_KIB);
  g_assert_cmpuint (node_peak, <, node_base + SLOW_BOUND_KIB);

  test_busy_stop (&busy);
  dp_channel_close (DP_CHANNEL (gate));
  test_stop_node (node);
}

static void
test_slow_consumer_threads (void)
{
  slow_consumer ("threads");
}

static void
test_slow_consumer_processes (void)
{
  slow_consumer ("processes");
}

/* A place on A streams over a channel it made, which the test passes on
 * to the slow consumer on B: the data goes A → root → B, the root relaying
 * it. Every message arrives, and neither the root nor B grows by more
 * than SLOW_BOUND_KIB. */
static void
test_slow_consumer_relayed (void)
{
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteConnection) maker = NULL;
  g_autoptr(DpRemoteConnection) slow = NULL;
  g_autoptr(DpPlaceChannel) gate = NULL;
  g_autoptr(DpPlaceChannel) gate_far = NULL;
  g_autoptr(DpChannel) stream = NULL;
  g_autoptr(GVariant) made = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GVariant) ready = NULL;
  g_autoptr(GVariant) done = NULL;
  g_autoptr(GVariant) produced = NULL;
  g_autoptr(GError) error = NULL;
  const char *tag, *problem, *maker_problem;
  guint64 consumer_base, consumer_peak, root_base, root_peak, b_base, b_peak, right, sent;
  GPid b_pid;
  gint64 start;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  a = test_spawn_node ();
  b = test_spawn_node ();
  b_pid = dp_spawned_process_get_pid (dp_remote_node_get_process (b));
  maker = launch (a, "stream_maker_place", NULL);
  slow = launch (b, "slow_consumer_place", NULL);

  test_put (maker, g_variant_new ("(tu)", (guint64) SLOW_MESSAGES, (guint32) SLOW_MESSAGE_SIZE));
  made = test_get (maker);
  g_assert_cmpstr (g_variant_get_type_string (made), ==, "(h)");
  handle = g_variant_get_child_value (made, 0);
  stream = dp_channel_from_variant (handle, &error);
  g_assert_no_error (error);

  dp_place_channel_new_pair (&gate, &gate_far);
  test_put (slow, g_variant_new ("(@h@mhtuu)", dp_channel_to_variant (DP_CHANNEL (gate_far)),
                                 g_variant_new_maybe (G_VARIANT_TYPE_HANDLE, dp_channel_to_variant (stream)),
                                 (guint64) SLOW_MESSAGES, (guint32) SLOW_MESSAGE_SIZE,
                                 (guint32) SLOW_PAUSE_USEC));
  ready = test_get (slow);
  g_variant_get (ready, "(&st)", &tag, &consumer_base);
  g_assert_cmpstr (tag, ==, "ready");
  g_assert_cmpuint (consumer_base, >, 0);
  g_assert_true (slow_reset_peak (0));
  g_assert_true (slow_reset_peak (b_pid));
  root_base = slow_status_kib (0, "VmRSS");
  b_base = slow_status_kib (b_pid, "VmRSS");

  /* The consumer has taken the channel: the stream goes. */
  start = g_get_monotonic_time ();
  test_put (maker, g_variant_new_string ("go"));
  test_put (gate, g_variant_new_string ("go"));
  {
    g_autoptr(GError) why = NULL;

    done = dp_channel_get_timeout (DP_CHANNEL (slow), 2 * WAIT_USEC, &why);
    g_assert_no_error (why);
    g_assert_nonnull (done);
  }
  produced = test_get (maker);
  root_peak = slow_status_kib (0, "VmHWM");
  b_peak = slow_status_kib (b_pid, "VmHWM");

  g_variant_get (done, "(&st&st)", &tag, &right, &problem, &consumer_peak);
  g_variant_get (produced, "(&st&s)", NULL, &sent, &maker_problem);
  test_note ("%" G_GUINT64_FORMAT " of %d messages of %d KiB from node A to node B through the root, "
             "right, in %.2f s%s%s%s%s", right, SLOW_MESSAGES, SLOW_MESSAGE_SIZE / 1024,
             test_seconds_since (start), problem[0] != '\0' ? ": " : "", problem,
             maker_problem[0] != '\0' ? "; the producer: " : "", maker_problem);
  test_note ("grown at most: the root by %" G_GINT64_FORMAT " KiB, node B by %" G_GINT64_FORMAT
             " KiB, the consumer's process by %" G_GINT64_FORMAT " KiB; bound %d KiB",
             (gint64) (root_peak - root_base), (gint64) (b_peak - b_base),
             (gint64) (consumer_peak - consumer_base), SLOW_BOUND_KIB);

  g_assert_cmpstr (maker_problem, ==, "");
  g_assert_cmpuint (sent, ==, SLOW_MESSAGES);
  g_assert_cmpstr (tag, ==, "done");
  g_assert_cmpstr (problem, ==, "");
  g_assert_cmpuint (right, ==, SLOW_MESSAGES);
  g_assert_cmpuint (root_peak, <, root_base + SLOW_BOUND_KIB);
  g_assert_cmpuint (b_peak, <, b_base + SLOW_BOUND_KIB);
  g_assert_cmpuint (consumer_peak, <, consumer_base + SLOW_BOUND_KIB);

  dp_channel_close (DP_CHANNEL (maker));
  dp_channel_close (DP_CHANNEL (gate));
  test_stop_node (a);
  test_stop_node (b);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* The test's own cookie; the user's is never read. A test's subprocess
   * works in a folder inside its parent's, which the parent removes at
   * the end even when the subprocess failed. */
  tmp_dir = test_sandbox_init ("dplaces-distributed", TEST_COOKIE);

  g_test_add_func ("/distributed/named-place/two-clients", test_named_place);
  g_test_add_func ("/distributed/named-place/latency", test_named_place_latency);
  g_test_add_func ("/distributed/stream/both-ways", test_stream);
  g_test_add_func ("/distributed/channel/pair-from-root", test_channel_pair_from_root);
  g_test_add_func ("/distributed/channel/made-on-node", test_channel_made_on_node);
  g_test_add_func ("/distributed/channel/close-then-wait", test_close_then_wait);
  g_test_add_func ("/distributed/named-place/connections-let-go", test_named_connections_let_go);
  g_test_add_func ("/distributed/node/sigkill", test_node_sigkill);
  g_test_add_func ("/distributed/hostile/wrong-cookie", test_hostile_wrong_cookie);
  g_test_add_func ("/distributed/hostile/garbage-first-frame", test_hostile_garbage);
  g_test_add_func ("/distributed/hostile/huge-frame", test_hostile_huge_frame);
  g_test_add_func ("/distributed/hostile/truncated-frame", test_hostile_truncated_frame);
  g_test_add_func ("/distributed/refused/outside-plugin-dirs", test_refused_outside);
  g_test_add_func ("/distributed/refused/unknown-module", test_refused_unknown);
  g_test_add_func ("/distributed/refused/missing-named-place", test_refused_missing_named);
  g_test_add_func ("/distributed/run/hello-world", test_run_hello_world);
  g_test_add_func ("/distributed/run/hello-world-ssh", test_run_hello_world_ssh);
  g_test_add_func ("/distributed/program/hello-world", test_program_hello_world);
  g_test_add_func ("/distributed/slow-consumer/threads", test_slow_consumer_threads);
  g_test_add_func ("/distributed/slow-consumer/processes", test_slow_consumer_processes);
  g_test_add_func ("/distributed/slow-consumer/relayed", test_slow_consumer_relayed);

  status = g_test_run ();
  test_sandbox_finish ();
  return status;
}
