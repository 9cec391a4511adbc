/* dp-rpc-bench.c: the places of `dplaces bench rpc` (dplaces-rpc-bench.so)
 *
 *   dp_rpc_bench_server   a named RPC server written without the code
 *                         generator (GVariant in, GVariant out): add (x) → x
 *                         adds to a total and answers it, get () → x the
 *                         total, echo (v) → v
 *   dp_rpc_bench_client   a client on another node: connects to the server
 *                         by address, warms up, says ready, waits for go,
 *                         makes its calls timing each, reports
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <time.h>

#include <dplaces/dp-rpc.h>

G_MODULE_EXPORT void dp_rpc_bench_server (DpChannel *ch);
G_MODULE_EXPORT void dp_rpc_bench_client (DpChannel *ch);

/* Long enough for a loaded machine, short enough to fail rather than hang. */
#define BENCH_WAIT_USEC (60 * G_USEC_PER_SEC)

/* ── the server ────────────────────────────────────────────────────── */

static GVariant *
bench_add (DpRpcServer  *server,
           GVariant     *args,
           gpointer      user_data,
           GError      **error)
{
  gint64 *total = dp_rpc_server_get_state (server);
  gint64 n;

  g_variant_get (args, "(x)", &n);
  *total += n;
  return g_variant_new_int64 (*total);
}

static GVariant *
bench_get (DpRpcServer  *server,
           GVariant     *args,
           gpointer      user_data,
           GError      **error)
{
  return g_variant_new_int64 (*(gint64 *) dp_rpc_server_get_state (server));
}

static GVariant *
bench_echo (DpRpcServer  *server,
            GVariant     *args,
            gpointer      user_data,
            GError      **error)
{
  return g_variant_get_child_value (args, 0);
}

G_MODULE_EXPORT void
dp_rpc_bench_server (DpChannel *ch)
{
  g_autoptr(DpRpcServer) server = dp_rpc_server_new ("rpc-bench");

  dp_rpc_server_set_state (server, g_new0 (gint64, 1), g_free);
  dp_rpc_server_add_rpc (server, "add", "(x)", "x", bench_add, NULL, NULL);
  dp_rpc_server_add_rpc (server, "get", "()", "x", bench_get, NULL, NULL);
  dp_rpc_server_add_rpc (server, "echo", "(v)", "v", bench_echo, NULL, NULL);
  dp_rpc_server_run (server, ch);
}

/* ── a client ──────────────────────────────────────────────────────── */

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
report_failure (DpChannel  *ch,
                const char *what,
                GError     *error)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", what, error != NULL ? error->message : "failed");

  dp_channel_put (ch, g_variant_new ("(s@(xax))", text, g_variant_new_parsed ("(int64 0, @ax [])")),
                  NULL);
}

/* Its creator sends (host, port, name, calls, warm-up calls); the client answers
 * ('ready', ...) once connected and warm, waits for 'go', then answers
 * ('', (elapsed ns, latencies ns)) or (problem, (0, [])). */
G_MODULE_EXPORT void
dp_rpc_bench_client (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get_timeout (ch, BENCH_WAIT_USEC, &error);
  g_autoptr(GVariant) go = NULL;
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autofree gint64 *latencies = NULL;
  GVariantBuilder builder;
  const char *host, *name;
  guint16 port;
  guint32 calls, warmup;
  gint64 start;

  if (config == NULL || !g_variant_is_of_type (config, G_VARIANT_TYPE ("(sqsuu)")))
    {
      report_failure (ch, "configuration", error);
      return;
    }
  g_variant_get (config, "(&sq&suu)", &host, &port, &name, &calls, &warmup);

  server = dp_connect_to_named_place_at (host, port, name, &error);
  if (server == NULL)
    {
      report_failure (ch, "connecting", error);
      return;
    }

  for (guint32 i = 0; i < warmup; i++)
    {
      g_autoptr(GVariant) result = dp_rpc_call (DP_CHANNEL (server), "add", g_variant_new ("(x)", (gint64) 1),
                                                G_VARIANT_TYPE_INT64, &error);
      if (result == NULL)
        {
          report_failure (ch, "warming up", error);
          return;
        }
    }

  dp_channel_put (ch, g_variant_new ("(s@(xax))", "ready", g_variant_new_parsed ("(int64 0, @ax [])")), NULL);
  go = dp_channel_get_timeout (ch, BENCH_WAIT_USEC, &error);
  if (go == NULL)
    return;

  latencies = g_new (gint64, calls);
  start = now_ns ();
  for (guint32 i = 0; i < calls; i++)
    {
      gint64 before = now_ns ();
      g_autoptr(GVariant) result = dp_rpc_call (DP_CHANNEL (server), "add", g_variant_new ("(x)", (gint64) 1),
                                                G_VARIANT_TYPE_INT64, &error);

      if (result == NULL)
        {
          report_failure (ch, "calling", error);
          return;
        }
      latencies[i] = now_ns () - before;
    }

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ax"));
  for (guint32 i = 0; i < calls; i++)
    g_variant_builder_add (&builder, "x", latencies[i]);
  dp_channel_put (ch, g_variant_new ("(s(xax))", "", now_ns () - start, &builder), NULL);
}
