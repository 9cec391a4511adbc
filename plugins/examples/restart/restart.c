/* restart.c: the Racket distribution's restart example
 * (distributed/examples/restart/restarter.rkt) as a place module
 *
 * A place that prints BEGINNING SLEEP, sleeps a second, prints SLEEP DONE
 * and ends; data/examples/restart.ini supervises it on a node of its own
 * with restart-every 5 and 3 retries, so it runs four times and the
 * system then ends through on-final-fail. restart-main.c is the same as a
 * program, with dp_restart_every().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include "restart.h"

G_MODULE_EXPORT void
wait_place (DpChannel *channel)
{
  printf ("BEGINNING SLEEP\n");
  fflush (stdout);
  g_usleep (G_USEC_PER_SEC);
  printf ("SLEEP DONE\n");
  fflush (stdout);
}

/* The seeds' wait-place-thunk, for #:thunk #t: makes the place itself. */
G_MODULE_EXPORT DpPlace *
wait_place_thunk (void)
{
  g_autoptr(GError) error = NULL;
  DpPlace *place = dp_place (wait_place, &error);

  if (place == NULL)
    g_printerr ("wait_place_thunk: %s\n", error->message);
  return place;
}
