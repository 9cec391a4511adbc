/* dp-bench.c: `dplaces bench SCENARIO` — speed, measured against the
 * physical reference in the same run
 *
 * Every scenario times its own work and, in the same run, the floor it
 * cannot beat (a plain thread wake-up, raw TCP, serial code), and prints
 * both, so the ratio holds on a noisy machine. The last line of output is
 * one JSON object.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <json-glib/json-glib.h>

#include "dp-bench.h"

#define SMALL_ROUNDS 4000
#define MIB_ROUNDS 200
#define BATCHES 7

/* The echo place: sends back what it gets, until its channel closes. */
void
dp_bench_echo (DpChannel *channel)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (channel, NULL);

      if (message == NULL || !dp_channel_put (channel, message, NULL))
        return;
    }
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return values[n / 2];
}

/* Median over batches of the mean round trip of @message, in µs. */
static double
time_round_trips (DpChannel  *channel,
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
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < rounds; i++)
        {
          g_autoptr(GVariant) reply = dp_channel_put_get (channel, message, error);
          if (reply == NULL)
            return -1;
        }
      batches[b] = (double) (g_get_monotonic_time () - start) / rounds;
    }

  return median (batches, BATCHES);
}

/* The floor: two threads handing a pointer back and forth over
 * GAsyncQueues, the least a cross-thread round trip costs. */
typedef struct {
  GAsyncQueue *to_echo;
  GAsyncQueue *to_main;
} Floor;

static gpointer
floor_echo (gpointer data)
{
  Floor *floor = data;

  for (;;)
    {
      gpointer item = g_async_queue_pop (floor->to_echo);
      if (item == floor)
        return NULL;
      g_async_queue_push (floor->to_main, item);
    }
}

static double
time_floor (GVariant *message,
            guint     rounds)
{
  Floor floor = { g_async_queue_new (), g_async_queue_new () };
  GThread *thread = g_thread_new ("bench-floor", floor_echo, &floor);
  double batches[BATCHES];

  for (guint i = 0; i < rounds / 4 + 1; i++)
    {
      g_async_queue_push (floor.to_echo, message);
      g_async_queue_pop (floor.to_main);
    }
  for (guint b = 0; b < BATCHES; b++)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < rounds; i++)
        {
          g_async_queue_push (floor.to_echo, message);
          g_async_queue_pop (floor.to_main);
        }
      batches[b] = (double) (g_get_monotonic_time () - start) / rounds;
    }

  g_async_queue_push (floor.to_echo, &floor);
  g_thread_join (thread);
  g_async_queue_unref (floor.to_echo);
  g_async_queue_unref (floor.to_main);

  return median (batches, BATCHES);
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

static int
bench_channel (int    argc,
               char **argv)
{
  g_autofree char *backend = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend, "Place backend: threads (default) or processes", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— round trips between two places on one node");
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(GVariant) small = NULL;
  g_autoptr(GVariant) mib = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree guint8 *bytes = NULL;
  g_autofree char *self_path = NULL;
  double small_rtt, mib_rtt, floor_rtt;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench channel: %s\n", error->message);
      return 2;
    }
  if (backend == NULL)
    backend = g_strdup ("threads");

  /* The echo place lives in this very binary. */
  self_path = g_file_read_link ("/proc/self/exe", NULL);
  place = g_object_new (DP_TYPE_PLACE, "module", self_path, "function", "dp_bench_echo",
                        "name", "echo", "backend", backend, NULL);
  if (!dp_place_start (place, &error))
    {
      g_printerr ("dplaces bench channel: %s\n", error->message);
      return 1;
    }

  small = g_variant_ref_sink (g_variant_new ("(sx)", "ping", (gint64) 42));
  bytes = g_malloc (1024 * 1024);
  for (guint i = 0; i < 1024 * 1024; i++)
    bytes[i] = i * 7;
  mib = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, bytes, 1024 * 1024, 1));

  floor_rtt = time_floor (small, SMALL_ROUNDS);
  small_rtt = time_round_trips (DP_CHANNEL (place), small, SMALL_ROUNDS, &error);
  mib_rtt = small_rtt < 0 ? -1 : time_round_trips (DP_CHANNEL (place), mib, MIB_ROUNDS, &error);
  if (mib_rtt < 0)
    {
      g_printerr ("dplaces bench channel: %s\n", error->message);
      return 1;
    }

  dp_channel_close (DP_CHANNEL (place));
  dp_place_wait (place);

  printf ("backend %s: small message round trip %.2f µs, 1 MiB round trip %.2f µs\n",
          backend, small_rtt, mib_rtt);
  printf ("floor (two threads, GAsyncQueue): %.2f µs — ratio %.2f\n", floor_rtt, small_rtt / floor_rtt);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "channel");
  json_builder_set_member_name (builder, "backend");
  json_builder_add_string_value (builder, backend);
  json_builder_set_member_name (builder, "small_rtt_us");
  json_builder_add_double_value (builder, small_rtt);
  json_builder_set_member_name (builder, "mib_rtt_us");
  json_builder_add_double_value (builder, mib_rtt);
  json_builder_set_member_name (builder, "floor_small_rtt_us");
  json_builder_add_double_value (builder, floor_rtt);
  json_builder_end_object (builder);
  if (json)
    print_json (builder);

  return 0;
}

static const struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} scenarios[] = {
  { "channel", bench_channel, "round trips between two places on one node [--backend threads|processes]" },
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
