/* dplaces-bench-soak.c: the worker place of `dplaces bench soak`
 *
 * dp_bench_soak_worker runs as a named place of the processes backend on
 * every node, supervised from the host, which kills it now and then. It
 * sends and receives at once, in one thread that never blocks on one
 * channel while another has work:
 *
 *   - it says hello to the host (its pid, and a nonce so that a config
 *     meant for an incarnation that died meanwhile is not taken for its
 *     own), and gets its serial and its peers: named workers on other
 *     nodes;
 *   - to each peer it streams numbered messages through a connection to
 *     the named place, at most SOAK_WINDOW unacknowledged, and connects
 *     again (a new stream) when the peer dies;
 *   - as a named place it gets the other workers' streams, checks that
 *     each message comes once, in order and intact, and acknowledges
 *     every SOAK_ACK_EVERY on the stream's reply channel;
 *   - it reports its counts to the host every REPORT_USEC; on "drain" it
 *     stops sending, flushes every stream and waits until all it sent is
 *     acknowledged, then reports "drained"; on "report" it reports "final".
 *
 * The protocol is in dp-bench-soak-private.h; the host's side, and what
 * the counts mean, in tools/dp-bench-soak.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include <string.h>
#include <unistd.h>

#include <dplaces/dplaces.h>

#include "dp-bench-soak-private.h"

G_MODULE_EXPORT void dp_bench_soak_worker (DpChannel *channel);

#define REPORT_USEC (250 * 1000)
/* A peer that was not there: try again this much later (it is being
 * restarted). */
#define RETRY_USEC (100 * 1000)
/* Per round, so that no channel starves the others. */
#define SEND_BURST 16
#define RECEIVE_BURST 256
/* A drain this slow is stuck: the worker says on what. */
#define DRAIN_SLOW_USEC (20 * G_USEC_PER_SEC)

typedef enum {
  OUT_IDLE,     /* not connected: connects at retry_at */
  OUT_OPENING,  /* "open" sent, waiting for the first acknowledgement */
  OUT_OPEN,     /* streaming */
  OUT_DONE,     /* drained, or not connected when the drain came */
} OutState;

typedef struct {
  guint slot;
  char *host;
  guint16 port;
  char *name;
  DpChannel *connection;
  OutState state;
  guint32 attempt;
  guint64 key;
  guint32 receiver;   /* the receiver's serial, from its first acknowledgement */
  guint64 sent;
  guint64 acked;
  gboolean flushed;
  gint64 retry_at;
} OutStream;

typedef struct {
  guint64 received;
  guint64 last_seq;
  guint64 gaps;
  guint64 bad;
  DpChannel *reply;
  gboolean ack_owed;  /* asked for before we had a serial */
} InStream;

typedef struct {
  DpChannel *channel;
  guint64 nonce;
  guint32 serial;     /* 0 until configured */
  GPtrArray *out;     /* OutStream* */
  GArray *ended;      /* OutReport: streams that ended, reported once more */
  GHashTable *in;     /* guint64 key → InStream* */
  gboolean draining;
  gboolean drained;
  gint64 drain_started;
  gboolean told_slow;
} Worker;

typedef struct {
  guint64 key;
  guint32 receiver;
  guint64 sent;
  guint64 acked;
} OutReport;

static void
out_stream_free (OutStream *stream)
{
  g_clear_object (&stream->connection);
  g_free (stream->host);
  g_free (stream->name);
  g_free (stream);
}

static void
in_stream_free (InStream *stream)
{
  g_clear_object (&stream->reply);
  g_free (stream);
}

static void
send_report (Worker     *self,
             const char *tag)
{
  GVariantBuilder out, in;
  GHashTableIter iter;
  gpointer key, value;

  g_variant_builder_init (&out, G_VARIANT_TYPE ("a(tutt)"));
  for (guint i = 0; i < self->ended->len; i++)
    {
      OutReport *r = &g_array_index (self->ended, OutReport, i);

      g_variant_builder_add (&out, "(tutt)", r->key, r->receiver, r->sent, r->acked);
    }
  g_array_set_size (self->ended, 0);
  for (guint i = 0; i < self->out->len; i++)
    {
      OutStream *s = g_ptr_array_index (self->out, i);

      if (s->state == OUT_OPEN)
        g_variant_builder_add (&out, "(tutt)", s->key, s->receiver, s->sent, s->acked);
    }

  g_variant_builder_init (&in, G_VARIANT_TYPE ("a(tttt)"));
  g_hash_table_iter_init (&iter, self->in);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      InStream *s = value;

      g_variant_builder_add (&in, "(tttt)", *(guint64 *) key, s->received, s->gaps, s->bad);
    }

  /* If the host is gone, the next get on our channel says so. */
  dp_channel_put (self->channel, g_variant_new (SOAK_REPORT_TYPE, tag, self->serial, &out, &in), NULL);
}

/* The stream ended: by a failure (the peer died), or drained. What it
 * counted goes in the next report. */
static void
end_stream (Worker    *self,
            OutStream *s,
            gint64     now)
{
  if (s->receiver != 0)
    {
      OutReport r = { s->key, s->receiver, s->sent, s->acked };
      g_array_append_val (self->ended, r);
    }
  g_clear_object (&s->connection);
  s->receiver = 0;
  s->sent = s->acked = 0;
  s->flushed = FALSE;
  s->state = self->draining ? OUT_DONE : OUT_IDLE;
  s->retry_at = now + RETRY_USEC;
}

static void
acknowledge (Worker   *self,
             InStream *s)
{
  if (s->reply == NULL)
    return;
  if (self->serial == 0)
    {
      s->ack_owed = TRUE;
      return;
    }
  s->ack_owed = FALSE;
  /* A sender that is gone closed its reply channel. */
  if (!dp_channel_put (s->reply, g_variant_new (SOAK_ACK_TYPE, self->serial, s->received), NULL))
    g_clear_object (&s->reply);
}

static InStream *
in_stream (Worker    *self,
           guint64    key,
           DpChannel *reply)
{
  InStream *s = g_hash_table_lookup (self->in, &key);

  if (s == NULL)
    {
      guint64 *k = g_new (guint64, 1);

      *k = key;
      s = g_new0 (InStream, 1);
      g_hash_table_insert (self->in, k, s);
    }
  if (s->reply == NULL && reply != NULL)
    s->reply = g_object_ref (reply);
  return s;
}

static gboolean
payload_is_intact (guint64   key,
                   guint64   seq,
                   GVariant *payload)
{
  gsize size;
  const guint8 *bytes = g_variant_get_fixed_array (payload, &size, 1);

  if (size != soak_payload_size (seq))
    return FALSE;
  for (gsize i = 0; i < size; i++)
    if (bytes[i] != soak_payload_byte (key, seq, i))
      return FALSE;
  return TRUE;
}

static GVariant *
make_payload (guint64 key,
              guint64 seq)
{
  gsize size = soak_payload_size (seq);
  guint8 *bytes = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    bytes[i] = soak_payload_byte (key, seq, i);
  return g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, bytes, size, TRUE, g_free, bytes);
}

/* A message from another worker's stream. */
static void
handle_stream_message (Worker    *self,
                       GVariant  *message,
                       DpChannel *reply)
{
  if (g_variant_is_of_type (message, G_VARIANT_TYPE (SOAK_DATA_TYPE)))
    {
      g_autoptr(GVariant) payload = NULL;
      guint64 key, seq;
      InStream *s;

      g_variant_get (message, "(tt@ay)", &key, &seq, &payload);
      s = in_stream (self, key, reply);
      if (seq <= s->last_seq)
        {
          /* Twice, or out of order. */
          s->bad++;
          return;
        }
      /* Messages skipped are lost: a channel keeps its order, so they
       * cannot come any more. */
      s->gaps += seq - s->last_seq - 1;
      s->last_seq = seq;
      if (!payload_is_intact (key, seq, payload))
        {
          s->bad++;
          return;
        }
      s->received++;
      if (s->received % SOAK_ACK_EVERY == 0)
        acknowledge (self, s);
    }
  else if (g_variant_is_of_type (message, G_VARIANT_TYPE (SOAK_CONTROL_TYPE)))
    {
      guint64 key;

      g_variant_get (message, "(&st)", NULL, &key);
      acknowledge (self, in_stream (self, key, reply));
    }
  else
    g_warning ("soak worker: a stream message of type %s", g_variant_get_type_string (message));
}

static void
configure (Worker   *self,
           GVariant *config)
{
  g_autoptr(GVariantIter) peers = NULL;
  GHashTableIter iter;
  gpointer value;
  const char *host, *name;
  guint64 nonce;
  guint32 serial;
  guint16 port;

  g_variant_get (config, SOAK_CONFIG_TYPE, NULL, &nonce, &serial, &peers);
  /* Meant for an earlier incarnation, or said twice. */
  if (nonce != self->nonce || self->serial != 0)
    return;
  self->serial = serial;
  while (g_variant_iter_next (peers, "(&sq&s)", &host, &port, &name))
    {
      OutStream *s = g_new0 (OutStream, 1);

      s->slot = self->out->len;
      s->host = g_strdup (host);
      s->port = port;
      s->name = g_strdup (name);
      g_ptr_array_add (self->out, s);
    }

  g_hash_table_iter_init (&iter, self->in);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((InStream *) value)->ack_owed)
      acknowledge (self, value);
}

/* A message on our own channel. Returns FALSE when the place should end. */
static gboolean
handle_message (Worker   *self,
                GVariant *message)
{
  const char *command;

  if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(vh)")))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DpChannel) reply = NULL;
      g_autoptr(GVariant) inner = dp_named_place_message_unwrap (message, &reply, &error);

      if (inner == NULL)
        g_warning ("soak worker: %s", error->message);
      else
        handle_stream_message (self, inner, reply);
      return TRUE;
    }

  if (g_variant_is_of_type (message, G_VARIANT_TYPE (SOAK_CONFIG_TYPE)))
    configure (self, message);
  else if (g_variant_is_of_type (message, G_VARIANT_TYPE (SOAK_COMMAND_TYPE)))
    {
      g_variant_get (message, "(&s)", &command);
      if (g_str_equal (command, "drain") && !self->draining)
        {
          self->draining = TRUE;
          self->drain_started = g_get_monotonic_time ();
        }
      else if (g_str_equal (command, "report"))
        send_report (self, "final");
    }
  else
    g_warning ("soak worker: a message of type %s", g_variant_get_type_string (message));
  return TRUE;
}

static void
handle_ack (Worker    *self,
            OutStream *s,
            GVariant  *ack,
            gint64     now)
{
  guint32 receiver;
  guint64 count;

  if (!g_variant_is_of_type (ack, G_VARIANT_TYPE (SOAK_ACK_TYPE)))
    {
      g_warning ("soak worker: an acknowledgement of type %s", g_variant_get_type_string (ack));
      return;
    }
  g_variant_get (ack, SOAK_ACK_TYPE, &receiver, &count);
  if (s->state == OUT_OPENING)
    {
      s->receiver = receiver;
      s->state = OUT_OPEN;
    }
  s->acked = MAX (s->acked, count);
  if (self->draining && s->flushed && s->acked >= s->sent)
    end_stream (self, s, now);
}

/* Moves one stream on; returns TRUE if it did anything. */
static gboolean
step_stream (Worker    *self,
             OutStream *s,
             gint64     now)
{
  g_autoptr(GError) error = NULL;
  gboolean busy = FALSE;

  switch (s->state)
    {
    case OUT_DONE:
      return FALSE;

    case OUT_IDLE:
      if (self->draining)
        {
          s->state = OUT_DONE;
          return TRUE;
        }
      if (self->serial == 0 || now < s->retry_at)
        return FALSE;
      s->connection = DP_CHANNEL (dp_connect_to_named_place_at (s->host, s->port, s->name, &error));
      s->attempt++;
      s->key = soak_stream_key (self->serial, s->slot, s->attempt);
      if (s->connection == NULL ||
          !dp_channel_put (s->connection, g_variant_new (SOAK_CONTROL_TYPE, "open", s->key), NULL))
        {
          end_stream (self, s, now);
          return FALSE;
        }
      s->state = OUT_OPENING;
      return TRUE;

    case OUT_OPENING:
    case OUT_OPEN:
      for (;;)
        {
          g_autoptr(GVariant) ack = dp_channel_try_get (s->connection, &error);

          if (error != NULL)
            {
              end_stream (self, s, now);
              return TRUE;
            }
          if (ack == NULL)
            break;
          handle_ack (self, s, ack, now);
          if (s->state != OUT_OPEN && s->state != OUT_OPENING)
            return TRUE;
          busy = TRUE;
        }
      if (s->state != OUT_OPEN)
        return busy;

      if (self->draining)
        {
          if (s->flushed)
            return busy;
          s->flushed = TRUE;
          if (!dp_channel_put (s->connection, g_variant_new (SOAK_CONTROL_TYPE, "flush", s->key), NULL))
            end_stream (self, s, now);
          return TRUE;
        }

      for (guint i = 0; i < SEND_BURST && s->sent - s->acked < SOAK_WINDOW; i++)
        {
          guint64 seq = s->sent + 1;

          if (!dp_channel_put (s->connection,
                               g_variant_new ("(tt@ay)", s->key, seq, make_payload (s->key, seq)),
                               NULL))
            {
              end_stream (self, s, now);
              return TRUE;
            }
          s->sent = seq;
          busy = TRUE;
        }
      return busy;
    }
  g_assert_not_reached ();
}

static void
tell_slow_drain (Worker *self)
{
  static const char *states[] = { "idle", "opening", "open", "done" };
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_printf (text, "soak worker %d (serial %u): not drained after %d s:", (int) getpid (),
                   self->serial, (int) (DRAIN_SLOW_USEC / G_USEC_PER_SEC));
  for (guint i = 0; i < self->out->len; i++)
    {
      OutStream *s = g_ptr_array_index (self->out, i);

      if (s->state != OUT_DONE)
        g_string_append_printf (text, " [%s:%u %s, sent %" G_GUINT64_FORMAT ", acknowledged %"
                                G_GUINT64_FORMAT "]", s->name, s->port, states[s->state], s->sent,
                                s->acked);
    }
  g_printerr ("%s\n", text->str);
}

void
dp_bench_soak_worker (DpChannel *channel)
{
  Worker self = { 0 };
  g_autoptr(GPtrArray) waiting = g_ptr_array_new ();
  gint64 next_report = g_get_monotonic_time () + REPORT_USEC;

  self.channel = channel;
  self.nonce = ((guint64) g_random_int () << 32) | g_random_int ();
  self.out = g_ptr_array_new_with_free_func ((GDestroyNotify) out_stream_free);
  self.ended = g_array_new (FALSE, FALSE, sizeof (OutReport));
  self.in = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) in_stream_free);

  if (!dp_channel_put (channel, g_variant_new (SOAK_HELLO_TYPE, "hello", (gint32) getpid (), self.nonce),
                       NULL))
    goto out;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = NULL;
      gboolean busy = FALSE;
      gint64 now, deadline;
      guint index = 0;

      for (guint i = 0; i < RECEIVE_BURST; i++)
        {
          g_autoptr(GVariant) got = dp_channel_try_get (channel, &error);

          /* Our channel failed: the host, or the node, is gone. */
          if (error != NULL)
            goto out;
          if (got == NULL)
            break;
          handle_message (&self, got);
          busy = TRUE;
        }

      now = g_get_monotonic_time ();
      for (guint i = 0; i < self.out->len; i++)
        busy |= step_stream (&self, g_ptr_array_index (self.out, i), now);

      /* A drain may come before the config (the host sends it to
       * whichever incarnation runs): it is done once configured. */
      if (self.draining && !self.drained && self.serial != 0)
        {
          gboolean all_done = TRUE;

          for (guint i = 0; i < self.out->len; i++)
            all_done &= ((OutStream *) g_ptr_array_index (self.out, i))->state == OUT_DONE;
          if (all_done)
            {
              send_report (&self, "drained");
              self.drained = TRUE;
            }
          else if (!self.told_slow && now - self.drain_started > DRAIN_SLOW_USEC)
            {
              /* Something does not answer: say what, for whoever looks
               * into it. */
              self.told_slow = TRUE;
              tell_slow_drain (&self);
            }
        }

      if (now >= next_report && self.serial != 0)
        {
          send_report (&self, "report");
          next_report = now + REPORT_USEC;
        }
      if (busy)
        continue;

      /* Nothing to do: sleep until a message, an acknowledgement, a retry
       * or the next report. */
      deadline = next_report;
      g_ptr_array_set_size (waiting, 0);
      g_ptr_array_add (waiting, channel);
      for (guint i = 0; i < self.out->len; i++)
        {
          OutStream *s = g_ptr_array_index (self.out, i);

          if (s->state == OUT_OPENING || s->state == OUT_OPEN)
            g_ptr_array_add (waiting, s->connection);
          else if (s->state == OUT_IDLE && self.serial != 0)
            deadline = MIN (deadline, s->retry_at);
        }
      message = dp_channel_sync ((DpChannel **) waiting->pdata, waiting->len, MAX (deadline - now, 0),
                                 &index, &error);
      if (index == 0 && error != NULL)
        goto out;
      if (message == NULL && error == NULL)
        continue;
      if (index == 0)
        handle_message (&self, message);
      else
        {
          OutStream *s = NULL;

          for (guint i = 0; i < self.out->len && s == NULL; i++)
            if (((OutStream *) g_ptr_array_index (self.out, i))->connection == waiting->pdata[index])
              s = g_ptr_array_index (self.out, i);
          if (error != NULL)
            end_stream (&self, s, g_get_monotonic_time ());
          else
            handle_ack (&self, s, message, g_get_monotonic_time ());
        }
    }

out:
  g_ptr_array_unref (self.out);
  g_array_unref (self.ended);
  g_hash_table_unref (self.in);
}
