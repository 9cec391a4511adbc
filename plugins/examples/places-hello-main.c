/* places-hello-main.c: the dissertation's places hello world (Fig. 4.1) as a
 * C program
 *
 *   (module+ main
 *     (define p (dynamic-place (quote-module-path "..") 'hello-world))
 *     (place-channel-put p "Hello")
 *     (printf/f "main received: ~a\n" (place-channel-get p))
 *     (place-wait p))
 *
 * The place function is compiled into this program and exported from it,
 * so dp_place() finds it the way (quote-module-path "..") names the
 * enclosing module.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include <dplaces/dplaces.h>

#include "places-hello.h"

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) p = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *text = NULL;

  p = dp_place (hello_world, &error);
  if (p == NULL)
    {
      g_printerr ("places-hello: %s\n", error->message);
      return 1;
    }

  if (!dp_channel_put (DP_CHANNEL (p), g_variant_new_string ("Hello"), &error) ||
      (reply = dp_channel_get (DP_CHANNEL (p), &error)) == NULL)
    {
      g_printerr ("places-hello: %s\n", error->message);
      return 1;
    }

  text = dp_message_to_display (reply);
  printf ("main received: %s\n", text);
  fflush (stdout);

  return dp_place_wait (p);
}
