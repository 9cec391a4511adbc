/* fork-join-phases-main.c: fork-join with CGfor and CGBarrier
 * (Sec. 3.4.2.1) as a C program
 *
 *   (define (main n)
 *     (fork-join (processor-count) cg ([N n])
 *       (CGfor cg ([i (in-range N)]) (compute-FFT-x i))
 *       (CGBarrier cg)
 *       (CGfor cg ([i (in-range N)]) (compute-FFT-y i))
 *       (CGBarrier cg)
 *       (CGfor cg ([i (in-range N)]) (compute-FFT-z i))))
 *
 *   fork-join-phases [--backend=threads|processes] [--places=NP] [N]
 *
 * The places run fork_join_phases_place from the fork-join-phases module
 * (fork-join-phases.so in the plugin directories): a place in another
 * process cannot load a function from this program, which is not a
 * shared object.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include "fork-join-phases.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *backend = NULL;
  gint places = 0;
  guint64 n = 256;
  gint64 checksum;
  GOptionEntry entries[] = {
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend,
      "The place backend: threads (the default) or processes", "NAME" },
    { "places", 'p', 0, G_OPTION_ARG_INT, &places,
      "How many places (default: one per processor)", "NP" },
    { NULL }
  };

  context = g_option_context_new ("[N] — three passes over an N×N grid (default 256)");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      argc > 2 || places < 0 ||
      (argc == 2 && !g_ascii_string_to_unsigned (argv[1], 10, 1, 1 << 14, &n, &error)))
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s%s%s", error != NULL ? error->message : "", error != NULL ? "\n" : "", help);
      return 2;
    }
  if (backend == NULL)
    backend = g_strdup ("threads");
  if (places == 0)
    places = (gint) dp_processor_count ();

  if (!fork_join_phases_run ((guint) places, (guint) n, backend, &checksum, NULL, &error))
    {
      g_printerr ("fork-join-phases: %s\n", error->message);
      return 1;
    }

  printf ("fork-join-phases: 3 passes over a %ux%u grid with %d %s places, checksum %"
          G_GINT64_FORMAT "\n", (guint) n, (guint) n, places, backend, checksum);
  return 0;
}
