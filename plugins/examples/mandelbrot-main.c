/* mandelbrot-main.c: the dissertation's shared-memory Mandelbrot (Fig. 3.4)
 * as a C program
 *
 *   (define (main N)
 *     (define NP (processor-count))
 *     (define b (make-shared-bytes (* N N) 0))
 *     (fork-join NP cg ([N N] [b b]) ...)
 *     (for ([y (in-range N)])
 *       (write-bytes/newline b y N)))
 *
 *   mandelbrot [--backend=threads|processes] [--places=NP] N OUTPUT.pgm
 *
 * OUTPUT "-" writes the image to standard output. The places run
 * mandelbrot_place from the mandelbrot module (mandelbrot.so in the plugin
 * directories): a place in another process cannot load a function from
 * this program, which is not a shared object.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "mandelbrot.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DpSharedVector) image = NULL;
  g_autoptr(GBytes) pgm = NULL;
  g_autofree char *backend = NULL;
  gint places = 0;
  guint64 n;
  const char *output;
  GOptionEntry entries[] = {
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend,
      "The place backend: threads (the default) or processes", "NAME" },
    { "places", 'p', 0, G_OPTION_ARG_INT, &places,
      "How many places (default: one per processor)", "NP" },
    { NULL }
  };

  context = g_option_context_new ("N OUTPUT.pgm — the shared-memory Mandelbrot");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      argc != 3 || places < 0 ||
      !g_ascii_string_to_unsigned (argv[1], 10, 1, 1 << 15, &n, &error))
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s%s%s", error != NULL ? error->message : "", error != NULL ? "\n" : "", help);
      return 2;
    }
  output = argv[2];

  image = mandelbrot_run ((guint) places, (guint) n, backend, &error);
  if (image == NULL)
    goto fail;

  pgm = mandelbrot_pgm (image, (guint) n);
  if (g_str_equal (output, "-"))
    {
      fwrite (g_bytes_get_data (pgm, NULL), 1, g_bytes_get_size (pgm), stdout);
      fflush (stdout);
      return 0;
    }
  if (!g_file_set_contents (output, g_bytes_get_data (pgm, NULL), g_bytes_get_size (pgm), &error))
    goto fail;

  printf ("mandelbrot: wrote a %ux%u image to %s with %u %s places\n", (guint) n, (guint) n,
          output, places > 0 ? (guint) places : dp_processor_count (),
          backend != NULL ? backend : "threads");
  return 0;

fail:
  g_printerr ("mandelbrot: %s\n", error->message);
  return 1;
}
