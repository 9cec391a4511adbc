/* faults-places.c: place functions the fault tests run on their nodes
 * (built as faults-places.so, found through DPLACES_PLUGIN_PATH here and
 * through the --plugin-dir options the test passes the nodes it spawns)
 *
 *   echo_place     answers each message with itself, "pid?" with its
 *                  process id (i); named, it answers each client on the
 *                  client's reply channel, and a client that went away
 *                  does not stop it
 *   pinger_place   connects to a named place by host and port and runs
 *                  numbered round trips with it (faults-traffic.c),
 *                  reporting to its creator when asked
 *   waiting_place  answers its creator's "pid?", then waits forever on a
 *                  channel of its own making
 *   busy_place     answers its creator's "pid?", then computes, never
 *                  touching a channel again (for FAULTS_BUSY_USEC at most)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <unistd.h>

#include <dplaces/dplaces.h>

#include "faults-places.h"
#include "faults-traffic.h"

G_MODULE_EXPORT void echo_place    (DpChannel *ch);
G_MODULE_EXPORT void pinger_place  (DpChannel *ch);
G_MODULE_EXPORT void waiting_place (DpChannel *ch);
G_MODULE_EXPORT void busy_place    (DpChannel *ch);

/* The answer to @message, to put: @message itself, or a floating one. */
static GVariant *
answer (GVariant *message)
{
  if (g_variant_is_of_type (message, G_VARIANT_TYPE_STRING) &&
      g_str_equal (g_variant_get_string (message, NULL), "pid?"))
    return g_variant_new ("(i)", (gint32) getpid ());
  return message;
}

G_MODULE_EXPORT void
echo_place (DpChannel *ch)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = dp_channel_get (ch, &error);
      g_autoptr(GVariant) request = NULL;
      g_autoptr(DpChannel) reply = NULL;

      if (message == NULL)
        return;     /* the creator is gone */

      if (!g_variant_is_of_type (message, G_VARIANT_TYPE ("(vh)")))
        {
          if (!dp_channel_put (ch, answer (message), NULL))
            return;
          continue;
        }

      request = dp_named_place_message_unwrap (message, &reply, &error);
      /* A client that is gone is no reason to stop serving the others. */
      if (request != NULL)
        dp_channel_put (reply, answer (request), NULL);
    }
}

static void
report (DpChannel     *ch,
        const char    *kind,
        FaultsTraffic *traffic)
{
  g_autofree char *why = faults_traffic_why (traffic);

  dp_channel_put (ch, g_variant_new (FAULTS_REPORT_TYPE, kind, traffic->received, traffic->sent,
                                     (gint32) faults_traffic_code (traffic), why),
                  NULL);
}

/* Between round trips: answers the creator's "progress" and sees its
 * "stop". */
static gboolean
pinger_check (FaultsTraffic *traffic,
              gpointer       data)
{
  DpChannel *ch = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) command = dp_channel_try_get (ch, &error);
      const char *what;

      if (error != NULL)
        return TRUE;    /* the creator is gone */
      if (command == NULL)
        return FALSE;
      if (!g_variant_is_of_type (command, G_VARIANT_TYPE_STRING))
        continue;
      what = g_variant_get_string (command, NULL);
      if (g_str_equal (what, "stop"))
        return TRUE;
      if (g_str_equal (what, "progress"))
        report (ch, "progress", traffic);
    }
}

/* Its creator sends FAULTS_PINGER_CONFIG_TYPE: (host, port, name, window,
 * get timeout, progress every). It connects to the named place there and
 * runs the traffic until its creator says "stop", or something fails;
 * then it reports ("done", received, sent, error code, why). */
G_MODULE_EXPORT void
pinger_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get (ch, &error);
  g_autoptr(DpRemoteConnection) server = NULL;
  FaultsTraffic traffic = { 0 };
  const char *host, *name;
  guint16 port;

  if (config == NULL || !g_variant_is_of_type (config, G_VARIANT_TYPE (FAULTS_PINGER_CONFIG_TYPE)))
    return;
  g_variant_get (config, "(&sq&suxu)", &host, &port, &name, &traffic.window,
                 &traffic.get_timeout_usec, &traffic.progress_every);

  server = dp_connect_to_named_place_at (host, port, name, &traffic.error);
  if (server != NULL)
    {
      traffic.channel = DP_CHANNEL (server);
      traffic.check = pinger_check;
      traffic.check_data = ch;
      faults_traffic_run (&traffic);
    }
  report (ch, "done", &traffic);
  faults_traffic_clear (&traffic);
}

/* Answers the first message, "pid?", on @ch. */
static gboolean
answer_first (DpChannel *ch)
{
  g_autoptr(GVariant) question = dp_channel_get (ch, NULL);

  return question != NULL && dp_channel_put (ch, answer (question), NULL);
}

/* Nothing its creator does reaches it: it holds both ends of the channel
 * it waits on. */
G_MODULE_EXPORT void
waiting_place (DpChannel *ch)
{
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autoptr(GVariant) never = NULL;

  dp_place_channel_new_pair (&mine, &theirs);
  if (!answer_first (ch))
    return;
  never = dp_channel_get (DP_CHANNEL (mine), NULL);
}

G_MODULE_EXPORT void
busy_place (DpChannel *ch)
{
  gint64 give_up = g_get_monotonic_time () + FAULTS_BUSY_USEC;
  volatile guint64 sum = 0;

  if (!answer_first (ch))
    return;
  while (g_get_monotonic_time () < give_up)
    for (guint i = 0; i < 1000000; i++)
      sum += i;
}
