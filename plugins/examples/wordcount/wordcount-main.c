/* wordcount-main.c: the seeds' word count as a C program
 *
 *   (define config (list (list "host2" 6430) (list "host3" 6430)))
 *   (define workers (make-map-reduce-workers config))
 *   (define tasks (list (list (cons 0 "/tmp/w0")) (list (cons 1 "/tmp/w1"))))
 *   (map-reduce workers config tasks
 *               (list (quote-module-path "..") 'mapper)
 *               (list (quote-module-path "..") 'reducer)
 *               #:outputer (list (quote-module-path "..") 'outputer))
 *
 * Usage: wordcount [--workers N] [--backend B] [--cookie-file F] FILE…
 *
 * Starts N worker nodes on this machine (ports they pick), counts the
 * words of the files (one word per line, a task per file) and prints
 * "word - count" lines and the total, as the seeds' outputer does.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "wordcount.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE… — count the words of files, one per line");
  g_autoptr(GError) error = NULL;
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) total = NULL;
  g_autoptr(GStrvBuilder) config_builder = g_strv_builder_new ();
  g_auto(GStrv) config = NULL;
  g_auto(GVariantBuilder) tasks = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aa(xs)"));
  g_autofree char *backend = NULL;
  g_autofree char *cookie_file = NULL;
  gint n_workers = 2;
  DpNodeOptions node_options;
  DpMapReduceOptions options;
  GOptionEntry entries[] = {
    { "workers", 'w', 0, G_OPTION_ARG_INT, &n_workers, "How many workers (default 2)", "N" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend, "The workers' place backend", "NAME" },
    { "cookie-file", 0, 0, G_OPTION_ARG_FILENAME, &cookie_file, "The cookie nodes share (mode 0600)",
      "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || n_workers < 1)
    {
      g_printerr ("wordcount: %s\n", error != NULL ? error->message : "--workers must be at least 1");
      return 2;
    }

  if (cookie_file != NULL)
    {
      g_autoptr(GBytes) cookie = dp_cookie_load (cookie_file, &error);

      if (cookie == NULL)
        {
          g_printerr ("wordcount: %s\n", error->message);
          return 2;
        }
      dp_cookie_set_process (cookie);
    }

  /* (make-map-reduce-workers config): here, on ports the nodes pick. */
  for (gint i = 0; i < n_workers; i++)
    g_strv_builder_add (config_builder, "localhost:0");
  config = g_strv_builder_end (config_builder);
  dp_node_options_init (&node_options);
  node_options.backend = backend;
  workers = dp_make_map_reduce_workers ((const char * const *) config, &node_options, &error);
  if (workers == NULL)
    {
      g_printerr ("wordcount: %s\n", error->message);
      return 1;
    }

  /* A task per file: (list (cons i "file")). */
  for (gint i = 1; i < argc; i++)
    {
      g_autofree char *path = g_canonicalize_filename (argv[i], NULL);

      g_variant_builder_open (&tasks, G_VARIANT_TYPE ("a(xs)"));
      g_variant_builder_add (&tasks, "(xs)", (gint64) i - 1, path);
      g_variant_builder_close (&tasks);
    }

  dp_map_reduce_options_init (&options);
  options.outputer = WORDCOUNT_OUTPUTER;
  total = dp_map_reduce (workers, g_variant_builder_end (&tasks), WORDCOUNT_MAPPER, WORDCOUNT_REDUCER,
                         &options, &error);
  if (total == NULL)
    {
      g_printerr ("wordcount: %s\n", error->message);
      return 1;
    }
  return 0;
}
