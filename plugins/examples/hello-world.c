/* hello-world.c: the seeds' distributed hello world, the remote side
 *
 *   (define (hello-world)
 *     (place ch
 *       (printf "hello-world received: ~a\n" (place-channel-get ch))
 *       (define HW "Hello World")
 *       (place-channel-put ch (format "~a\n" HW))
 *       (printf "hello-world sent: ~a\n" HW)))
 *
 * hello_world is the thunk (#:thunk #t): run on the new node, it starts the
 * place there and returns it. hello_world_place is the place itself, which
 * the dissertation's Fig. 4.2 starts with dynamic-place #:at.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include "hello-world.h"

void
hello_world_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = dp_channel_get (ch, &error);
  g_autofree char *text = NULL;
  const char *hw = "Hello World";

  if (message == NULL)
    {
      g_printerr ("hello-world: %s\n", error->message);
      return;
    }
  text = dp_message_to_display (message);
  printf ("hello-world received: %s\n", text);
  fflush (stdout);

  if (!dp_channel_put (ch, g_variant_new_take_string (g_strdup_printf ("%s\n", hw)), &error))
    {
      g_printerr ("hello-world: %s\n", error->message);
      return;
    }
  printf ("hello-world sent: %s\n", hw);
  fflush (stdout);
}

DpPlace *
hello_world (void)
{
  g_autoptr(GError) error = NULL;
  DpPlace *place = dp_dynamic_place ("hello-world", "hello_world_place", &error);

  if (place == NULL)
    g_printerr ("hello-world: %s\n", error->message);
  return place;
}
