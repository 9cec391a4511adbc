/* nas-is-main.c: the NAS IS kernel, class S, on RMPI ranks (nas-is.c)
 *
 * Usage: nas-is [RANKS] — RANKS ranks (4), each on a node of its own on
 * this machine. Prints the benchmark's report; exit status 0 when it
 * verifies.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nas-is.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autofree char *text = NULL;
  guint ranks = argc > 1 ? (guint) atoi (argv[1]) : 4;

  if (ranks == 0)
    {
      g_printerr ("Usage: nas-is [RANKS]\n");
      return 2;
    }

  result = dp_rmpi_launch (dp_rmpi_build_default_config ("mpi-module", g_variant_new_string ("nas-is"),
                                                         "mpi-func", g_variant_new_string ("nas_is_place"),
                                                         NULL),
                           dp_rmpi_make_localhost_config (ranks, 0, "is"), &error);
  if (result == NULL)
    {
      g_printerr ("nas-is: %s\n", error->message);
      return 1;
    }
  text = dp_message_to_display (result);
  printf ("%s", text);
  return strstr (text, "SUCCESSFUL") != NULL && strstr (text, "UNSUCCESSFUL") == NULL ? 0 : 1;
}
