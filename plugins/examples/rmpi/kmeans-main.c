/* kmeans-main.c: the dissertation's RMPI example as a C program
 *
 *   (rmpi-launch
 *     (rmpi-build-default-config
 *       #:mpi-module "/tmp/mplt/kmeans.rkt"
 *       #:mpi-func   'kmeans-place
 *       #:mpi-args   (list "/tmp/mplt/color100.bin" #t 100 9 10 0.0000001))
 *     (list (list "n1.example.com" 6340 'kmeans_0 0)
 *           (list "n2.example.com" 6340 'kmeans_1 1)
 *           (list "n3.example.com" 6340 'kmeans_2 2)
 *           (list "n4.example.com" 6340 'kmeans_3 3)))
 *
 * Usage: kmeans [RANKS [POINTS [K [HOSTS…]]]] — RANKS ranks (4), each on a
 * node of its own on this machine (rmpi-make-localhost-config), or on the
 * HOSTS given (rmpi-make-remote-config, over ssh). Prints rank 0's result,
 * then checks it against the serial computation in this process: the same
 * text, to the last digit. Exit status 0 when they agree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "kmeans.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autofree char *serial_text = NULL;
  g_autofree char *text = NULL;
  KmeansParams params = {
    .n_points = 200000,
    .dims = 3,
    .k = 8,
    .max_iterations = 100,
    .seed = 7,
  };
  KmeansResult serial = { 0 };
  guint ranks = argc > 1 ? (guint) atoi (argv[1]) : 4;
  GVariant *config;
  gint64 start;

  if (argc > 2)
    params.n_points = (guint32) atoi (argv[2]);
  if (argc > 3)
    params.k = (guint32) atoi (argv[3]);
  if (ranks == 0 || params.k == 0 || params.n_points < params.k)
    {
      g_printerr ("Usage: kmeans [RANKS [POINTS [K [HOSTS…]]]]\n");
      return 2;
    }

  if (argc > 4)
    config = dp_rmpi_make_remote_config ((const char * const *) argv + 4, ranks, 0, "kmeans");
  else
    config = dp_rmpi_make_localhost_config (ranks, 0, "kmeans");

  start = g_get_monotonic_time ();
  result = dp_rmpi_launch (dp_rmpi_build_default_config ("mpi-module", g_variant_new_string ("kmeans"),
                                                         "mpi-func", g_variant_new_string ("kmeans_place"),
                                                         "mpi-args", kmeans_params_to_variant (&params),
                                                         NULL),
                           config, &error);
  if (result == NULL)
    {
      g_printerr ("kmeans: %s\n", error->message);
      return 1;
    }
  text = dp_message_to_display (result);
  printf ("%s", text);
  printf ("(%.3f s, nodes and places included)\n", (g_get_monotonic_time () - start) / 1e6);

  start = g_get_monotonic_time ();
  kmeans_serial (&params, &serial);
  serial_text = kmeans_result_format (&params, &serial, ranks);
  kmeans_result_clear (&serial);
  printf ("serial computation in this process: %s (%.3f s)\n",
          g_str_equal (serial_text, text) ? "the same" : "DIFFERENT", (g_get_monotonic_time () - start) / 1e6);
  if (!g_str_equal (serial_text, text))
    {
      printf ("%s", serial_text);
      return 1;
    }
  return 0;
}
