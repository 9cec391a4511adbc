/* http-places.c: the places tests/http/test-http.c's systems run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dplaces/dplaces.h>

G_MODULE_EXPORT void http_echo (DpChannel *channel);
G_MODULE_EXPORT void http_counter (DpChannel *channel);
G_MODULE_EXPORT void http_quitter (DpChannel *channel);

/* A named place: answers (message, reply) with ('echo', message). */
void
http_echo (DpChannel *channel)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (channel, NULL);
      g_autoptr(GVariant) inner = NULL;
      g_autoptr(DpChannel) reply = NULL;

      if (message == NULL)
        return;
      inner = dp_named_place_message_unwrap (message, &reply, NULL);
      if (inner == NULL)
        continue;
      dp_channel_put (reply, g_variant_new ("(sv)", "echo", inner), NULL);
    }
}

/* Answers each message on its channel with ('count', n, message). */
void
http_counter (DpChannel *channel)
{
  guint64 n = 0;

  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (channel, NULL);

      if (message == NULL)
        return;
      dp_channel_put (channel, g_variant_new ("(stv)", "count", ++n, message), NULL);
    }
}

/* Ends with status 3 when told 'quit'; answers anything else with 'ok'. */
void
http_quitter (DpChannel *channel)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (channel, NULL);

      if (message == NULL)
        return;
      if (g_variant_is_of_type (message, G_VARIANT_TYPE_STRING) &&
          g_str_equal (g_variant_get_string (message, NULL), "quit"))
        dp_place_exit (3);
      dp_channel_put (channel, g_variant_new_string ("ok"), NULL);
    }
}
