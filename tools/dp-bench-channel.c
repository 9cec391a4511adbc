/* dp-bench-channel.c: `dplaces bench channel` — round trips between two places on one node,
 * against two threads handing a pointer back and forth
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>

#include "dp-bench-private.h"

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

  return dp_bench_median (batches, BATCHES);
}

int
dp_bench_channel (int    argc,
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
  double small_rtt, mib_rtt, floor_rtt;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench channel: %s\n", error->message);
      return 2;
    }
  if (backend == NULL)
    backend = g_strdup ("threads");

  place = g_object_new (DP_TYPE_PLACE, "module", BENCH_MODULE, "function", "dp_bench_echo",
                        "name", "echo", "backend", backend, NULL);
  if (!dp_place_start (place, &error))
    {
      g_printerr ("dplaces bench channel: %s\n", error->message);
      return 1;
    }

  small = dp_bench_small_message ();
  mib = dp_bench_mib_message ();

  floor_rtt = time_floor (small, SMALL_ROUNDS);
  small_rtt = dp_bench_time_round_trips (DP_CHANNEL (place), small, SMALL_ROUNDS, &error);
  mib_rtt = small_rtt < 0 ? -1 : dp_bench_time_round_trips (DP_CHANNEL (place), mib, MIB_ROUNDS, &error);
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
    dp_bench_print_json (builder);

  return 0;
}

