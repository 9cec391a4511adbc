/* cg-pipeline-main.c: pipeline parallelism with CGpipeline (Sec. 3.4.2.2)
 * as a C program
 *
 *   (fork-join 5 cg ()
 *     (for ([i (in-range 5)])
 *       (CGpipeline cg prev-value 0.0
 *         (define idx (+ (* i 5) (CG-id cg)))
 *         (define (fl-sqr v) (fl* v v))
 *         (fl-sqr (fl+ (flvector-ref v idx)
 *                      prev-value)))))
 *
 *   cg-pipeline [--backend=threads|processes] [N]
 *
 * N places (default 5), one per column. They run cg_pipeline_place from
 * the cg-pipeline module (cg-pipeline.so in the plugin directories): a
 * place in another process cannot load a function from this program,
 * which is not a shared object.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include "cg-pipeline.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *backend = NULL;
  g_autofree gdouble *matrix = NULL;
  g_autofree char *text = NULL;
  guint64 n = 5;
  GOptionEntry entries[] = {
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend,
      "The place backend: threads (the default) or processes", "NAME" },
    { NULL }
  };

  context = g_option_context_new ("[N] — an N×N pipeline through N places (default 5)");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc > 2 ||
      (argc == 2 && !g_ascii_string_to_unsigned (argv[1], 10, 1, 256, &n, &error)))
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s%s%s", error != NULL ? error->message : "", error != NULL ? "\n" : "", help);
      return 2;
    }
  if (backend == NULL)
    backend = g_strdup ("threads");

  matrix = cg_pipeline_run ((guint) n, backend, &error);
  if (matrix == NULL)
    {
      g_printerr ("cg-pipeline: %s\n", error->message);
      return 1;
    }

  text = cg_pipeline_format (matrix, (guint) n);
  printf ("cg-pipeline: %ux%u through %u %s places, one per column:\n%s\n",
          (guint) n, (guint) n, (guint) n, backend, text);
  return 0;
}
