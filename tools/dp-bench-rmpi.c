/* dp-bench-rmpi.c: `dplaces bench rmpi` — RMPI collectives between rank
 * places on local nodes, against raw loopback TCP
 *
 * The ranks run dp_rmpi_bench_rank from the dplaces-rmpi-bench module, one
 * place per node (--per-node to pack more), started by a controller place
 * of this process (dp_rmpi_bench_controller, which links libdplaces-rmpi:
 * this program does not). Each batch times, on every rank, a loop of
 *
 *   allreduce   the sum of one double
 *   barrier     dp_rmpi_barrier
 *   bcast       1 MiB (`ay`) from rank 0, then a barrier; the barrier's
 *               own time, measured right after, is subtracted
 *
 * and keeps the slowest rank's time per operation. The physical reference
 * is measured in the same run, in alternating batches: raw loopback TCP
 * between two processes (TCP_NODELAY), a small round trip and a one-way
 * 1 MiB transfer. An allreduce of p ranks cannot beat ⌈log2 p⌉ one-way
 * trips, nor a broadcast ⌈log2 p⌉ 1 MiB transfers one after the other
 * (a pipeline: about one).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>
#include <errno.h>

#include "dp-bench-private.h"

#define RMPI_BENCH_MODULE "dplaces-rmpi-bench"
#define ALLREDUCE_ROUNDS 2000
#define BCAST_ROUNDS 100
#define RAW_SMALL 32          /* bytes each way: about an allreduce message's frame */
#define RAW_MIBS 16

/* ── RMPI, through the controller place ────────────────────────────── */

static gboolean
rmpi_run (DpPlace     *controller,
          const char  *what,
          guint        iterations,
          guint        size,
          double      *out_a,
          double      *out_b,
          GError     **error)
{
  g_autoptr(GVariant) reply = NULL;
  const char *tag;

  reply = dp_channel_put_get (DP_CHANNEL (controller),
                              g_variant_new ("(ssuu)", "run", what, iterations, size), error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(&sdd)", &tag, out_a, out_b);
  if (!g_str_equal (tag, "result"))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "%s: %s", what, tag);
      return FALSE;
    }
  return TRUE;
}

int
dp_bench_rmpi (int    argc,
               char **argv)
{
  gboolean json = FALSE;
  gint ranks = 4, per_node = 1;
  const GOptionEntry entries[] = {
    { "ranks", 'n', 0, G_OPTION_ARG_INT, &ranks, "Number of ranks (4)", "N" },
    { "per-node", 0, 0, G_OPTION_ARG_INT, &per_node, "Ranks per node (1: a node per rank)", "K" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— RMPI collectives between rank places on local nodes");
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) controller = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *problem;
  DpBenchRawPeer raw;
  double allreduce[BATCHES], barrier[BATCHES], bcast[BATCHES], bcast_barrier[BATCHES];
  double raw_rtt[BATCHES], raw_mib[BATCHES];
  double allreduce_us, barrier_us, bcast_ms, bcast_barrier_ms, raw_rtt_us, raw_mib_ms;
  guint nodes, steps = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench rmpi: %s\n", error->message);
      return 2;
    }
  if (ranks < 1 || ranks > 256 || per_node < 1)
    {
      g_printerr ("dplaces bench rmpi: --ranks is 1 to 256, --per-node at least 1\n");
      return 2;
    }
  nodes = (ranks + per_node - 1) / per_node;
  while ((1u << steps) < (guint) ranks)
    steps++;

  /* The raw peer first: fork before any thread starts. */
  if (!dp_bench_raw_peer_start (&raw, RAW_SMALL))
    {
      g_printerr ("dplaces bench rmpi: cannot set up raw TCP: %s\n", g_strerror (errno));
      return 1;
    }

  controller = dp_dynamic_place (RMPI_BENCH_MODULE, "dp_rmpi_bench_controller", &error);
  if (controller != NULL)
    reply = dp_channel_put_get (DP_CHANNEL (controller),
                                g_variant_new ("(suu)", "start", (guint32) ranks, (guint32) per_node),
                                &error);
  if (reply == NULL)
    {
      g_printerr ("dplaces bench rmpi: %s\n", error->message);
      dp_bench_raw_peer_stop (&raw);
      return 1;
    }
  g_variant_get (reply, "(&s&s)", NULL, &problem);
  if (problem[0] != '\0')
    {
      g_printerr ("dplaces bench rmpi: %s\n", problem);
      dp_bench_raw_peer_stop (&raw);
      return 1;
    }

  /* Batches alternate between the reference and us; the first warms up. */
  for (guint b = 0; b <= BATCHES; b++)
    {
      double r_rtt = dp_bench_raw_round_trips (&raw, SMALL_ROUNDS);
      double r_mib = dp_bench_raw_mib_transfer (&raw, RAW_MIBS) / 1000.0;
      double a, unused, bc, bb, br;

      if (!rmpi_run (controller, "allreduce", ALLREDUCE_ROUNDS, 0, &a, &unused, &error) ||
          !rmpi_run (controller, "barrier", ALLREDUCE_ROUNDS, 0, &br, &unused, &error) ||
          !rmpi_run (controller, "bcast", BCAST_ROUNDS, MIB, &bc, &bb, &error))
        {
          g_printerr ("dplaces bench rmpi: %s\n", error->message);
          dp_bench_raw_peer_stop (&raw);
          return 1;
        }
      if (b == 0)
        continue;
      raw_rtt[b - 1] = r_rtt;
      raw_mib[b - 1] = r_mib;
      allreduce[b - 1] = a;
      barrier[b - 1] = br;
      bcast[b - 1] = (bc - bb) / 1000.0;
      bcast_barrier[b - 1] = bc / 1000.0;
    }
  dp_bench_raw_peer_stop (&raw);

  g_clear_pointer (&reply, g_variant_unref);
  reply = dp_channel_put_get (DP_CHANNEL (controller), g_variant_new ("(s)", "stop"), &error);
  if (reply != NULL)
    {
      g_variant_get (reply, "(&s&s)", NULL, &problem);
      if (problem[0] != '\0')
        g_printerr ("dplaces bench rmpi: stopping: %s\n", problem);
    }
  dp_place_wait (controller);

  allreduce_us = dp_bench_median (allreduce, BATCHES);
  barrier_us = dp_bench_median (barrier, BATCHES);
  bcast_ms = dp_bench_median (bcast, BATCHES);
  bcast_barrier_ms = dp_bench_median (bcast_barrier, BATCHES);
  raw_rtt_us = dp_bench_median (raw_rtt, BATCHES);
  raw_mib_ms = dp_bench_median (raw_mib, BATCHES);

  printf ("rmpi, %d ranks on %u local nodes (%u cores):\n", ranks, nodes, dp_processor_count ());
  printf ("  allreduce (sum of one double)  %7.2f µs\n", allreduce_us);
  printf ("  barrier                        %7.2f µs\n", barrier_us);
  printf ("  broadcast 1 MiB                %7.3f ms  (%.3f ms with the barrier after it)\n",
          bcast_ms, bcast_barrier_ms);
  printf ("raw loopback TCP, two processes: round trip %.2f µs, 1 MiB one way %.3f ms\n",
          raw_rtt_us, raw_mib_ms);
  printf ("ratios: allreduce / (%u one-way trips) %.2f, broadcast / (1 MiB one way) %.2f\n",
          steps, steps > 0 ? allreduce_us / (steps * raw_rtt_us / 2) : 0.0, bcast_ms / raw_mib_ms);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "rmpi");
  json_builder_set_member_name (builder, "ranks");
  json_builder_add_int_value (builder, ranks);
  json_builder_set_member_name (builder, "nodes");
  json_builder_add_int_value (builder, nodes);
  dp_bench_add_double (builder, "allreduce_us", allreduce_us);
  dp_bench_add_double (builder, "barrier_us", barrier_us);
  dp_bench_add_double (builder, "bcast_mib_ms", bcast_ms);
  dp_bench_add_double (builder, "bcast_mib_barrier_ms", bcast_barrier_ms);
  dp_bench_add_double (builder, "raw_rtt_us", raw_rtt_us);
  dp_bench_add_double (builder, "raw_mib_ms", raw_mib_ms);
  json_builder_end_object (builder);
  if (json)
    dp_bench_print_json (builder);
  return 0;
}
