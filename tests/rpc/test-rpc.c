/* test-rpc.c: RPC servers (the rpc plugin) and dplaces-codegen
 *
 *   /rpc/local/stubs               generated stubs against a server place
 *                                  here: every argument and result kind
 *   /rpc/local/runtime             a server without the generator, and
 *                                  dp_rpc_call / dp_rpc_cast
 *   /rpc/local/two-threads         two threads calling on one channel
 *   /rpc/error/unknown-method      DP_RPC_ERROR_UNKNOWN_METHOD; serves on
 *   /rpc/error/invalid-args        DP_RPC_ERROR_INVALID_ARGS, checked by
 *                                  the server; casts logged; serves on
 *   /rpc/error/invalid-reply       a result of the wrong type, caught by
 *                                  the server and by the caller
 *   /rpc/error/handler-error       a handler's GError, in its own domain
 *                                  when the caller knows it
 *   /rpc/error/timeout             DP_RPC_ERROR_TIMED_OUT, not before the
 *                                  timeout, while the server is still in
 *                                  the call; the late reply is not taken
 *                                  for the next call's
 *   /rpc/error/server-died         a private server's place ends in a
 *                                  call: DP_RPC_ERROR_SERVER_DIED, then for
 *                                  the next call without waiting for an
 *                                  answer
 *   /rpc/error/node-killed         a named server's node is SIGKILLed while
 *                                  a call waits: SERVER_DIED, no hang
 *   /rpc/error/named-server-ended  a named server's place ends: its other
 *                                  clients' calls fail (SERVER_DIED), a
 *                                  client that connects after finds no
 *                                  server (DP_ERROR_NOT_FOUND)
 *   /rpc/error/server-crashed      servers in processes of their own
 *                                  (processes backend) abort in a call:
 *                                  SERVER_DIED with the signal, for their
 *                                  private and named clients
 *   /rpc/named/many-clients        8 clients × 10 000 calls, on two other
 *                                  nodes, against one named server: every
 *                                  answer in sequence, the totals exact
 *   /rpc/log-to-parent             a server on a node logs to the test
 *   /rpc/codegen/reproducible      the generator's output is the same
 *                                  bytes every time, and the build's
 *   /rpc/codegen/invalid           bad interface files are refused, saying
 *                                  where
 *   /rpc/example/run               dplaces run data/examples/named.ini
 *   /rpc/example/program           the example as a C program
 *   /rpc/service/shared-server     a keyfile: three client places share a
 *                                  private server on a node through the
 *                                  [rpc] service, each getting its own
 *                                  answers; the system ends with them: 0,
 *                                  or 1 when one failed
 *   /rpc/service/bad-keyfile       [rpc] naming a place that does not exist
 *
 * Nodes run in real processes on loopback, on ports the system picks;
 * every test that spawns them runs in a subprocess of its own. Nothing
 * sleeps to wait for what it can wait on. The cookie is the test's own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <string.h>

#include <gio/gio.h>

#define TEST_MODULE "rpc-test-places"
#define TEST_COOKIE "dplaces-rpc-tests-0123456789abcdef"

#include "bank-rpc.h"
#include "counter-rpc.h"
#include "test-common.h"
#include "test-log.h"
#include "test-nodes.h"
#include "test-run.h"
#include "test-sandbox.h"

/* How long a test's subprocess may take: the many clients' take long. */
#define SUBPROCESS_USEC (test_timeout_multiplier () * 100 * G_USEC_PER_SEC)

#define MANY_CLIENTS 8
#define MANY_CALLS 10000

static const char *tmp_dir;

/* A call that must succeed: incr of client @id answers @expected. */
static void
assert_incr (DpChannel *server,
             gint32     id,
             gint64     expected)
{
  g_autoptr(GError) error = NULL;
  gint64 n = counter_incr (server, id, &error);

  g_assert_no_error (error);
  g_assert_cmpint (n, ==, expected);
}

/* ── 1. stubs against a local server ───────────────────────────────── */

static void
test_local_stubs (void)
{
  g_autoptr(DpPlace) place = test_place ("make_counter");
  DpChannel *server = DP_CHANNEL (place);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) v = NULL;
  g_autoptr(GVariant) dict_in = NULL;
  g_autoptr(GVariant) dict_out = NULL;
  g_autofree char *s = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) strv = NULL;
  g_autoptr(DpChannel) got_channel = NULL;
  g_autoptr(GVariant) message = NULL;
  DpPlaceChannel *mine, *theirs;
  const char *words[] = { "a", "", "ünïcode", NULL };

  assert_incr (server, 1, 1);
  assert_incr (server, 1, 2);
  assert_incr (server, 2, 1);
  g_assert_cmpint (counter_total (server, &error), ==, 3);
  g_assert_cmpint (counter_count (server, 1, &error), ==, 2);
  g_assert_cmpint (counter_count (server, 9, &error), ==, 0);
  g_assert_no_error (error);

  /* Casts: nothing comes back; the next call sees their effect. */
  g_assert_true (counter_hello (server, &error));
  g_assert_true (counter_hello (server, &error));
  g_assert_cmpint (counter_hellos (server, &error), ==, 2);
  g_assert_true (counter_sleep (server, 1, &error));
  g_assert_no_error (error);

  /* Every kind of argument and result. */
  g_assert_true (counter_echo_b (server, TRUE, &error));
  g_assert_false (counter_echo_b (server, FALSE, &error));
  g_assert_cmpuint (counter_echo_y (server, 255, &error), ==, 255);
  g_assert_cmpint (counter_echo_n (server, -32768, &error), ==, -32768);
  g_assert_cmpuint (counter_echo_q (server, 65535, &error), ==, 65535);
  g_assert_cmpuint (counter_echo_u (server, G_MAXUINT32, &error), ==, G_MAXUINT32);
  g_assert_cmpuint (counter_echo_t (server, G_MAXUINT64, &error), ==, G_MAXUINT64);
  g_assert_cmpfloat (counter_echo_d (server, -2.5e300, &error), ==, -2.5e300);
  g_assert_no_error (error);

  s = counter_echo_s (server, "ünïcode and \"quotes\"", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==, "ünïcode and \"quotes\"");

  strv = counter_echo_as (server, words, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char * const *) strv, words));

  v = counter_echo_v (server, g_variant_new_parsed ("(1, 'two', [3.0])"), &error);
  g_assert_no_error (error);
  text = g_variant_print (v, FALSE);
  g_assert_cmpstr (text, ==, "(1, 'two', [3.0])");
  g_clear_pointer (&text, g_free);

  dict_in = g_variant_ref_sink (g_variant_new_parsed ("{'k': <int64 1>, 'l': <'m'>}"));
  dict_out = counter_echo_dict (server, dict_in, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_equal (dict_in, dict_out));

  text = counter_concat (server, "a", -7, 0.5, TRUE, g_variant_new ("(si)", "pair", 3), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "a -7 0.5 yes pair 3");

  /* Channels as arguments and results. */
  dp_place_channel_new_pair (&mine, &theirs);
  g_assert_true (counter_ping_channel (server, DP_CHANNEL (theirs), &error));
  g_assert_no_error (error);
  g_object_unref (theirs);
  message = test_get (mine);
  g_assert_cmpstr (g_variant_get_string (message, NULL), ==, "pong");
  g_object_unref (mine);
  g_clear_pointer (&message, g_variant_unref);

  got_channel = counter_new_channel (server, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got_channel);
  message = test_get (got_channel);
  g_assert_cmpstr (g_variant_get_string (message, NULL), ==, "hello");

  dp_channel_close (server);
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

/* ── 2. without the generator ──────────────────────────────────────── */

static void
test_local_runtime (void)
{
  g_autoptr(DpPlace) place = test_place ("runtime_server");
  DpChannel *server = DP_CHANNEL (place);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) ended = NULL;

  result = dp_rpc_call (server, "greet", g_variant_new ("(s)", "world"), G_VARIANT_TYPE_STRING, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (result, NULL), ==, "Hello, world");
  g_clear_pointer (&result, g_variant_unref);

  /* An indefinite argument type: any tuple. No reply type: anything. */
  result = dp_rpc_call (server, "count-args", g_variant_new ("(sxb)", "a", (gint64) 1, TRUE), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_get_uint32 (result), ==, 3);
  g_clear_pointer (&result, g_variant_unref);
  result = dp_rpc_call (server, "count-args", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_get_uint32 (result), ==, 0);
  g_clear_pointer (&result, g_variant_unref);

  /* A cast of an rpc: runs, answers nothing; the channel stays in step. */
  g_assert_true (dp_rpc_cast (server, "greet", g_variant_new ("(s)", "nobody"), &error));
  result = dp_rpc_call (server, "greet", g_variant_new ("(s)", "again"), G_VARIANT_TYPE_STRING, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (result, NULL), ==, "Hello, again");
  g_clear_pointer (&result, g_variant_unref);

  /* quit: answered, then the loop ends and the place says so. */
  result = dp_rpc_call (server, "quit", NULL, G_VARIANT_TYPE_UNIT, &error);
  g_assert_no_error (error);
  ended = test_get (server);
  g_assert_cmpstr (g_variant_get_string (ended, NULL), ==, "server ended");
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

/* ── 3. two threads, one channel ───────────────────────────────────── */

#define THREAD_CALLS 2000

static gpointer
incr_thread (gpointer data)
{
  DpChannel *server = data;

  for (gint i = 0; i < THREAD_CALLS; i++)
    {
      g_autoptr(GError) error = NULL;

      counter_incr (server, 7, &error);
      g_assert_no_error (error);
    }
  return NULL;
}

static void
test_local_two_threads (void)
{
  g_autoptr(DpPlace) place = test_place ("make_counter");
  g_autoptr(GError) error = NULL;
  GThread *threads[2];

  /* Each call gets its own answer though both wait on one channel. */
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("caller", incr_thread, place);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (counter_count (DP_CHANNEL (place), 7, &error), ==, 2 * THREAD_CALLS);
  g_assert_no_error (error);
  dp_channel_close (DP_CHANNEL (place));
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

/* ── 4. errors ─────────────────────────────────────────────────────── */

static void
test_unknown_method (void)
{
  g_autoptr(DpPlace) place = test_place ("make_counter");
  DpChannel *server = DP_CHANNEL (place);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;

  result = dp_rpc_call (server, "no-such-method", g_variant_new ("(i)", 1), NULL, &error);
  g_assert_null (result);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_UNKNOWN_METHOD);
  g_assert_nonnull (strstr (error->message, "no-such-method"));
  g_assert_nonnull (strstr (error->message, "counter"));
  g_clear_error (&error);

  /* A cast of it: nobody waits; the server logs it and serves on. */
  g_assert_true (dp_rpc_cast (server, "no-such-cast", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (test_log_seen (0, "no-such-cast"));
  assert_incr (server, 1, 1);

  dp_channel_close (server);
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

static void
test_invalid_args (void)
{
  g_autoptr(DpPlace) place = test_place ("make_counter");
  DpChannel *server = DP_CHANNEL (place);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean ok;
  guint32 serial;

  /* incr takes (i). */
  result = dp_rpc_call (server, "incr", g_variant_new ("(s)", "one"), NULL, &error);
  g_assert_null (result);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_ARGS);
  g_assert_nonnull (strstr (error->message, "(i)"));
  g_assert_nonnull (strstr (error->message, "(s)"));
  g_clear_error (&error);

  result = dp_rpc_call (server, "incr", g_variant_new ("(ii)", 1, 2), NULL, &error);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  result = dp_rpc_call (server, "incr", NULL, NULL, &error);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  /* Arguments that are not a tuple, in the wire format by hand. */
  g_assert_true (dp_channel_put (server, g_variant_new_parsed ("('incr', uint32 77, 5)"), &error));
  reply = test_get (server);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, DP_RPC_REPLY_TYPE);
  g_variant_get (reply, "(ubv)", &serial, &ok, NULL);
  g_assert_cmpuint (serial, ==, 77);
  g_assert_false (ok);

  /* A cast with the wrong arguments is logged; and a message that is no
   * request at all. The server serves on. */
  g_assert_true (dp_rpc_cast (server, "log", g_variant_new ("(i)", 3), &error));
  g_assert_true (test_log_seen (0, "cast log: Method “log” of RPC server “counter” takes arguments of type (ss), got (i)"));
  g_assert_true (dp_channel_put (server, g_variant_new_string ("hello?"), &error));
  g_assert_true (test_log_seen (0, "not an RPC request"));
  g_assert_no_error (error);
  assert_incr (server, 1, 1);

  dp_channel_close (server);
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

static void
test_invalid_reply (void)
{
  g_autoptr(DpPlace) place = test_place ("runtime_server");
  g_autoptr(DpPlace) counter = test_place ("make_counter");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;

  /* The server's handler answers x where its interface says s. */
  result = dp_rpc_call (DP_CHANNEL (place), "wrong-reply", NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_REPLY);
  g_clear_error (&error);
  g_assert_true (test_log_seen (0, "returned a value of type x; its interface says s"));

  /* The caller expects another type than the server answers. */
  result = dp_rpc_call (DP_CHANNEL (counter), "total", NULL, G_VARIANT_TYPE_STRING, &error);
  g_assert_null (result);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_REPLY);
  g_clear_error (&error);

  dp_channel_close (DP_CHANNEL (place));
  dp_channel_close (DP_CHANNEL (counter));
  g_assert_cmpint (dp_place_wait (place), ==, 0);
  g_assert_cmpint (dp_place_wait (counter), ==, 0);
}

static void
test_handler_error (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *s = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  /* On another node: the second domain exists only in the server. */
  node = test_spawn_mesh_node ();
  server = test_launch (node, TEST_MODULE, "make_counter", NULL, NULL);

  s = counter_fail (DP_CHANNEL (server), TRUE, &error);
  g_assert_null (s);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such thing");
  g_clear_error (&error);

  s = counter_fail (DP_CHANNEL (server), FALSE, &error);
  g_assert_null (s);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "an error the client cannot name"));
  g_assert_nonnull (strstr (error->message, "rpc-test-server-only-error-quark 42"));
  g_clear_error (&error);

  assert_incr (DP_CHANNEL (server), 1, 1);
  dp_node_send_exit (node);
}

/* A sleep call's sleep: longer than any wait of the test, unless it is
 * woken (wake_sleeper()). */
#define ASLEEP_MS ((guint32) (TEST_WAIT_USEC / 1000))

/* Ends the sleep of a sleep call to a counter in this process: FALSE if
 * none was sleeping, or came to, within TEST_WAIT_USEC. */
static gboolean
wake_sleeper (void)
{
  typedef gboolean (*WakeFunc) (gint64 timeout_usec);
  g_autoptr(GError) error = NULL;
  WakeFunc wake = (WakeFunc) dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (),
                                                               TEST_MODULE, "rpc_test_wake_sleeper",
                                                               &error);

  g_assert_no_error (error);
  return wake (TEST_WAIT_USEC);
}

static void
test_timeout (void)
{
  g_autoptr(DpPlace) place = test_place ("make_counter");
  DpChannel *server = DP_CHANNEL (place);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) total = NULL;
  gint64 start;
  gdouble took;

  dp_rpc_channel_set_timeout (server, 200 * 1000);
  g_assert_cmpint (dp_rpc_channel_get_timeout (server), ==, 200 * 1000);

  /* The server sleeps until it is woken: the call gives up by its own
   * timeout (not the process default of 25 s, the message says), not
   * before 0.2 s, and the server is still in it after. */
  start = g_get_monotonic_time ();
  g_assert_false (counter_sleep (server, ASLEEP_MS, &error));
  took = test_seconds_since (start);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_TIMED_OUT);
  test_note ("the call gave up after %.3f s: %s", took, error->message);
  g_assert_cmpstr (error->message, ==, "RPC sleep timed out: no answer within 0.2 s");
  g_clear_error (&error);
  g_assert_cmpfloat (took, >=, 0.2);
  g_assert_true (wake_sleeper ());

  /* The late reply arrives first: the next call skips it. */
  dp_rpc_channel_set_timeout (server, DP_RPC_TIMEOUT_DEFAULT);
  assert_incr (server, 3, 1);
  assert_incr (server, 3, 2);

  /* Per call, and none at all. */
  g_assert_null (dp_rpc_call_full (server, "sleep", g_variant_new ("(u)", ASLEEP_MS), NULL, 50 * 1000,
                                   &error));
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_TIMED_OUT);
  g_assert_cmpstr (error->message, ==, "RPC sleep timed out: no answer within 0.05 s");
  g_clear_error (&error);
  g_assert_true (wake_sleeper ());
  total = dp_rpc_call_full (server, "total", NULL, NULL, DP_RPC_TIMEOUT_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (total), ==, 2);

  dp_channel_close (server);
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

static void
test_server_died (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_mesh_node ();
  server = test_launch (node, TEST_MODULE, "make_counter", NULL, NULL);
  assert_incr (DP_CHANNEL (server), 1, 1);
  /* Longer than the test waits for anything: a call that waited for its
   * answer instead of seeing the server gone would time out, which says
   * so (DP_RPC_ERROR_TIMED_OUT, not SERVER_DIED). */
  dp_rpc_channel_set_timeout (DP_CHANNEL (server), TEST_WAIT_USEC);

  /* Its place ends in the middle of the call. */
  start = g_get_monotonic_time ();
  g_assert_false (counter_die (DP_CHANNEL (server), 3, &error));
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);
  test_note ("die: %s (%.3f s)", error->message, test_seconds_since (start));
  g_clear_error (&error);
  g_assert_cmpint (dp_remote_connection_wait (server), ==, 3);

  /* And every call after it, without waiting for an answer. */
  counter_incr (DP_CHANNEL (server), 1, &error);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);
  g_clear_error (&error);
  g_assert_false (counter_hello (DP_CHANNEL (server), &error));
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);

  dp_node_send_exit (node);
}

/* The sleep of the call under which the server's node is killed: an
 * hour, beyond any deadline of the test (a literal, for the log line the
 * test waits for). */
#define KILLED_SLEEP_MS 3600000

typedef struct {
  DpChannel *server;
  GError *error;
  gboolean result;
} SleepCall;

static gpointer
sleep_call_thread (gpointer data)
{
  SleepCall *call = data;

  call->result = counter_sleep (call->server, KILLED_SLEEP_MS, &call->error);
  return NULL;
}

static void
test_node_killed (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(DpRemoteConnection) client = NULL;
  g_autoptr(GError) error = NULL;
  SleepCall call = { NULL, NULL, TRUE };
  GThread *thread;
  gint64 start;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_mesh_node ();
  server = test_launch (node, TEST_MODULE, "make_counter", "counter", NULL);
  client = test_connect_named (node, "counter");
  assert_incr (DP_CHANNEL (client), 1, 1);

  /* A call waits for a sleep longer than its timeout, itself longer than
   * the test waits for anything; once the server says it sleeps, its node
   * is killed under it. The call fails because the server is gone
   * (SERVER_DIED), not because its time ran out (TIMED_OUT). */
  dp_rpc_channel_set_timeout (DP_CHANNEL (client), TEST_WAIT_USEC);
  call.server = DP_CHANNEL (client);
  thread = g_thread_new ("caller", sleep_call_thread, &call);
  g_assert_true (test_log_seen (0, "counter: sleeping " G_STRINGIFY (KILLED_SLEEP_MS) " ms"));

  start = g_get_monotonic_time ();
  g_assert_cmpint (kill (dp_spawned_process_get_pid (dp_remote_node_get_process (node)), SIGKILL), ==, 0);
  g_thread_join (thread);
  test_note ("the waiting call returned %.3f s after the kill: %s", test_seconds_since (start),
             call.error != NULL ? call.error->message : "(no error)");
  g_assert_false (call.result);
  g_assert_error (call.error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);
  g_clear_error (&call.error);

  counter_total (DP_CHANNEL (client), &error);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);
}

static void
test_named_server_ended (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(DpRemoteConnection) c = NULL;
  g_autoptr(DpRemoteConnection) d = NULL;
  g_autoptr(GError) error = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_mesh_node ();
  server = test_launch (node, TEST_MODULE, "make_counter", "counter", NULL);
  c = test_connect_named (node, "counter");
  d = test_connect_named (node, "counter");
  assert_incr (DP_CHANNEL (c), 1, 1);
  assert_incr (DP_CHANNEL (d), 1, 2);

  /* c ends the server; d, which called before, learns it on its next
   * call; and a connection made after, too. */
  g_assert_false (counter_die (DP_CHANNEL (c), 0, &error));
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);
  g_clear_error (&error);
  g_assert_cmpint (dp_remote_connection_wait (server), ==, 0);

  counter_incr (DP_CHANNEL (d), 1, &error);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);
  test_note ("d: %s", error->message);
  g_clear_error (&error);

  {
    g_autoptr(DpRemoteConnection) e = NULL;

    e = dp_connect_to_named_place_at (dp_remote_node_get_host (node), dp_remote_node_get_listen_port (node),
                                      "counter", &error);
    if (e != NULL)
      {
        /* Its name is free: the node refuses the connection, and that is
         * not a death. */
        counter_incr (DP_CHANNEL (e), 1, &error);
        g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
        g_assert_nonnull (strstr (error->message, "No place named “counter”"));
        test_note ("e: %s", error->message);
      }
  }

  dp_node_send_exit (node);
}

static void
test_server_crashed (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) private_server = NULL;
  g_autoptr(DpRemoteConnection) named_server = NULL;
  g_autoptr(DpRemoteConnection) c = NULL;
  g_autoptr(DpRemoteConnection) d = NULL;
  g_autoptr(GError) error = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_mesh_node ();

  /* A private server: its creator's call. */
  private_server = test_launch (node, TEST_MODULE, "make_counter", NULL, "processes");
  assert_incr (DP_CHANNEL (private_server), 1, 1);
  g_assert_false (counter_crash (DP_CHANNEL (private_server), &error));
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);
  test_note ("private: %s", error->message);
  g_assert_nonnull (strstr (error->message, "SIGABRT"));
  g_clear_error (&error);

  /* A named one: the client that crashed it and another. */
  named_server = test_launch (node, TEST_MODULE, "make_counter", "counter", "processes");
  c = test_connect_named (node, "counter");
  d = test_connect_named (node, "counter");
  assert_incr (DP_CHANNEL (c), 1, 1);
  assert_incr (DP_CHANNEL (d), 1, 2);
  g_assert_false (counter_crash (DP_CHANNEL (c), &error));
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);
  test_note ("named, the caller: %s", error->message);
  g_clear_error (&error);
  g_assert_cmpint (dp_remote_connection_wait (named_server), ==, 128 + SIGABRT);
  counter_incr (DP_CHANNEL (d), 1, &error);
  g_assert_error (error, DP_RPC_ERROR, DP_RPC_ERROR_SERVER_DIED);
  test_note ("named, another client: %s", error->message);

  dp_node_send_exit (node);
}

/* ── 5. many clients on another node ───────────────────────────────── */

static void
test_many_clients (void)
{
  g_autoptr(DpRemoteNode) a = NULL;
  g_autoptr(DpRemoteNode) b = NULL;
  g_autoptr(DpRemoteNode) c = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  gint64 start;
  gdouble took;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  a = test_spawn_mesh_node ();
  b = test_spawn_mesh_node ();
  c = test_spawn_mesh_node ();
  server = test_launch (a, TEST_MODULE, "make_counter", "counter", NULL);
  /* A round trip: the server runs, under its name, before the clients on
   * b and c — whose requests reach a other ways — look for it. */
  g_assert_cmpint (counter_total (DP_CHANNEL (server), &error), ==, 0);
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  for (gint i = 0; i < MANY_CLIENTS; i++)
    {
      /* Half the clients on b, half on c. */
      DpRemoteConnection *client = test_launch (i % 2 == 0 ? b : c, TEST_MODULE, "counter_client_place",
                                                NULL, NULL);

      g_ptr_array_add (clients, client);
      g_assert_true (dp_channel_put (DP_CHANNEL (client),
                                     g_variant_new ("(sqsii)", dp_remote_node_get_host (a),
                                                    (guint16) dp_remote_node_get_listen_port (a),
                                                    "counter", i + 1, MANY_CALLS),
                                     &error));
    }

  for (gint i = 0; i < MANY_CLIENTS; i++)
    {
      g_autoptr(GVariant) report = NULL;
      const char *problem;
      gint32 id, right;

      report = dp_channel_get_timeout (g_ptr_array_index (clients, i), 90 * G_USEC_PER_SEC, &error);
      g_assert_no_error (error);
      g_assert_nonnull (report);
      g_variant_get (report, "(ii&s)", &id, &right, &problem);
      if (problem[0] != '\0')
        test_note ("client %d: %s", id, problem);
      g_assert_cmpstr (problem, ==, "");
      g_assert_cmpint (id, ==, i + 1);
      g_assert_cmpint (right, ==, MANY_CALLS);
    }
  took = test_seconds_since (start);
  test_note ("%d clients × %d calls in %.2f s: %.0f calls/s", MANY_CLIENTS, MANY_CALLS, took,
             MANY_CLIENTS * MANY_CALLS / took);

  /* The server's state agrees, asked by its creator. */
  g_assert_cmpint (counter_total (DP_CHANNEL (server), &error), ==, MANY_CLIENTS * MANY_CALLS);
  for (gint i = 0; i < MANY_CLIENTS; i++)
    g_assert_cmpint (counter_count (DP_CHANNEL (server), i + 1, &error), ==, MANY_CALLS);
  g_assert_no_error (error);

  dp_node_send_exit (c);
  dp_node_send_exit (b);
  dp_node_send_exit (a);
}

/* ── 6. log-to-parent ──────────────────────────────────────────────── */

static void
test_log_to_parent (void)
{
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(GError) error = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  node = test_spawn_mesh_node ();
  server = test_launch (node, TEST_MODULE, "make_counter", NULL, NULL);
  g_assert_true (counter_log (DP_CHANNEL (server), "warning", "the sky is falling", &error));
  g_assert_true (counter_log (DP_CHANNEL (server), "info", "all is well", &error));
  g_assert_no_error (error);

  g_assert_true (test_log_seen (G_LOG_LEVEL_WARNING, "counter: the sky is falling"));
  g_assert_true (test_log_seen (G_LOG_LEVEL_INFO, "counter: all is well"));
  dp_node_send_exit (node);
}

/* ── 7. the code generator ─────────────────────────────────────────── */

/* Runs the generator on @schema into @dir. */
static void
generate (const char *schema,
          const char *dir)
{
  g_autoptr(TestRun) run = NULL;
  const char *argv[] = { test_getenv ("DP_CODEGEN"), "--output-dir", dir, schema, NULL };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  run = test_run (argv, NULL, 30000);
  test_run_assert_status (run, 0);
}

static void
test_codegen_reproducible (void)
{
  struct {
    const char *schema;     /* under DP_SOURCE_ROOT */
    const char *name;
    const char *build_dir;  /* where the build generated it, an env variable */
  } interfaces[] = {
    { "tests/rpc/counter.rpc.json", "counter", "DP_TEST_GENERATED_DIR" },
    { "schemas/tuple-server.rpc.json", "tuple-server", "DP_EXAMPLE_GENERATED_DIR" },
    { "schemas/bank.rpc.json", "bank", "DP_EXAMPLE_GENERATED_DIR" },
  };
  const char *suffixes[] = { "-rpc.h", "-rpc-client.c", "-rpc-server.c" };
  g_autofree char *first = g_build_filename (tmp_dir, "codegen-1", NULL);
  g_autofree char *second = g_build_filename (tmp_dir, "codegen-2", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (interfaces); i++)
    {
      g_autofree char *schema = g_build_filename (test_getenv ("DP_SOURCE_ROOT"), interfaces[i].schema, NULL);

      generate (schema, first);
      generate (schema, second);
      for (guint j = 0; j < G_N_ELEMENTS (suffixes); j++)
        {
          g_autofree char *file = g_strconcat (interfaces[i].name, suffixes[j], NULL);
          g_autofree char *path_1 = g_build_filename (first, file, NULL);
          g_autofree char *path_2 = g_build_filename (second, file, NULL);
          g_autofree char *path_build = g_build_filename (test_getenv (interfaces[i].build_dir), file, NULL);
          g_autofree char *text_1 = test_read_file (path_1);
          g_autofree char *text_2 = test_read_file (path_2);
          g_autofree char *text_build = test_read_file (path_build);

          /* Byte for byte: twice here, and what the build compiled. */
          g_assert_cmpstr (text_1, ==, text_2);
          g_assert_cmpstr (text_1, ==, text_build);
          g_assert_null (strstr (text_1, tmp_dir));
        }
    }
}

static void
test_codegen_invalid (void)
{
  struct {
    const char *json;
    const char *expected;   /* in the message */
  } cases[] = {
    { "{", "broken.rpc.json:1:" },
    { "[]", "an interface is a JSON object" },
    { "{\"name\": \"x\", \"methods\": [{\"name\": \"m\", \"kind\": \"rpc\"}]}", "rpc-interface" },
    { "{\"rpc-interface\": 1, \"name\": \"x\"}", "methods" },
    { "{\"rpc-interface\": 1, \"name\": \"x y\", \"methods\": [{\"name\": \"m\", \"kind\": \"rpc\"}]}",
      "name: " },
    { "{\"rpc-interface\": 1, \"name\": \"x\", \"methods\": [{\"name\": \"m\", \"kind\": \"call\"}]}",
      "methods[0]: kind " },
    { "{\"rpc-interface\": 1, \"name\": \"x\", \"methods\": [{\"name\": \"m\", \"kind\": \"rpc\", "
      "\"args\": [{\"name\": \"a\", \"type\": \"q1\"}]}]}",
      "methods[0].args[0]: " },
    { "{\"rpc-interface\": 1, \"name\": \"x\", \"methods\": [{\"name\": \"m\", \"kind\": \"rpc\", "
      "\"args\": [{\"name\": \"error\", \"type\": \"s\"}]}]}",
      "is reserved by the generated code" },
    { "{\"rpc-interface\": 1, \"name\": \"x\", \"methods\": [{\"name\": \"m\", \"kind\": \"rpc\"}, "
      "{\"name\": \"m\", \"kind\": \"cast\"}]}",
      "methods[1]: a second method named" },
    { "{\"rpc-interface\": 1, \"name\": \"x\", \"methods\": [{\"name\": \"m\", \"kind\": \"cast\", "
      "\"returns\": \"s\"}]}",
      "a cast returns nothing" },
    { "{\"rpc-interface\": 1, \"name\": \"x\", \"methods\": [{\"name\": \"m\", \"kind\": \"rpc\", "
      "\"retruns\": \"s\"}]}",
      "methods[0]: unknown member" },
    { "{\"rpc-interface\": 1, \"name\": \"x\", \"state\": [{\"name\": \"s\", \"type\": \"int; x\"}], "
      "\"methods\": [{\"name\": \"m\", \"kind\": \"rpc\"}]}",
      "state[0]: type" },
  };
  g_autofree char *path = g_build_filename (tmp_dir, "broken.rpc.json", NULL);
  g_autofree char *out_dir = g_build_filename (tmp_dir, "codegen-broken", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TestRun) run = NULL;
      const char *argv[] = { test_getenv ("DP_CODEGEN"), "--output-dir", out_dir, path, NULL };

      g_assert_true (g_file_set_contents (path, cases[i].json, -1, &error));
      g_assert_no_error (error);
      run = test_run (argv, NULL, 30000);
      test_run_assert_status (run, 1);
      if (strstr (run->err, cases[i].expected) == NULL)
        g_error ("case %u: expected “%s” in: %s", i, cases[i].expected, run->err);
      g_assert_false (g_file_test (out_dir, G_FILE_TEST_EXISTS));
    }
}

/* ── 8. the named example ──────────────────────────────────────────── */

static const char *const named_expected[] = {
  "100", "200", "100", "200", "100", "200",
  "('created', 'user0')", "('ok', 10)", "('ok', 5)",
  NULL
};

/* The results in order, ignoring the node's lines, and the cast's line
 * twice. */
static void
assert_named_output (const char *out)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint next = 0, hellos = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_equal (lines[i], "Hello from define-cast"))
        hellos++;
      else if (named_expected[next] != NULL && g_str_equal (lines[i], named_expected[next]))
        next++;
      else if (lines[i][0] != '\0')
        g_error ("unexpected line “%s”", lines[i]);
    }
  g_assert_cmpuint (next, ==, g_strv_length ((char **) named_expected));
  g_assert_cmpuint (hellos, ==, 2);
}

/* A copy of the example with the test's cookie. */
static char *
named_keyfile (void)
{
  g_autofree char *contents = test_read_example ("named.ini");

  return test_write_keyfile ("named.ini", contents);
}

static void
test_example_run (void)
{
  g_autofree char *keyfile = named_keyfile ();
  g_autoptr(TestRun) run = test_run_dplaces ("run", keyfile, NULL);

  test_run_assert_status (run, 0);
  assert_named_output (run->out);
}

/* The example's bank (plugins/examples/named/bank.c) given amounts that
 * would take a balance past a gint64: an error, not a wrapped balance —
 * undefined behaviour, on which UBSan stopped the server in the RPC
 * fuzz harness. The balance stays as it was, and the bank answers on. */
static void
test_example_bank_overflow (void)
{
  g_autofree char *module = g_build_filename (test_getenv ("DP_EXAMPLE_GENERATED_DIR"), "bank.so", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = dp_dynamic_place (module, "make_bank", &error);
  DpChannel *bank = DP_CHANNEL (place);
  g_autoptr(GVariant) created = NULL, full = NULL, over = NULL, under = NULL, emptied = NULL;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  created = bank_new_account (bank, "rich", &error);
  g_assert_no_error (error);
  full = bank_add (bank, "rich", G_MAXINT64, &error);
  g_assert_no_error (error);
  text = g_variant_print (full, FALSE);
  g_assert_cmpstr (text, ==, "('ok', 9223372036854775807)");
  g_clear_pointer (&text, g_free);

  over = bank_add (bank, "rich", 1, &error);
  g_assert_null (over);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  test_note ("%s", error->message);
  g_clear_error (&error);
  under = bank_removeM (bank, "rich", -1, &error);
  g_assert_null (under);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  emptied = bank_removeM (bank, "rich", G_MAXINT64, &error);
  g_assert_no_error (error);
  text = g_variant_print (emptied, FALSE);
  g_assert_cmpstr (text, ==, "('ok', 0)");

  dp_channel_close (bank);
  g_assert_cmpint (dp_place_wait (place), ==, 0);
}

static void
test_example_program (void)
{
  /* It reads the default cookie. */
  const char *env[] = { "XDG_CONFIG_HOME", test_sandbox_config_home (), NULL };
  g_autoptr(TestRun) run = test_run_program ("DP_NAMED_PROGRAM", NULL, env, TEST_RUN_MS);

  test_run_assert_status (run, 0);
  assert_named_output (run->out);
}

static TestRun *
run_shared_server_keyfile (const char *third_client)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf ("[node n]\nhost=localhost\nlisten-port=0\n\n"
                          "[place counter]\nnode=n\nmodule=" TEST_MODULE "\nfunction=make_counter\n\n"
                          "[place c1]\nmodule=" TEST_MODULE "\nfunction=directory_client_place\n"
                          "initial-message=(1, 2000)\n\n"
                          "[place c2]\nmodule=" TEST_MODULE "\nfunction=directory_client_place\n"
                          "initial-message=(2, 2000)\n\n"
                          "[place c3]\nmodule=" TEST_MODULE "\nfunction=directory_client_place\n"
                          "initial-message=%s\n\n"
                          "[rpc]\nclients=c1;c2;c3\nservers=counter\nexit-with-clients=true\n",
                          third_client);
  return test_run_keyfile ("shared.ini", text);
}

static void
test_service_shared_server (void)
{
  g_autoptr(TestRun) run = NULL;

  run = run_shared_server_keyfile ("(3, 2000)");
  test_run_assert_status (run, 0);
  g_assert_nonnull (strstr (run->out, "client 1: 2000 right\n"));
  g_assert_nonnull (strstr (run->out, "client 2: 2000 right\n"));
  g_assert_nonnull (strstr (run->out, "client 3: 2000 right\n"));
  g_clear_pointer (&run, test_run_free);

  /* A client that fails: the others finish, the system ends with 1. */
  run = run_shared_server_keyfile ("(3, -1)");
  test_run_assert_status (run, 1);
  g_assert_nonnull (strstr (run->out, "client 1: 2000 right\n"));
  g_assert_nonnull (strstr (run->out, "client 2: 2000 right\n"));
}

static void
test_service_bad_keyfile (void)
{
  g_autofree char *keyfile = named_keyfile ();
  g_autofree char *contents = test_read_file (keyfile);
  g_autoptr(GString) text = g_string_new (contents);
  g_autoptr(TestRun) run = NULL;
  g_autoptr(GError) error = NULL;

  /* A client that is not a place of the keyfile, and an unknown key. */
  g_string_replace (text, "clients=master", "clients=master;nobody", 1);
  g_assert_true (g_file_set_contents (keyfile, text->str, -1, &error));
  run = test_run_dplaces ("run", keyfile, NULL);
  g_assert_true (run->exited);
  g_assert_cmpint (run->status, !=, 0);
  g_assert_nonnull (strstr (run->err, "[rpc]"));
  g_assert_nonnull (strstr (run->err, "no [place nobody]"));

  g_string_replace (text, "clients=master;nobody", "clients=master\nsevers=bank", 1);
  g_assert_true (g_file_set_contents (keyfile, text->str, -1, &error));
  g_clear_pointer (&run, test_run_free);
  run = test_run_dplaces ("run", keyfile, NULL);
  test_run_assert_status (run, 2);
  g_assert_nonnull (strstr (run->err, "[rpc] severs: unknown key"));
}

/* ── main ──────────────────────────────────────────────────────────── */

int
main (int    argc,
      char **argv)
{
  int status;

  /* What servers log to their parent: kept for the tests, not fatal. */
  test_log_capture (FALSE);
  g_test_init (&argc, &argv, NULL);
  tmp_dir = test_sandbox_init ("dplaces-rpc", TEST_COOKIE);

  g_test_add_func ("/rpc/local/stubs", test_local_stubs);
  g_test_add_func ("/rpc/local/runtime", test_local_runtime);
  g_test_add_func ("/rpc/local/two-threads", test_local_two_threads);
  g_test_add_func ("/rpc/error/unknown-method", test_unknown_method);
  g_test_add_func ("/rpc/error/invalid-args", test_invalid_args);
  g_test_add_func ("/rpc/error/invalid-reply", test_invalid_reply);
  g_test_add_func ("/rpc/error/handler-error", test_handler_error);
  g_test_add_func ("/rpc/error/timeout", test_timeout);
  g_test_add_func ("/rpc/error/server-died", test_server_died);
  g_test_add_func ("/rpc/error/node-killed", test_node_killed);
  g_test_add_func ("/rpc/error/named-server-ended", test_named_server_ended);
  g_test_add_func ("/rpc/error/server-crashed", test_server_crashed);
  g_test_add_func ("/rpc/named/many-clients", test_many_clients);
  g_test_add_func ("/rpc/log-to-parent", test_log_to_parent);
  g_test_add_func ("/rpc/codegen/reproducible", test_codegen_reproducible);
  g_test_add_func ("/rpc/codegen/invalid", test_codegen_invalid);
  g_test_add_func ("/rpc/example/run", test_example_run);
  g_test_add_func ("/rpc/example/program", test_example_program);
  g_test_add_func ("/rpc/example/bank-overflow", test_example_bank_overflow);
  g_test_add_func ("/rpc/service/shared-server", test_service_shared_server);
  g_test_add_func ("/rpc/service/bad-keyfile", test_service_bad_keyfile);

  status = g_test_run ();
  test_sandbox_finish ();
  return status;
}
