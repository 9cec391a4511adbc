/* seed-api-places.c: the place functions tests/seed-api runs, on spawned
 * nodes and in processes of the processes backend
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dplaces/dplaces.h>

#define SEED_WAIT_USEC (30 * G_USEC_PER_SEC)

/* A named place that echoes. Connections (mode connect) get
 * ('echo', message) on their reply channel; a plain channel announced with
 * ('channel-connect', src-id, channel) is greeted with ('connected',
 * src-id), then each message on it is answered on it with ('echo',
 * message). The string 'stop' from its creator ends it. */
G_MODULE_EXPORT void seed_named_echo (DpChannel *channel);

G_MODULE_EXPORT void
seed_named_echo (DpChannel *channel)
{
  g_autoptr(GPtrArray) channels = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (channels, g_object_ref (channel));

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = NULL;
      guint index = 0;

      message = dp_channel_sync ((DpChannel **) channels->pdata, channels->len, -1, &index, &error);
      if (message == NULL)
        {
          if (index == 0)
            return;
          /* A plain channel closed: forget it. */
          g_ptr_array_remove_index (channels, index);
          continue;
        }

      if (index > 0)
        {
          dp_channel_put (g_ptr_array_index (channels, index),
                          g_variant_new ("(sv)", "echo", message), NULL);
          continue;
        }

      if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(svh)")) &&
          g_strcmp0 (dp_message_get_tag (message), "channel-connect") == 0)
        {
          g_autoptr(GVariant) src_id = NULL;
          g_autoptr(GVariant) handle = NULL;
          DpChannel *plain;

          g_variant_get (message, "(&s@v@h)", NULL, &src_id, &handle);
          plain = dp_channel_from_variant (handle, NULL);
          if (plain == NULL)
            continue;
          dp_channel_put (plain, g_variant_new ("(s@v)", "connected", src_id), NULL);
          g_ptr_array_add (channels, plain);
        }
      else if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(vh)")))
        {
          g_autoptr(DpChannel) reply = NULL;
          g_autoptr(GVariant) inner = dp_named_place_message_unwrap (message, &reply, NULL);

          if (inner != NULL)
            dp_channel_put (reply, g_variant_new ("(sv)", "echo", inner), NULL);
        }
      else if (g_variant_is_of_type (message, G_VARIANT_TYPE_STRING) &&
               g_str_equal (g_variant_get_string (message, NULL), "stop"))
        return;
    }
}

/* Logs each string it gets with dp_log_message() at severity info, and
 * answers 'logged'. */
G_MODULE_EXPORT void seed_log_place (DpChannel *channel);

G_MODULE_EXPORT void
seed_log_place (DpChannel *channel)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (channel, NULL);

      if (message == NULL || !g_variant_is_of_type (message, G_VARIANT_TYPE_STRING))
        return;
      dp_log_message (DP_LOG_INFO, g_variant_get_string (message, NULL));
      dp_channel_put (channel, g_variant_new_string ("logged"), NULL);
    }
}

/* For each (host, port, name, message) it gets: connects to that named
 * place with dp_connect_to_named_place_at(), puts the message, and answers
 * ('ok', reply) or ('error', (code, why)) — code: the DP_ERROR code, or
 * -1 for an error of another domain or none. */
G_MODULE_EXPORT void seed_connect_place (DpChannel *channel);

G_MODULE_EXPORT void
seed_connect_place (DpChannel *channel)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (channel, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(DpRemoteConnection) connection = NULL;
      g_autoptr(GVariant) payload = NULL;
      g_autoptr(GVariant) reply = NULL;
      const char *host, *name;
      guint32 port;

      if (message == NULL || !g_variant_is_of_type (message, G_VARIANT_TYPE ("(susv)")))
        return;
      g_variant_get (message, "(&su&sv)", &host, &port, &name, &payload);

      connection = dp_connect_to_named_place_at (host, port, name, &error);
      if (connection != NULL && dp_channel_put (DP_CHANNEL (connection), payload, &error))
        reply = dp_channel_get_timeout (DP_CHANNEL (connection), SEED_WAIT_USEC, &error);

      if (reply != NULL)
        dp_channel_put (channel, g_variant_new ("(sv)", "ok", reply), NULL);
      else
        dp_channel_put (channel,
                        g_variant_new ("(sv)", "error",
                                       g_variant_new ("(is)",
                                                      error != NULL && error->domain == DP_ERROR ? error->code : -1,
                                                      error != NULL ? error->message : "no reply in time")),
                        NULL);
    }
}
