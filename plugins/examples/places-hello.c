/* places-hello.c: the dissertation's places hello world (Fig. 4.1), the place
 *
 *   (define (hello-world ch)
 *     (printf/f "hello-world received: ~a\n" (place-channel-get ch))
 *     (place-channel-put ch "Hello World\n")
 *     (printf/f "hello-world sent: Hello World\n"))
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include <dplaces/dplaces.h>

#include "places-hello.h"

G_MODULE_EXPORT void
hello_world (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = NULL;
  g_autofree char *text = NULL;

  message = dp_channel_get (ch, &error);
  if (message == NULL)
    {
      g_printerr ("hello-world: %s\n", error->message);
      return;
    }

  text = dp_message_to_display (message);
  printf ("hello-world received: %s\n", text);
  fflush (stdout);

  if (!dp_channel_put (ch, g_variant_new_string ("Hello World\n"), &error))
    {
      g_printerr ("hello-world: %s\n", error->message);
      return;
    }
  printf ("hello-world sent: Hello World\n");
  fflush (stdout);
}
