/* dp-bench-spawn.c: `dplaces bench spawn` — from a spawn request to the first reply
 * of a place on a new local node
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>

#include "dp-bench-private.h"

int
dp_bench_spawn (int    argc,
             char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— from a spawn request to the first reply of a place on a new local node");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  double runs[5];

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench spawn: %s\n", error->message);
      return 2;
    }

  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autoptr(DpRemoteNode) node = NULL;
      g_autoptr(DpRemoteConnection) echo = NULL;
      g_autoptr(GVariant) reply = NULL;
      DpNodeOptions options;
      gint64 start = g_get_monotonic_time ();

      dp_node_options_init (&options);
      options.listen_port = 0;
      options.launcher = "local";
      if (!dp_spawn_node_supervise_place_at ("localhost", BENCH_MODULE, "dp_bench_echo", &options,
                                             &node, &echo, &error) ||
          (reply = dp_channel_put_get (DP_CHANNEL (echo), g_variant_new_string ("hello"), &error)) == NULL)
        {
          g_printerr ("dplaces bench spawn: %s\n", error->message);
          return 1;
        }
      runs[i] = (g_get_monotonic_time () - start) / 1000.0;
      dp_remote_node_send_exit (node);
      dp_spawned_process_wait (dp_remote_node_get_process (node));
    }

  printf ("spawn a local node and a place, to its first reply: %.1f ms (median of %u)\n",
          dp_bench_median (runs, G_N_ELEMENTS (runs)), (guint) G_N_ELEMENTS (runs));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "spawn");
  dp_bench_add_double (builder, "spawn_ms", dp_bench_median (runs, G_N_ELEMENTS (runs)));
  json_builder_end_object (builder);
  if (json)
    dp_bench_print_json (builder);
  return 0;
}

