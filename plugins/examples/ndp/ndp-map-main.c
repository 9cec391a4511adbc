/* ndp-map-main.c: a nested data parallel map over an array, as a C program
 *
 *   (define ndp-group (make-ndp-group config))
 *   (ndp-parallel-map collatz-steps (range 1 (add1 n)) ndp-group)
 *
 * Usage: ndp-map [--workers N] [--local] [--backend B] [--count N] [--cookie-file F]
 *
 * Starts N (2) worker nodes on this machine (or, with --local, N worker
 * places in this process), maps collatz_steps over 1 … COUNT (100 000)
 * with ndp_parallel_map, checks the images against a map here, and prints
 * the number with the most steps. Exit status 0 when they agree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndp-map.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— map collatz_steps over 1 … COUNT on an NDP group");
  g_autoptr(GError) error = NULL;
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GVariant) images = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *cookie_file = NULL;
  g_autofree gint64 *values = NULL;
  gint n_workers = 2;
  gint64 count = 100000, longest = 0;
  gboolean local = FALSE;
  const gint64 *result;
  gint64 start;
  gsize n;
  GOptionEntry entries[] = {
    { "workers", 'w', 0, G_OPTION_ARG_INT, &n_workers, "How many workers (default 2)", "N" },
    { "local", 'l', 0, G_OPTION_ARG_NONE, &local, "Workers as places of this process, not nodes", NULL },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend, "The workers' place backend", "NAME" },
    { "count", 'n', 0, G_OPTION_ARG_INT64, &count, "Map over 1 … COUNT (default 100000)", "COUNT" },
    { "cookie-file", 0, 0, G_OPTION_ARG_FILENAME, &cookie_file, "The cookie nodes share (mode 0600)",
      "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || n_workers < 1 || count < 1 ||
      count > 100000000)
    {
      g_printerr ("ndp-map: %s\n", error != NULL ? error->message
                                                 : "--workers must be at least 1, --count 1 to 10⁸");
      return 2;
    }

  if (cookie_file != NULL)
    {
      g_autoptr(GBytes) cookie = dp_cookie_load (cookie_file, &error);

      if (cookie == NULL)
        {
          g_printerr ("ndp-map: %s\n", error->message);
          return 2;
        }
      dp_cookie_set_process (cookie);
    }

  if (local)
    group = dp_ndp_group_new_local (n_workers, backend, &error);
  else
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) config = NULL;
      DpNodeOptions options;

      for (gint i = 0; i < n_workers; i++)
        g_strv_builder_add (builder, "localhost:0");
      config = g_strv_builder_end (builder);
      dp_node_options_init (&options);
      options.listen_port = 0;
      options.backend = backend;
      group = dp_make_ndp_group ((const char * const *) config, &options, &error);
    }
  if (group == NULL)
    {
      g_printerr ("ndp-map: %s\n", error->message);
      return 1;
    }

  values = g_new (gint64, count);
  for (gint64 i = 0; i < count; i++)
    values[i] = i + 1;
  start = g_get_monotonic_time ();
  images = dp_ndp_run (group, NDP_PARALLEL_MAP,
                       g_variant_new ("(s@ax)", NDP_MAP_COLLATZ_STEPS,
                                      g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, values, count,
                                                                 sizeof (gint64))),
                       &error);
  if (images == NULL)
    {
      g_printerr ("ndp-map: %s\n", error->message);
      return 1;
    }

  result = g_variant_get_fixed_array (images, &n, sizeof (gint64));
  if (n != (gsize) count)
    {
      g_printerr ("ndp-map: %" G_GSIZE_FORMAT " images of %" G_GINT64_FORMAT " numbers\n", n, count);
      return 1;
    }
  for (gint64 i = 0; i < count; i++)
    {
      if (result[i] != collatz_steps (values[i]))
        {
          g_printerr ("ndp-map: collatz_steps (%" G_GINT64_FORMAT ") is %" G_GINT64_FORMAT ", not %"
                      G_GINT64_FORMAT "\n", values[i], collatz_steps (values[i]), result[i]);
          return 1;
        }
      if (result[i] > result[longest])
        longest = i;
    }
  printf ("collatz_steps over 1 … %" G_GINT64_FORMAT " on %d worker%s (%.1f ms): the most steps, %"
          G_GINT64_FORMAT ", from %" G_GINT64_FORMAT "; the same as a map here\n",
          count, n_workers, n_workers == 1 ? "" : "s", (g_get_monotonic_time () - start) / 1000.0,
          result[longest], values[longest]);
  return 0;
}
