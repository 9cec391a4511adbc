/* dplaces-bench.c: the places `dplaces bench` runs
 *
 * A plain place module (dplaces-bench.so), installed with the plugins so
 * that a node started anywhere finds it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <unistd.h>

#include <dplaces/dplaces.h>

G_MODULE_EXPORT void dp_bench_echo (DpChannel *channel);
G_MODULE_EXPORT void dp_bench_sink (DpChannel *channel);
G_MODULE_EXPORT void dp_bench_pid  (DpChannel *channel);

/* Sends back what it gets, until its channel closes. */
void
dp_bench_echo (DpChannel *channel)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (channel, NULL);

      if (message == NULL || !dp_channel_put (channel, message, NULL))
        return;
    }
}

/* Gets a count N, then N messages, then answers with the bytes it got. */
void
dp_bench_sink (DpChannel *channel)
{
  for (;;)
    {
      g_autoptr(GVariant) count = dp_channel_get (channel, NULL);
      guint64 bytes = 0;
      gint64 n;

      if (count == NULL || !g_variant_is_of_type (count, G_VARIANT_TYPE_INT64))
        return;
      n = g_variant_get_int64 (count);
      for (gint64 i = 0; i < n; i++)
        {
          g_autoptr(GVariant) message = dp_channel_get (channel, NULL);
          if (message == NULL)
            return;
          bytes += g_variant_get_size (message);
        }
      if (!dp_channel_put (channel, g_variant_new_uint64 (bytes), NULL))
        return;
    }
}

/* A named place: answers every message, its creator's or a client's of
 * its name, with its process id, (i) — what `dplaces bench restart` kills
 * and asks again. */
void
dp_bench_pid (DpChannel *channel)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (channel, NULL);
      g_autoptr(GVariant) request = NULL;
      g_autoptr(DpChannel) reply = NULL;

      if (message == NULL)
        return;
      request = dp_named_place_message_unwrap (message, &reply, NULL);
      if (!dp_channel_put (reply != NULL ? reply : channel, g_variant_new ("(i)", (gint32) getpid ()),
                           NULL) && reply == NULL)
        return;
    }
}
