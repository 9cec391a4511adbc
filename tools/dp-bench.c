/* dp-bench.c: `dplaces bench SCENARIO` — speed, measured against the
 * physical reference in the same run
 *
 * Every scenario times its own work and, in the same run, the floor it
 * cannot beat (a plain thread wake-up, raw TCP, serial code), and prints
 * both, so the ratio holds on a noisy machine. The last line of output is
 * one JSON object. Each scenario lives in a dp-bench-NAME.c of its own;
 * this file holds what they share and picks one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "dp-bench.h"
#include "dp-bench-private.h"

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double
dp_bench_median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return values[n / 2];
}

/* Median over batches of the mean round trip of @message, in µs. */
double
dp_bench_time_round_trips (DpChannel  *channel,
                  GVariant   *message,
                  guint       rounds,
                  GError    **error)
{
  double batches[BATCHES];

  /* Warm up: first touches, page faults, the direct reader settling. */
  for (guint i = 0; i < rounds / 4 + 1; i++)
    {
      g_autoptr(GVariant) reply = dp_channel_put_get (channel, message, error);
      if (reply == NULL)
        return -1;
    }

  for (guint b = 0; b < BATCHES; b++)
    {
      batches[b] = dp_bench_round_trip_batch (channel, message, rounds, error);
      if (batches[b] < 0)
        return -1;
    }

  return dp_bench_median (batches, BATCHES);
}

/* One batch of @rounds round trips of @message, in µs per round trip;
 * -1 with @error set if one failed. */
double
dp_bench_round_trip_batch (DpChannel  *channel,
                           GVariant   *message,
                           guint       rounds,
                           GError    **error)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr(GVariant) reply = dp_channel_put_get (channel, message, error);
      if (reply == NULL)
        return -1;
    }
  return (double) (g_get_monotonic_time () - start) / rounds;
}

GVariant *
dp_bench_small_message (void)
{
  return g_variant_ref_sink (g_variant_new ("(sx)", "ping", (gint64) 42));
}

GVariant *
dp_bench_mib_message (void)
{
  guint8 *bytes = g_malloc (MIB);

  for (guint i = 0; i < MIB; i++)
    bytes[i] = i * 7;
  return g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, bytes, MIB,
                                                      TRUE, g_free, bytes));
}

void
dp_bench_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

void
dp_bench_add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

/* splitmix64: the same stream everywhere. */
guint64
dp_bench_next_random (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}


static const struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} scenarios[] = {
  { "channel", dp_bench_channel, "round trips between two places on one node [--backend threads|processes]" },
  { "tcp", dp_bench_tcp, "round trips and bulk transfer between places on two nodes, and raw TCP" },
  { "spawn", dp_bench_spawn, "from a spawn request to the first reply of a place on a new local node" },
  { "rpc", dp_bench_rpc, "calls to a named RPC server from 1 and 8 clients on another node [--calls N]" },
  { "wordcount", dp_bench_wordcount, "the seeds' word count with map-reduce on two workers, and sort | uniq -c" },
  { "rmpi", dp_bench_rmpi, "RMPI allreduce, barrier and 1 MiB broadcast between rank places on local nodes [--ranks N]" },
  { "qsort", dp_bench_qsort, "the NDP quicksort of 10 000 000 int64 on N workers, and serial qsort() [--workers N]" },
  { "restart", dp_bench_restart, "from a SIGKILL to a supervised place answering its name again, and a fresh process [--backend threads|processes] [--kills N]" },
  { "soak", dp_bench_soak, "messages among 8 nodes while their places are killed at random: lost, RSS [--minutes N]" },
};

int
dp_bench_command (int    argc,
                  char **argv)
{
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      printf ("Usage: dplaces bench SCENARIO [OPTIONS] [--json]\n\nScenarios:\n");
      for (guint i = 0; i < G_N_ELEMENTS (scenarios); i++)
        printf ("  %-12s %s\n", scenarios[i].name, scenarios[i].summary);
      return argc < 2 ? 2 : 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (scenarios); i++)
    if (g_str_equal (argv[1], scenarios[i].name))
      {
        argv[1] = g_strdup_printf ("dplaces bench %s", scenarios[i].name);
        return scenarios[i].run (argc - 1, argv + 1);
      }

  g_printerr ("dplaces bench: unknown scenario “%s”\n", argv[1]);
  return 2;
}
