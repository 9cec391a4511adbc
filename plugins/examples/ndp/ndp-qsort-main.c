/* ndp-qsort-main.c: the dissertation's nested data parallel quicksort as
 * a C program
 *
 *   (define config
 *     (list (list "host2" 6340) (list "host3" 6340) (list "host4" 6340)
 *           (list "host5" 6340) (list "host6" 6340)))
 *   (define ndp-group (make-ndp-group config))
 *   (displayln (ndp-qsort (list 9128 3 7 46 5 10) ndp-group))
 *
 * Usage: ndp-qsort [--workers N] [--local] [--backend B] [--cookie-file F] [NUMBER…]
 *
 * Starts N (5) worker nodes on this machine, on ports they pick (or, with
 * --local, N worker places in this process), sorts the numbers (the
 * dissertation's by default) with ndp-parallel-qsort and prints the
 * sorted list. Exit status 0 when it is the input sorted.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndp-qsort.h"

/* The seeds' ndp-qsort: a stub that hands the procedure's address and
 * the list to the group, whose coordinator gives them to the first free
 * worker. */
static GVariant *
ndp_qsort (GVariant    *l,
           DpNdpGroup  *group,
           GError     **error)
{
  return dp_ndp_run (group, NDP_PARALLEL_QSORT, l, error);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("[NUMBER…] — sort numbers with the NDP quicksort");
  g_autoptr(GError) error = NULL;
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GVariant) sorted = NULL;
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *backend = NULL;
  g_autofree char *cookie_file = NULL;
  g_autofree char *text = NULL;
  gint n_workers = 5;
  gboolean local = FALSE;
  const gint64 *result;
  gsize n;
  GOptionEntry entries[] = {
    { "workers", 'w', 0, G_OPTION_ARG_INT, &n_workers, "How many workers (default 5)", "N" },
    { "local", 'l', 0, G_OPTION_ARG_NONE, &local, "Workers as places of this process, not nodes", NULL },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend, "The workers' place backend", "NAME" },
    { "cookie-file", 0, 0, G_OPTION_ARG_FILENAME, &cookie_file, "The cookie nodes share (mode 0600)",
      "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || n_workers < 1)
    {
      g_printerr ("ndp-qsort: %s\n", error != NULL ? error->message : "--workers must be at least 1");
      return 2;
    }
  for (gint i = 1; i < argc; i++)
    {
      gint64 x;

      if (g_str_equal (argv[i], "--"))
        continue;

      if (!g_ascii_string_to_signed (argv[i], 10, G_MININT64, G_MAXINT64, &x, &error))
        {
          g_printerr ("ndp-qsort: %s\n", error->message);
          return 2;
        }
      g_array_append_val (numbers, x);
    }
  if (numbers->len == 0 && (argc < 2 || (argc == 2 && g_str_equal (argv[1], "--"))))
    {
      static const gint64 seeds[] = { 9128, 3, 7, 46, 5, 10 };
      g_array_append_vals (numbers, seeds, G_N_ELEMENTS (seeds));
    }

  if (cookie_file != NULL)
    {
      g_autoptr(GBytes) cookie = dp_cookie_load (cookie_file, &error);

      if (cookie == NULL)
        {
          g_printerr ("ndp-qsort: %s\n", error->message);
          return 2;
        }
      dp_cookie_set_process (cookie);
    }

  /* (make-ndp-group config): here, on ports the nodes pick. */
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
      g_printerr ("ndp-qsort: %s\n", error->message);
      return 1;
    }

  /* (displayln (ndp-qsort (list 9128 3 7 46 5 10) ndp-group)) */
  list = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, numbers->data, numbers->len,
                                                        sizeof (gint64)));
  sorted = ndp_qsort (list, group, &error);
  if (sorted == NULL)
    {
      g_printerr ("ndp-qsort: %s\n", error->message);
      return 1;
    }
  text = g_variant_print (sorted, FALSE);
  printf ("%s\n", text);

  /* It must be the input, sorted. */
  g_array_sort (numbers, ndp_compare_int64);
  result = g_variant_get_fixed_array (sorted, &n, sizeof (gint64));
  if (n != numbers->len || memcmp (result, numbers->data, n * sizeof (gint64)) != 0)
    {
      g_printerr ("ndp-qsort: the result is not the input sorted\n");
      return 1;
    }
  return 0;
}
