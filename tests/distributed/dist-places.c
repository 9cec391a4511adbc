/* dist-places.c: place functions the multi-node tests run on spawned nodes
 * (built as dist-places.so, found through DPLACES_PLUGIN_PATH here and
 * through the --plugin-dir options the test process passes its nodes)
 *
 * Every place talks to the test only through channels, and reports what
 * it saw as a message: a check that fails on a node becomes a message the
 * test asserts on. None of them prints to standard output, which a
 * spawned node forwards to the test's TAP stream.
 *
 *   named_server_place   the named place: answers ("square", x) with
 *                        ("square", x²) and ("count", _) with how many
 *                        squares it computed, for every client
 *   named_client_place   connects to a named place by host and port, asks
 *                        it for squares, checks every answer, reports
 *   stream_place         streams N numbered messages to its creator while
 *                        receiving N from it, checks their order, reports
 *   pair_place           plays ping or pong over a channel it was sent
 *   pair_maker_place     makes a channel pair on its node, sends one end
 *                        to its creator and plays ping on the other
 *   hold_place           answers one message, then blocks in a get
 *   echo_place           answers each message with itself
 *   slow_consumer_place  waits to be told, then gets a stream of numbered
 *                        messages slowly, checks them and its memory
 *   stream_maker_place   makes a channel pair, sends one end to its creator
 *                        and puts a stream of numbered messages on the other
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dplaces/dplaces.h>

#include "slow-consumer.h"

G_MODULE_EXPORT void named_server_place (DpChannel *ch);
G_MODULE_EXPORT void named_client_place (DpChannel *ch);
G_MODULE_EXPORT void stream_place       (DpChannel *ch);
G_MODULE_EXPORT void pair_place         (DpChannel *ch);
G_MODULE_EXPORT void pair_maker_place   (DpChannel *ch);
G_MODULE_EXPORT void hold_place         (DpChannel *ch);
G_MODULE_EXPORT void echo_place         (DpChannel *ch);
G_MODULE_EXPORT void slow_consumer_place (DpChannel *ch);
G_MODULE_EXPORT void stream_maker_place (DpChannel *ch);

/* Long enough never to trip on a loaded machine, short enough that a lost
 * message fails the test before meson's timeout. */
#define PLACE_WAIT_USEC (20 * G_USEC_PER_SEC)

/* ── the named place and its clients ───────────────────────────────── */

/* Requests and replies are (sx): an operation and a number. */
static GVariant *
serve_request (GVariant *request,
               gint64   *squares)
{
  const char *op;
  gint64 x;

  if (!g_variant_is_of_type (request, G_VARIANT_TYPE ("(sx)")))
    return g_variant_new ("(sx)", "error", (gint64) 0);

  g_variant_get (request, "(&sx)", &op, &x);
  if (g_str_equal (op, "square"))
    {
      (*squares)++;
      return g_variant_new ("(sx)", "square", x * x);
    }
  if (g_str_equal (op, "count"))
    return g_variant_new ("(sx)", "count", *squares);
  return g_variant_new ("(sx)", "error", (gint64) 0);
}

/* A client's message comes wrapped as (message, reply); its creator's
 * comes bare and is answered on the place's own channel. A creator's
 * ("stop", _) ends the place. */
G_MODULE_EXPORT void
named_server_place (DpChannel *ch)
{
  gint64 squares = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = dp_channel_get (ch, &error);
      g_autoptr(GVariant) request = NULL;
      g_autoptr(DpChannel) reply = NULL;
      DpChannel *answer_on = ch;

      if (message == NULL)
        return;     /* the creator is gone */

      if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(vh)")))
        {
          request = dp_named_place_message_unwrap (message, &reply, &error);
          if (request == NULL)
            {
              dp_log_message (DP_LOG_ERROR, error->message);
              continue;
            }
          answer_on = reply;
        }
      else
        {
          request = g_variant_ref (message);
          if (g_variant_is_of_type (request, G_VARIANT_TYPE ("(sx)")))
            {
              const char *op;

              g_variant_get (request, "(&sx)", &op, NULL);
              if (g_str_equal (op, "stop"))
                {
                  dp_channel_put (ch, g_variant_new ("(sx)", "stopped", squares), NULL);
                  return;
                }
            }
        }

      if (!dp_channel_put (answer_on, serve_request (request, &squares), &error))
        dp_log_message (DP_LOG_ERROR, error->message);
    }
}

/* Its creator sends (host, port, name, id, n): connect to the named place
 * there, ask for the squares of id·1000 + 0 … n - 1, check each answer,
 * then report (id, answers right, first problem or "", seconds connecting,
 * seconds asking). */
G_MODULE_EXPORT void
named_client_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);
  g_autoptr(DpRemoteConnection) server = NULL;
  g_autofree char *problem = NULL;
  const char *host, *name;
  guint16 port;
  gint32 id, n, right = 0;
  gint64 start = g_get_monotonic_time (), connected = start;

  if (config == NULL)
    return;
  if (!g_variant_is_of_type (config, G_VARIANT_TYPE ("(sqsii)")))
    {
      dp_channel_put (ch, g_variant_new ("(iisdd)", -1, 0, "bad configuration", 0.0, 0.0), NULL);
      return;
    }
  g_variant_get (config, "(&sq&sii)", &host, &port, &name, &id, &n);

  server = dp_connect_to_named_place_at (host, port, name, &error);
  connected = g_get_monotonic_time ();
  if (server == NULL)
    {
      problem = g_strdup_printf ("connecting to %s at %s:%u: %s", name, host, port, error->message);
      goto report;
    }

  for (gint32 i = 0; i < n; i++)
    {
      gint64 x = (gint64) id * 1000 + i;
      g_autoptr(GVariant) answer = NULL;
      const char *op;
      gint64 value;

      if (!dp_channel_put (DP_CHANNEL (server), g_variant_new ("(sx)", "square", x), &error))
        {
          problem = g_strdup_printf ("request %d: put: %s", i, error->message);
          break;
        }
      answer = dp_channel_get_timeout (DP_CHANNEL (server), PLACE_WAIT_USEC, &error);
      if (answer == NULL)
        {
          problem = g_strdup_printf ("request %d: get: %s", i,
                                     error != NULL ? error->message : "no answer");
          break;
        }
      if (!g_variant_is_of_type (answer, G_VARIANT_TYPE ("(sx)")))
        {
          problem = g_strdup_printf ("request %d: answer of type %s", i,
                                     g_variant_get_type_string (answer));
          break;
        }
      g_variant_get (answer, "(&sx)", &op, &value);
      if (!g_str_equal (op, "square") || value != x * x)
        {
          problem = g_strdup_printf ("request %d: square of %" G_GINT64_FORMAT
                                     " answered as (%s, %" G_GINT64_FORMAT ")",
                                     i, x, op, value);
          break;
        }
      right++;
    }

report:
  dp_channel_put (ch, g_variant_new ("(iisdd)", id, right, problem != NULL ? problem : "",
                                     (connected - start) / (gdouble) G_USEC_PER_SEC,
                                     (g_get_monotonic_time () - connected) / (gdouble) G_USEC_PER_SEC),
                  NULL);
}

/* ── streaming ─────────────────────────────────────────────────────── */

typedef struct {
  DpChannel *ch;
  guint64 n;
  guint64 sent;
  char *problem;
} Streamer;

static gpointer
stream_out_thread (gpointer data)
{
  Streamer *streamer = data;
  g_autoptr(GError) error = NULL;

  for (guint64 i = 0; i < streamer->n; i++)
    {
      if (!dp_channel_put (streamer->ch, g_variant_new_uint64 (i), &error))
        {
          streamer->problem = g_strdup_printf ("put %" G_GUINT64_FORMAT ": %s", i, error->message);
          break;
        }
      streamer->sent++;
    }
  return NULL;
}

/* Its creator sends N (t). The place then puts 0 … N - 1 (t) from one
 * thread while it gets N numbers on another and checks they come
 * 0 … N - 1. Then it reports (received, out of order, sent, problem). */
G_MODULE_EXPORT void
stream_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);
  g_autofree char *problem = NULL;
  Streamer streamer = { ch, 0, 0, NULL };
  guint64 received = 0, out_of_order = 0;
  GThread *thread;

  if (config == NULL || !g_variant_is_of_type (config, G_VARIANT_TYPE_UINT64))
    return;
  streamer.n = g_variant_get_uint64 (config);

  thread = g_thread_new ("stream-out", stream_out_thread, &streamer);

  while (received < streamer.n)
    {
      g_autoptr(GVariant) message = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);

      if (message == NULL)
        {
          problem = g_strdup_printf ("after %" G_GUINT64_FORMAT " messages: %s", received,
                                     error != NULL ? error->message : "nothing came");
          break;
        }
      if (!g_variant_is_of_type (message, G_VARIANT_TYPE_UINT64) ||
          g_variant_get_uint64 (message) != received)
        {
          if (out_of_order == 0)
            {
              g_autofree char *text = g_variant_print (message, TRUE);

              problem = g_strdup_printf ("message %" G_GUINT64_FORMAT " was %s", received, text);
            }
          out_of_order++;
        }
      received++;
    }

  g_thread_join (thread);
  if (problem == NULL && streamer.problem != NULL)
    problem = g_strdup (streamer.problem);
  g_free (streamer.problem);

  dp_channel_put (ch, g_variant_new ("(ttts)", received, out_of_order, streamer.sent,
                                     problem != NULL ? problem : ""),
                  NULL);
}

/* ── channels sent across nodes ────────────────────────────────────── */

/* ping puts 0 … n - 1 on @channel and expects 2i + 1 back for each;
 * pong answers n numbers x with 2x + 1. Returns how many rounds went
 * right; sets @problem on the first that did not. */
static gint64
play (const char  *role,
      DpChannel   *channel,
      gint64       n,
      char       **problem)
{
  gboolean ping = g_str_equal (role, "ping");
  gint64 done = 0;

  for (gint64 i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = NULL;

      if (ping && !dp_channel_put (channel, g_variant_new_int64 (i), &error))
        {
          *problem = g_strdup_printf ("%s round %" G_GINT64_FORMAT ": put: %s", role, i,
                                      error->message);
          break;
        }
      message = dp_channel_get_timeout (channel, PLACE_WAIT_USEC, &error);
      if (message == NULL)
        {
          *problem = g_strdup_printf ("%s round %" G_GINT64_FORMAT ": get: %s", role, i,
                                      error != NULL ? error->message : "nothing came");
          break;
        }
      if (!g_variant_is_of_type (message, G_VARIANT_TYPE_INT64))
        {
          *problem = g_strdup_printf ("%s round %" G_GINT64_FORMAT ": got type %s", role, i,
                                      g_variant_get_type_string (message));
          break;
        }
      if (ping && g_variant_get_int64 (message) != 2 * i + 1)
        {
          *problem = g_strdup_printf ("ping round %" G_GINT64_FORMAT ": got %" G_GINT64_FORMAT,
                                      i, g_variant_get_int64 (message));
          break;
        }
      if (!ping && !dp_channel_put (channel, g_variant_new_int64 (2 * g_variant_get_int64 (message) + 1),
                                    &error))
        {
          *problem = g_strdup_printf ("pong round %" G_GINT64_FORMAT ": put: %s", i, error->message);
          break;
        }
      done++;
    }
  return done;
}

/* Its creator sends (role, channel, n), role being "ping" or "pong"; it
 * plays n rounds on the channel and reports (role, rounds, problem). */
G_MODULE_EXPORT void
pair_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(DpChannel) channel = NULL;
  g_autofree char *problem = NULL;
  const char *role;
  gint64 n, done = 0;

  if (config == NULL)
    return;
  if (!g_variant_is_of_type (config, G_VARIANT_TYPE ("(shx)")))
    {
      dp_channel_put (ch, g_variant_new ("(sxs)", "?", (gint64) 0, "bad configuration"), NULL);
      return;
    }
  g_variant_get (config, "(&s@hx)", &role, &handle, &n);

  channel = dp_channel_from_variant (handle, &error);
  if (channel == NULL)
    problem = g_strdup_printf ("%s: the channel: %s", role, error->message);
  else
    done = play (role, channel, n, &problem);

  dp_channel_put (ch, g_variant_new ("(sxs)", role, done, problem != NULL ? problem : ""), NULL);
}

/* Its creator sends n (x). It makes a channel pair here, sends one end to
 * its creator as (h), plays ping on the other for n rounds, and reports
 * ("ping", rounds, problem). */
G_MODULE_EXPORT void
pair_maker_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autofree char *problem = NULL;
  gint64 done = 0;

  if (config == NULL || !g_variant_is_of_type (config, G_VARIANT_TYPE_INT64))
    return;

  dp_place_channel_new_pair (&mine, &theirs);
  if (!dp_channel_put (ch, g_variant_new ("(@h)", dp_channel_to_variant (DP_CHANNEL (theirs))),
                       &error))
    problem = g_strdup_printf ("sending the channel: %s", error->message);
  else
    done = play ("ping", DP_CHANNEL (mine), g_variant_get_int64 (config), &problem);

  dp_channel_put (ch, g_variant_new ("(sxs)", "ping", done, problem != NULL ? problem : ""), NULL);
}

/* ── dying nodes, hostile peers ─────────────────────────────────────── */

/* Answers its first message with itself, then blocks in a get until its
 * channel dies. */
G_MODULE_EXPORT void
hold_place (DpChannel *ch)
{
  g_autoptr(GVariant) first = dp_channel_get (ch, NULL);
  g_autoptr(GVariant) never = NULL;

  if (first == NULL || !dp_channel_put (ch, first, NULL))
    return;
  never = dp_channel_get (ch, NULL);
}

/* Answers each message with itself until its channel dies. */
G_MODULE_EXPORT void
echo_place (DpChannel *ch)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (ch, NULL);

      if (message == NULL || !dp_channel_put (ch, message, NULL))
        return;
    }
}

/* ── a slow consumer ───────────────────────────────────────────────── */

/* Checks message @seq of the stream (slow-consumer.h); returns what is
 * wrong with it, or NULL. */
static char *
check_streamed (GVariant     *message,
                guint64       seq,
                gsize         size,
                const guint8 *pattern)
{
  g_autoptr(GVariant) bytes = NULL;
  const guint8 *data;
  guint64 got;
  gsize length;

  if (!g_variant_is_of_type (message, G_VARIANT_TYPE ("(tay)")))
    return g_strdup_printf ("message %" G_GUINT64_FORMAT " is of type %s", seq,
                            g_variant_get_type_string (message));
  g_variant_get (message, "(t@ay)", &got, &bytes);
  if (got != seq)
    return g_strdup_printf ("message %" G_GUINT64_FORMAT " came as number %" G_GUINT64_FORMAT,
                            seq, got);
  data = g_variant_get_fixed_array (bytes, &length, 1);
  if (length != size || memcmp (data, slow_pattern_at (pattern, seq), size) != 0)
    return g_strdup_printf ("message %" G_GUINT64_FORMAT ": its %" G_GSIZE_FORMAT
                            " bytes are not the ones sent", seq, length);
  return NULL;
}

/* Its creator sends (gate, data, n, size, pause): a channel, maybe the
 * channel the stream comes on (else its own), how many messages of how
 * many bytes will come, and how long to pause after each get, in
 * microseconds. The place makes this process's peak memory start again
 * from now, answers ("ready", resident KiB), waits for anything on the
 * gate, then gets the n messages (slow-consumer.h), pausing after each,
 * and answers ("done", messages right, first problem or "", peak
 * resident KiB since ready). */
G_MODULE_EXPORT void
slow_consumer_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GVariant) data_handle = NULL;
  g_autoptr(GVariant) go = NULL;
  g_autoptr(DpChannel) gate = NULL;
  g_autoptr(DpChannel) data = NULL;
  g_autofree guint8 *pattern = NULL;
  g_autofree char *problem = NULL;
  guint64 n, right = 0;
  guint32 size, pause_usec;

  if (config == NULL)
    return;
  if (!g_variant_is_of_type (config, G_VARIANT_TYPE ("(hmhtuu)")))
    {
      dp_channel_put (ch, g_variant_new ("(stst)", "done", (guint64) 0, "bad configuration", (guint64) 0),
                      NULL);
      return;
    }
  g_variant_get (config, "(@hm@htuu)", &handle, &data_handle, &n, &size, &pause_usec);
  gate = dp_channel_from_variant (handle, &error);
  if (gate != NULL)
    data = data_handle != NULL ? dp_channel_from_variant (data_handle, &error) : g_object_ref (ch);
  pattern = slow_pattern_new (size);

  if (data == NULL || !slow_reset_peak (0))
    {
      dp_channel_put (ch, g_variant_new ("(st)", "ready", (guint64) 0), NULL);
      problem = data == NULL ? g_strdup_printf ("the channels: %s", error->message)
                             : g_strdup ("cannot reset the peak resident size");
      goto report;
    }
  /* A channel sent here is taken at its first read: let its sender hear
   * it will be read here before we say we are ready, so before the stream
   * starts (it would pile up where it was made: local channels have no
   * window). */
  if (data != ch)
    {
      g_autoptr(GVariant) early = dp_channel_try_get (data, &error);

      if (early != NULL || error != NULL)
        {
          dp_channel_put (ch, g_variant_new ("(st)", "ready", (guint64) 0), NULL);
          problem = g_strdup ("the stream started before its consumer was ready");
          goto report;
        }
    }
  if (!dp_channel_put (ch, g_variant_new ("(st)", "ready", slow_status_kib (0, "VmRSS")), &error))
    return;

  /* Meanwhile the window fills and the sender waits. */
  go = dp_channel_get_timeout (gate, PLACE_WAIT_USEC, &error);
  if (go == NULL)
    {
      problem = g_strdup_printf ("the gate: %s", error != NULL ? error->message : "nothing came");
      goto report;
    }

  for (guint64 i = 0; i < n; i++)
    {
      g_autoptr(GVariant) message = dp_channel_get_timeout (data, PLACE_WAIT_USEC, &error);

      if (message == NULL)
        {
          problem = g_strdup_printf ("after %" G_GUINT64_FORMAT " messages: %s", i,
                                     error != NULL ? error->message : "nothing came");
          break;
        }
      problem = check_streamed (message, i, size, pattern);
      if (problem != NULL)
        break;
      right++;
      /* Slow on purpose: that is the scenario. */
      g_usleep (pause_usec);
    }

report:
  dp_channel_put (ch, g_variant_new ("(stst)", "done", right, problem != NULL ? problem : "",
                                     slow_status_kib (0, "VmHWM")),
                  NULL);
}

/* Its creator sends (n, size). The place makes a channel pair, sends one
 * end to its creator as (h), waits for its creator's next message, and
 * puts the stream of n messages of size bytes (slow-consumer.h) on the
 * other end as fast as it can; then it answers
 * ("produced", messages put, first problem or "") and waits for its
 * channel to close, holding its end of the pair until then. */
G_MODULE_EXPORT void
stream_maker_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) config = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);
  g_autoptr(GVariant) go = NULL;
  g_autoptr(GVariant) end = NULL;
  g_autoptr(DpPlaceChannel) mine = NULL;
  g_autoptr(DpPlaceChannel) theirs = NULL;
  g_autofree guint8 *pattern = NULL;
  g_autofree char *problem = NULL;
  guint64 n, sent = 0;
  guint32 size;

  if (config == NULL || !g_variant_is_of_type (config, G_VARIANT_TYPE ("(tu)")))
    return;
  g_variant_get (config, "(tu)", &n, &size);
  pattern = slow_pattern_new (size);

  dp_place_channel_new_pair (&mine, &theirs);
  if (!dp_channel_put (ch, g_variant_new ("(@h)", dp_channel_to_variant (DP_CHANNEL (theirs))), &error))
    return;
  /* Until the receiver takes the channel, what is put piles up here. */
  go = dp_channel_get_timeout (ch, PLACE_WAIT_USEC, &error);
  if (go == NULL)
    return;
  for (guint64 i = 0; i < n; i++)
    {
      GVariant *bytes = g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, slow_pattern_at (pattern, i),
                                                 size, TRUE, NULL, NULL);

      if (!dp_channel_put (DP_CHANNEL (mine), g_variant_new ("(t@ay)", i, bytes), &error))
        {
          problem = g_strdup_printf ("put %" G_GUINT64_FORMAT ": %s", i, error->message);
          break;
        }
      sent++;
    }
  dp_channel_put (ch, g_variant_new ("(sts)", "produced", sent, problem != NULL ? problem : ""), NULL);
  end = dp_channel_get (ch, NULL);
}
