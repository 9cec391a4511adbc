/* dp-bench-rpc.c: `dplaces bench rpc` — calls to a named RPC server from
 * clients on another node
 *
 * Node A runs the server (dp_rpc_bench_server: add (x) → x, written
 * without the code generator), node B the clients (dp_rpc_bench_client),
 * each with its own connection to the server by address. A run: every
 * client connects and warms up, then all start at once and make their
 * calls, timing each. Two runs: one client, then --clients at once.
 * Reported: calls per second (all the clients' calls over the wall-clock
 * time from "go" to the last report) and the median and 99th percentile
 * of a call's latency. At the end the server's total is checked against
 * the calls made: none lost, none run twice.
 *
 * The places live in dplaces-rpc-bench.so (plugins/rpc), found in the
 * plugin directories on both nodes; this program needs only libdplaces,
 * and asks the server for its total in the RPC wire format directly.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "dp-bench-private.h"

#define RPC_BENCH_MODULE "dplaces-rpc-bench"
#define RPC_BENCH_SERVER "rpc-bench"
#define RPC_BENCH_WAIT_USEC (60 * G_USEC_PER_SEC)
#define RPC_BENCH_WARMUP 200

typedef struct {
  double calls_per_s;
  double p50_us;
  double p99_us;
} RunResult;

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static DpRemoteNode *
spawn_local_node (GError **error)
{
  DpNodeOptions options;

  dp_node_options_init (&options);
  options.listen_port = 0;
  options.launcher = "local";
  return dp_spawn_remote_node ("localhost", &options, error);
}

/* @n clients on @client_node, @calls calls each, at once. */
static gboolean
run_clients (DpRemoteNode  *client_node,
             DpRemoteNode  *server_node,
             guint          n,
             guint          calls,
             RunResult     *result,
             GError       **error)
{
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 start;
  double seconds;

  for (guint i = 0; i < n; i++)
    {
      DpRemoteConnection *client = dp_remote_node_launch_place (client_node, DP_PLACE_EXEC_DYNAMIC_PLACE,
                                                                RPC_BENCH_MODULE, "dp_rpc_bench_client",
                                                                NULL, NULL, error);
      if (client == NULL)
        return FALSE;
      g_ptr_array_add (clients, client);
      if (!dp_channel_put (DP_CHANNEL (client),
                           g_variant_new ("(sqsuu)", dp_remote_node_get_host (server_node),
                                          (guint16) dp_remote_node_get_listen_port (server_node),
                                          RPC_BENCH_SERVER, (guint32) calls, (guint32) RPC_BENCH_WARMUP),
                           error))
        return FALSE;
    }

  /* Everyone connected and warm. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GVariant) ready = dp_channel_get_timeout (g_ptr_array_index (clients, i),
                                                          RPC_BENCH_WAIT_USEC, error);
      const char *word;

      if (ready == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, DP_ERROR, DP_ERROR_TIMED_OUT, "client %u did not get ready", i);
          return FALSE;
        }
      g_variant_get (ready, "(&s@(xax))", &word, NULL);
      if (!g_str_equal (word, "ready"))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "client %u: %s", i, word);
          return FALSE;
        }
    }

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    if (!dp_channel_put (g_ptr_array_index (clients, i), g_variant_new_string ("go"), error))
      return FALSE;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GVariant) report = dp_channel_get_timeout (g_ptr_array_index (clients, i),
                                                           RPC_BENCH_WAIT_USEC, error);
      g_autoptr(GVariant) times = NULL;
      const char *problem;
      gsize n_times;
      const gint64 *values;

      if (report == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, DP_ERROR, DP_ERROR_TIMED_OUT, "client %u did not report", i);
          return FALSE;
        }
      g_variant_get (report, "(&s(x@ax))", &problem, NULL, &times);
      if (problem[0] != '\0')
        {
          g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "client %u: %s", i, problem);
          return FALSE;
        }
      values = g_variant_get_fixed_array (times, &n_times, sizeof (gint64));
      g_array_append_vals (latencies, values, n_times);
    }
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  for (guint i = 0; i < n; i++)
    dp_remote_connection_wait (g_ptr_array_index (clients, i));

  g_array_sort (latencies, compare_gint64);
  result->calls_per_s = (double) n * calls / seconds;
  result->p50_us = g_array_index (latencies, gint64, latencies->len / 2) / 1000.0;
  result->p99_us = g_array_index (latencies, gint64, MIN (latencies->len - 1, latencies->len * 99 / 100)) / 1000.0;
  return TRUE;
}

/* The server's total, asked in the RPC wire format: (method, serial,
 * arguments) → (serial, ok, value). */
static gboolean
server_total (DpRemoteConnection  *server,
              gint64              *out_total,
              GError             **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) inner = NULL;
  guint32 serial;
  gboolean ok;

  if (!dp_channel_put (DP_CHANNEL (server), g_variant_new_parsed ("('get', uint32 1, ())"), error))
    return FALSE;
  reply = dp_channel_get_timeout (DP_CHANNEL (server), RPC_BENCH_WAIT_USEC, error);
  if (reply == NULL || !g_variant_is_of_type (reply, G_VARIANT_TYPE ("(ubv)")))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, DP_ERROR, DP_ERROR_FAILED, "the server did not tell its total");
      return FALSE;
    }
  g_variant_get (reply, "(ub@v)", &serial, &ok, &value);
  if (ok)
    inner = g_variant_get_variant (value);
  if (inner == NULL || !g_variant_is_of_type (inner, G_VARIANT_TYPE_INT64))
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_FAILED, "the server did not tell its total");
      return FALSE;
    }
  *out_total = g_variant_get_int64 (inner);
  return TRUE;
}

int
dp_bench_rpc (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  gint calls = 10000;
  gint n_clients = 8;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { "calls", 0, 0, G_OPTION_ARG_INT, &calls, "Calls per client (10000)", "N" },
    { "clients", 0, 0, G_OPTION_ARG_INT, &n_clients, "Clients of the concurrent run (8)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— calls to a named RPC server from clients on another node");
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRemoteNode) server_node = NULL;
  g_autoptr(DpRemoteNode) client_node = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  RunResult one = { 0 }, many = { 0 };
  gint64 total = 0, expected;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench rpc: %s\n", error->message);
      return 2;
    }
  if (calls < 1 || n_clients < 1)
    {
      g_printerr ("dplaces bench rpc: --calls and --clients must be at least 1\n");
      return 2;
    }

  server_node = spawn_local_node (&error);
  if (server_node != NULL)
    server = dp_remote_node_launch_place (server_node, DP_PLACE_EXEC_DYNAMIC_PLACE, RPC_BENCH_MODULE,
                                          "dp_rpc_bench_server", RPC_BENCH_SERVER, NULL, &error);
  /* A round trip: the server runs under its name before clients on the
   * other node, whose requests reach it another way, look for it. */
  if (server != NULL && server_total (server, &total, &error))
    client_node = spawn_local_node (&error);
  if (client_node == NULL ||
      !run_clients (client_node, server_node, 1, calls, &one, &error) ||
      !run_clients (client_node, server_node, n_clients, calls, &many, &error) ||
      !server_total (server, &total, &error))
    {
      g_printerr ("dplaces bench rpc: %s\n", error->message);
      return 1;
    }
  dp_remote_node_send_exit (client_node);
  dp_remote_node_send_exit (server_node);

  expected = (gint64) (1 + n_clients) * (calls + RPC_BENCH_WARMUP);
  if (total != expected)
    {
      g_printerr ("dplaces bench rpc: the server counted %" G_GINT64_FORMAT " calls, not %" G_GINT64_FORMAT "\n",
                  total, expected);
      return 1;
    }

  printf ("RPC calls to a named server from clients on another node (%d calls each):\n", calls);
  printf ("  %2d client:  %8.0f calls/s, latency p50 %.1f µs, p99 %.1f µs\n", 1, one.calls_per_s,
          one.p50_us, one.p99_us);
  printf ("  %2d clients: %8.0f calls/s, latency p50 %.1f µs, p99 %.1f µs\n", n_clients,
          many.calls_per_s, many.p50_us, many.p99_us);
  printf ("  the server counted all %" G_GINT64_FORMAT " calls\n", total);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "rpc");
  dp_bench_add_double (builder, "calls_per_s_1", one.calls_per_s);
  dp_bench_add_double (builder, "calls_per_s_8", many.calls_per_s);
  dp_bench_add_double (builder, "p50_us", one.p50_us);
  dp_bench_add_double (builder, "p99_us", one.p99_us);
  dp_bench_add_double (builder, "p50_us_8", many.p50_us);
  dp_bench_add_double (builder, "p99_us_8", many.p99_us);
  json_builder_set_member_name (builder, "clients");
  json_builder_add_int_value (builder, n_clients);
  json_builder_set_member_name (builder, "calls_per_client");
  json_builder_add_int_value (builder, calls);
  json_builder_end_object (builder);
  if (json)
    dp_bench_print_json (builder);
  return 0;
}
