/* dashboard-chat.c: places that chat, for data/examples/dashboard.ini —
 * something for the control plane to show
 *
 * chat_echo: a named place; answers each (message, reply) from a
 *   connection, and each message its creator puts, with
 *   {'echo': message, 'by': name, 'count': n}.
 * chat_talker: waits for the directory of echo servers the [rpc] service
 *   hands it (('rpc-servers', {NAME: (connection, host, port, name)})),
 *   then pings them in turn, a few times a second, each over a connection
 *   of its own to the server's node; answers anything else its creator
 *   puts with its counts. ('name', NAME) names it, for its log lines.
 * chat_flaky: runs `seconds` (20 by default, or what its initial
 *   message says), then fails — for a supervisor to restart.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dashboard-chat"

#include <dplaces/dplaces.h>

/* Between two pings. */
#define TALK_INTERVAL_USEC (200 * 1000)
#define REPLY_TIMEOUT_USEC (2 * G_USEC_PER_SEC)
/* A log line every so many round trips. */
#define LOG_EVERY 100

static const char *
place_name (const char *fallback)
{
  DpPlace *place = dp_place_get_current ();

  return place != NULL && dp_place_get_name (place) != NULL ? dp_place_get_name (place) : fallback;
}

G_MODULE_EXPORT void chat_echo (DpChannel *channel);

void
chat_echo (DpChannel *channel)
{
  guint64 count = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = dp_channel_get (channel, &error);
      g_autoptr(GVariant) inner = NULL;
      g_autoptr(DpChannel) reply = NULL;
      GVariant *answer;

      if (message == NULL)
        return;   /* its creator is gone */

      inner = dp_named_place_message_unwrap (message, &reply, NULL);
      count++;
      if (inner != NULL && g_variant_is_of_type (inner, G_VARIANT_TYPE ("(sx)")))
        {
          gint64 n;

          g_variant_get (inner, "(&sx)", NULL, &n);
          answer = g_variant_new ("(sx)", "pong", n);
        }
      else
        answer = g_variant_new_parsed ("{'echo': <%v>, 'by': <%s>, 'count': <%t>}",
                                       inner != NULL ? inner : message, place_name ("chat_echo"), count);

      if (!dp_channel_put (reply != NULL ? reply : channel, answer, &error))
        g_debug ("cannot answer: %s", error->message);
    }
}

typedef struct {
  char *name;
  DpChannel *channel;     /* NULL until connected */
  char *host;
  guint16 port;
  DpChannel *fallback;    /* the directory's connection, through the root */
} Server;

static void
server_free (gpointer data)
{
  Server *server = data;

  g_free (server->name);
  g_clear_object (&server->channel);
  g_free (server->host);
  g_clear_object (&server->fallback);
  g_free (server);
}

/* The [rpc] service's directory: ('rpc-servers', {NAME: (connection,
 * host, port, name)}). */
static GPtrArray *
read_directory (GVariant *message)
{
  GPtrArray *servers = g_ptr_array_new_with_free_func (server_free);
  g_autoptr(GVariant) directory = g_variant_get_child_value (message, 1);
  GVariantIter iter;
  const char *key, *host, *name;
  GVariant *handle;
  guint16 port;

  g_variant_iter_init (&iter, directory);
  while (g_variant_iter_next (&iter, "{&s(@h&sq&s)}", &key, &handle, &host, &port, &name))
    {
      Server *server = g_new0 (Server, 1);

      server->name = g_strdup (*name != '\0' ? name : key);
      server->host = g_strdup (host);
      server->port = port;
      server->fallback = dp_channel_from_variant (handle, NULL);
      g_ptr_array_add (servers, server);
      g_variant_unref (handle);
    }
  return servers;
}

static DpChannel *
server_channel (Server *server)
{
  g_autoptr(GError) error = NULL;

  if (server->channel != NULL)
    return server->channel;
  /* Straight to its node when it is named, so the nodes talk to each
   * other rather than through the root. */
  if (server->host[0] != '\0' && server->port != 0)
    server->channel = DP_CHANNEL (dp_connect_to_named_place_at (server->host, server->port,
                                                                server->name, &error));
  if (server->channel == NULL && server->fallback != NULL)
    server->channel = g_object_ref (server->fallback);
  return server->channel;
}

G_MODULE_EXPORT void chat_talker (DpChannel *channel);

void
chat_talker (DpChannel *channel)
{
  g_autoptr(GPtrArray) servers = NULL;
  g_autofree char *name = g_strdup (place_name ("talker"));
  guint64 sent = 0, answered = 0, failed = 0;
  gint64 next = g_get_monotonic_time ();
  guint turn = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = NULL;
      gint64 now = g_get_monotonic_time ();

      /* Between pings, what its creator says. */
      message = dp_channel_get_timeout (channel, MAX (next - now, 0), &error);
      if (message == NULL && error != NULL)
        return;
      if (message != NULL)
        {
          const char *tag = NULL, *value = NULL;

          if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(ss)")))
            g_variant_get (message, "(&s&s)", &tag, &value);
          if (g_strcmp0 (tag, "name") == 0)
            {
              g_free (name);
              name = g_strdup (value);
            }
          else if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(sa{s(hsqs)})")))
            servers = read_directory (message);
          else
            dp_channel_put (channel,
                            g_variant_new_parsed ("{'talker': <%s>, 'sent': <%t>, 'answered': <%t>, "
                                                  "'failed': <%t>, 'asked': <%v>}",
                                                  name, sent, answered, failed, message),
                            NULL);
          continue;
        }

      next = g_get_monotonic_time () + TALK_INTERVAL_USEC;
      if (servers == NULL || servers->len == 0)
        continue;

      {
        Server *server = g_ptr_array_index (servers, turn++ % servers->len);
        DpChannel *to = server_channel (server);
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) call_error = NULL;

        sent++;
        if (to != NULL && dp_channel_put (to, g_variant_new ("(sx)", "ping", (gint64) sent), &call_error))
          reply = dp_channel_get_timeout (to, REPLY_TIMEOUT_USEC, &call_error);
        if (reply != NULL)
          answered++;
        else
          {
            failed++;
            /* The server may have been restarted: connect again next time. */
            g_clear_object (&server->channel);
          }
        if (sent % LOG_EVERY == 0)
          {
            g_autofree char *line = g_strdup_printf ("%s: %" G_GUINT64_FORMAT " pings, %" G_GUINT64_FORMAT
                                                     " answered, %" G_GUINT64_FORMAT " failed",
                                                     name, sent, answered, failed);
            dp_log_message (DP_LOG_INFO, line);
          }
      }
    }
}

G_MODULE_EXPORT void chat_flaky (DpChannel *channel);

void
chat_flaky (DpChannel *channel)
{
  gint64 seconds = 20;
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  guint64 count = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = NULL;
      gint64 now = g_get_monotonic_time ();

      if (now >= end)
        break;
      message = dp_channel_get_timeout (channel, end - now, &error);
      if (message == NULL && error != NULL)
        return;
      if (message == NULL)
        continue;
      if (g_variant_is_of_type (message, G_VARIANT_TYPE_INT64) && count == 0)
        {
          seconds = g_variant_get_int64 (message);
          end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
        }
      count++;
      dp_channel_put (channel, g_variant_new_parsed ("{'flaky': <%s>, 'ends-in': <%d>}",
                                                     place_name ("flaky"),
                                                     (end - g_get_monotonic_time ()) / (double) G_USEC_PER_SEC),
                      NULL);
    }

  {
    g_autofree char *line = g_strdup_printf ("%s: failing after %" G_GINT64_FORMAT " s, on purpose",
                                             place_name ("flaky"), seconds);
    dp_log_message (DP_LOG_WARNING, line);
  }
  dp_place_exit (1);
}
