/* dp-bench-tcp.c: `dplaces bench tcp` — places on two nodes against raw loopback TCP
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "dp-bench-private.h"

/* One batch of 1 MiB messages streamed to a sink place, in MiB/s. */
static double
bulk_batch (DpChannel  *sink,
            GVariant   *mib,
            GError    **error)
{
  g_autoptr(GVariant) reply = NULL;
  gint64 start = g_get_monotonic_time ();

  if (!dp_channel_put (sink, g_variant_new_int64 (BULK_MESSAGES), error))
    return -1;
  for (guint i = 0; i < BULK_MESSAGES; i++)
    if (!dp_channel_put (sink, mib, error))
      return -1;
  reply = dp_channel_get (sink, error);
  if (reply == NULL)
    return -1;
  return BULK_MESSAGES / ((double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
}

static gsize
frame_size (GVariant *message)
{
  /* Header, type string padded to 8, data: what our frame carries. */
  return 16 + ((strlen (g_variant_get_type_string (message)) + 7) & ~7) + g_variant_get_size (message);
}

int
dp_bench_tcp (int    argc,
           char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— round trips and bulk between places on two nodes");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) small = dp_bench_small_message ();
  g_autoptr(GVariant) mib = NULL;
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) echo = NULL;
  g_autoptr(DpRemoteConnection) sink = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  DpNodeOptions options;
  DpBenchRawPeer raw;
  double small_batches[BATCHES], bulk_batches[BATCHES];
  double raw_small_batches[BATCHES], raw_bulk_batches[BATCHES];
  double small_rtt, bulk, raw_small, raw_bulk;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench tcp: %s\n", error->message);
      return 2;
    }

  /* The raw peer first: fork before any thread starts. */
  if (!dp_bench_raw_peer_start (&raw, frame_size (small)))
    {
      g_printerr ("dplaces bench tcp: cannot set up raw TCP: %s\n", g_strerror (errno));
      return 1;
    }

  dp_node_options_init (&options);
  options.listen_port = 0;
  options.launcher = "local";
  node = dp_spawn_remote_node ("127.0.0.1", &options, &error);
  if (node != NULL)
    echo = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, BENCH_MODULE,
                                        "dp_bench_echo", NULL, NULL, &error);
  if (echo != NULL)
    sink = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, BENCH_MODULE,
                                        "dp_bench_sink", NULL, NULL, &error);
  if (sink == NULL)
    {
      g_printerr ("dplaces bench tcp: %s\n", error->message);
      dp_bench_raw_peer_stop (&raw);
      return 1;
    }
  mib = dp_bench_mib_message ();

  /* Batches alternate between the raw reference and us, so both see the
   * same machine; the first pair warms up. */
  for (guint b = 0; b <= BATCHES; b++)
    {
      double r_small = dp_bench_raw_round_trips (&raw, SMALL_ROUNDS);
      double o_small = dp_bench_round_trip_batch (DP_CHANNEL (echo), small, SMALL_ROUNDS, &error);
      double r_bulk = G_USEC_PER_SEC / dp_bench_raw_mib_transfer (&raw, BULK_MESSAGES);
      double o_bulk = o_small < 0 ? -1 : bulk_batch (DP_CHANNEL (sink), mib, &error);

      if (o_bulk < 0)
        {
          g_printerr ("dplaces bench tcp: %s\n", error->message);
          dp_bench_raw_peer_stop (&raw);
          return 1;
        }
      if (b == 0)
        continue;
      raw_small_batches[b - 1] = r_small;
      small_batches[b - 1] = o_small;
      raw_bulk_batches[b - 1] = r_bulk;
      bulk_batches[b - 1] = o_bulk;
    }
  dp_bench_raw_peer_stop (&raw);
  dp_remote_node_send_exit (node);

  small_rtt = dp_bench_median (small_batches, BATCHES);
  bulk = dp_bench_median (bulk_batches, BATCHES);
  raw_small = dp_bench_median (raw_small_batches, BATCHES);
  raw_bulk = dp_bench_median (raw_bulk_batches, BATCHES);

  printf ("places on two nodes: small round trip %.2f µs, 1 MiB messages %.0f MiB/s\n", small_rtt, bulk);
  printf ("raw loopback TCP:    small round trip %.2f µs, 1 MiB writes   %.0f MiB/s\n", raw_small, raw_bulk);
  printf ("ratios: round trip %.2f, bulk %.2f\n", small_rtt / raw_small, bulk / raw_bulk);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "tcp");
  dp_bench_add_double (builder, "small_rtt_us", small_rtt);
  dp_bench_add_double (builder, "bulk_mib_s", bulk);
  dp_bench_add_double (builder, "raw_small_rtt_us", raw_small);
  dp_bench_add_double (builder, "raw_bulk_mib_s", raw_bulk);
  json_builder_end_object (builder);
  if (json)
    dp_bench_print_json (builder);
  return 0;
}

