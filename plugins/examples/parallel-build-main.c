/* parallel-build-main.c: the dissertation's parallel build (Fig. 3.1) as a
 * C program
 *
 *   (define (main)
 *     (define ps (for/list ([i (processor-count)]) (place ch ...)))
 *     (define job-queue (build-job-queue))
 *     ...
 *     (message-loop ps))
 *
 *   parallel-build [--backend=threads|processes] [--workers=NP] [--jobs=N] [--list]
 *
 * The controller is this program's main(); the workers run
 * parallel_build_worker from the parallel-build module
 * (parallel-build.so in the plugin directories): a place in another
 * process cannot load a function from this program, which is not a
 * shared object.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include "parallel-build.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *digest = NULL;
  gint n_workers = 0;
  gint n_jobs = 40;
  gboolean list = FALSE;
  GOptionEntry entries[] = {
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend,
      "The place backend: threads (the default) or processes", "NAME" },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &n_workers,
      "How many worker places (default: one per processor)", "NP" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &n_jobs, "How many files to compile (default: 40)", "N" },
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, "Print each job's result", NULL },
    { NULL }
  };

  context = g_option_context_new ("— the places parallel build");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("parallel-build: %s\n", error->message);
      return 2;
    }
  if (argc != 1 || n_workers < 0 || n_jobs < 0)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return 2;
    }
  if (backend == NULL)
    backend = g_strdup ("threads");
  if (n_workers == 0)
    n_workers = (gint) dp_processor_count ();

  jobs = parallel_build_make_jobs ((guint) n_jobs);
  if (!parallel_build_run (jobs, (guint) n_workers, backend, &error))
    {
      g_printerr ("parallel-build: %s\n", error->message);
      return 1;
    }

  if (list)
    for (guint k = 0; k < jobs->len; k++)
      {
        BuildJob *job = g_ptr_array_index (jobs, k);

        printf ("%s = %" G_GINT64_FORMAT " (object sha256 %.16s…, worker %u)\n",
                job->name, job->value, job->object_checksum, job->worker);
      }

  digest = parallel_build_digest (jobs);
  printf ("parallel-build: built %u jobs, each exactly once, with %d %s workers; "
          "results sha256 %s\n", jobs->len, n_workers, backend, digest);
  return 0;
}
