/* dp-bench-soak.c: `dplaces bench soak` — messages among 8 nodes while
 * their places are killed at random
 *
 * Eight nodes on loopback, two worker places on each (processes backend,
 * named, supervised from here with `always`). Every worker streams
 * numbered messages — mostly small, every 64th 16 to 40 KiB — to both
 * workers of the nodes 1, 2 and 4 further on: 96 streams over 20 node
 * pairs, each node connection carrying several. Meanwhile a chaos task
 * SIGKILLs a random worker every 0.5 to 2 s; the supervisor starts it
 * again and the others connect to the new one. The worker's side is
 * plugins/bench/dplaces-bench-soak.c.
 *
 * What is counted. A *stream* is one connection from one incarnation of
 * a worker to one incarnation of another. A message is *sent* when the
 * sender's put succeeded, *received* when the receiver got it with the
 * next number of its stream, intact. Each worker reports its counts to
 * the host four times a second; at the end the chaos stops, every worker
 * flushes its streams and waits until the receivers acknowledged all it
 * sent, and reports once more. Then, per stream:
 *
 *   lost     messages sent on a *live* stream (both ends still running at
 *            the end) that did not arrive, and, on any stream, messages
 *            skipped before one that did arrive (a channel keeps its
 *            order, so they never will). Must be 0.
 *   dropped  messages sent on a stream one of whose ends was killed, that
 *            did not arrive: in flight to a place that died, or sent by a
 *            place that died before they left its process. Not a fault.
 *   bad      messages that came twice, out of order, or damaged. Must be 0.
 *
 * A killed place's last report may be up to 250 ms old, so for a stream
 * with a killed end "sent" is the most anyone saw: the sender's last
 * count, or what the receiver got, whichever is more; "received" the
 * receiver's last count, or what it acknowledged.
 *
 * RSS (VmRSS from /proc) of the node processes, summed, and of this
 * process is sampled every 10 s (more often in short runs); the baseline
 * is the sample after the first minute (after half the run, when it is
 * shorter), the end the sample when the chaos stops. The worker places'
 * own RSS is shown but left out of the ratio: they are replaced all the
 * time.
 *
 * Physical reference: none. What a soak measures is whether anything is
 * lost or leaks over time, each against itself (0 lost; RSS at the end
 * against RSS after a minute); its message rate, through four hops and
 * four processes per message while places die, has no raw counterpart
 * that would tell more than `bench tcp` against raw TCP does already.
 *
 * The exit status is 1 if anything was lost or bad, a worker died without
 * being killed, or the drain did not finish.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "dp-bench-private.h"
#include "dp-bench-soak-private.h"

#define SOAK_NODES 8
#define SOAK_WORKERS_PER_NODE 2
#define SOAK_WORKERS (SOAK_NODES * SOAK_WORKERS_PER_NODE)
/* Each worker sends to both workers of the nodes this far on. */
static const guint peer_offsets[] = { 1, 2, 4 };

#define KILL_MIN_USEC (500 * 1000)
#define KILL_MAX_USEC (2 * G_USEC_PER_SEC)
#define SAMPLE_USEC (10 * G_USEC_PER_SEC)
/* How long the end may take: every worker up again, drained, reported. */
#define PHASE_USEC (120 * G_USEC_PER_SEC)
/* While a worker's channel is down, look for its restart this often. */
#define DOWN_POLL_USEC (20 * 1000)

typedef enum {
  PHASE_RUN,
  PHASE_DRAIN,
  PHASE_REPORT,
} Phase;

typedef struct {
  DpRemoteNode *node;
  DpRemoteConnection *place;
  char *name;
  GVariant *peers;          /* a(sqs) */
  gboolean alive;           /* an incarnation said hello and has not died */
  guint32 serial;           /* that incarnation's */
  guint32 killed_serial;    /* the incarnation we killed last */
  gint pid;
  int pidfd;
  gboolean down;            /* its channel failed: waiting for the restart */
  guint restarts_seen;      /* dp_remote_connection_get_restarts() then */
  guint starts;
  gboolean drained;
  gboolean final;
} Worker;

/* One stream, as the two ends last reported it. */
typedef struct {
  guint64 key;
  guint32 receiver;
  guint64 sent;
  guint64 acked;
  guint64 received;
  guint64 gaps;
  guint64 bad;
} Stream;

typedef struct {
  double seconds;
  guint64 nodes_kib;
  guint64 host_kib;
  guint64 places_kib;
  guint64 received;
} Sample;

typedef struct {
  GPtrArray *nodes;
  Worker workers[SOAK_WORKERS];
  Phase phase;
  guint32 next_serial;
  GHashTable *streams;      /* guint64 key → Stream*, while an end may still report */
  GRand *rand;

  guint64 sent, received, lost, dropped, bad, payload_bytes;
  guint kills, restarts, unexpected_deaths;
  guint64 streams_done;
  GArray *samples;          /* Sample */
} Soak;

static void
close_pidfd (Worker *w)
{
  if (w->pidfd >= 0)
    close (w->pidfd);
  w->pidfd = -1;
}

static gboolean
serial_alive (Soak    *soak,
              guint32  serial)
{
  for (guint i = 0; i < SOAK_WORKERS; i++)
    if (soak->workers[i].alive && soak->workers[i].serial == serial)
      return TRUE;
  return FALSE;
}

/* Adds a stream's messages to the totals. @live: both its ends are
 * running (at the end of the run). */
static void
stream_account (Soak   *soak,
                Stream *s,
                gboolean live)
{
  guint64 received = MAX (s->received, s->acked);
  guint64 sent = MAX (s->sent, received + s->gaps);
  guint64 tail = sent - received - s->gaps;

  soak->sent += sent;
  soak->received += received;
  soak->lost += s->gaps;
  soak->bad += s->bad;
  if (live)
    soak->lost += tail;
  else
    soak->dropped += tail;
  for (guint64 seq = 1; seq <= received; seq++)
    soak->payload_bytes += soak_payload_size (seq);
  soak->streams_done++;
}

/* Accounts for the streams both of whose ends died: nothing more can be
 * reported about them. */
static void
account_finished (Soak *soak)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, soak->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Stream *s = value;

      if (s->receiver != 0 && !serial_alive (soak, soak_stream_key_serial (s->key)) &&
          !serial_alive (soak, s->receiver))
        {
          stream_account (soak, s, FALSE);
          g_hash_table_iter_remove (&iter);
        }
    }
}

static Stream *
stream_lookup (Soak    *soak,
               guint64  key)
{
  Stream *s = g_hash_table_lookup (soak->streams, &key);

  if (s == NULL)
    {
      s = g_new0 (Stream, 1);
      s->key = key;
      g_hash_table_insert (soak->streams, &s->key, s);
    }
  return s;
}

static void
worker_died (Soak   *soak,
             Worker *w)
{
  if (!w->alive)
    return;
  w->alive = FALSE;
  close_pidfd (w);
  if (w->killed_serial != w->serial)
    {
      soak->unexpected_deaths++;
      g_printerr ("dplaces bench soak: %s (pid %d) died without being killed\n", w->name, w->pid);
    }
  account_finished (soak);
}

static void
send_command (Worker     *w,
              const char *command)
{
  /* A worker that died meanwhile gets it again when it says hello. */
  dp_channel_put (DP_CHANNEL (w->place), g_variant_new (SOAK_COMMAND_TYPE, command), NULL);
}

static void
handle_hello (Soak     *soak,
              Worker   *w,
              GVariant *hello)
{
  gint32 pid;
  guint64 nonce;

  g_variant_get (hello, SOAK_HELLO_TYPE, NULL, &pid, &nonce);
  /* The incarnation before it is gone, if we had not noticed yet. */
  worker_died (soak, w);

  w->alive = TRUE;
  w->serial = ++soak->next_serial;
  w->pid = pid;
  w->pidfd = pidfd_open (pid, 0);
  w->drained = w->final = FALSE;
  if (w->starts++ > 0)
    soak->restarts++;
  dp_channel_put (DP_CHANNEL (w->place),
                  g_variant_new ("(stu@a(sqs))", "config", nonce, w->serial, w->peers), NULL);
  if (soak->phase >= PHASE_DRAIN)
    send_command (w, "drain");
  if (soak->phase >= PHASE_REPORT)
    send_command (w, "report");
}

static void
handle_report (Soak     *soak,
               Worker   *w,
               GVariant *report)
{
  g_autoptr(GVariantIter) out = NULL;
  g_autoptr(GVariantIter) in = NULL;
  const char *tag;
  guint32 serial, receiver;
  guint64 key, sent, acked, received, gaps, bad;

  g_variant_get (report, "(&sua(tutt)a(tttt))", &tag, &serial, &out, &in);
  while (g_variant_iter_next (out, "(tutt)", &key, &receiver, &sent, &acked))
    {
      Stream *s = stream_lookup (soak, key);

      s->receiver = receiver;
      s->sent = MAX (s->sent, sent);
      s->acked = MAX (s->acked, acked);
    }
  while (g_variant_iter_next (in, "(tttt)", &key, &received, &gaps, &bad))
    {
      Stream *s = stream_lookup (soak, key);

      s->receiver = serial;
      s->received = MAX (s->received, received);
      s->gaps = MAX (s->gaps, gaps);
      s->bad = MAX (s->bad, bad);
    }

  if (serial == w->serial && g_str_equal (tag, "drained"))
    w->drained = TRUE;
  else if (serial == w->serial && g_str_equal (tag, "final"))
    w->final = TRUE;
}

static void
handle_message (Soak     *soak,
                Worker   *w,
                GVariant *message)
{
  if (g_variant_is_of_type (message, G_VARIANT_TYPE (SOAK_HELLO_TYPE)))
    handle_hello (soak, w, message);
  else if (g_variant_is_of_type (message, G_VARIANT_TYPE (SOAK_REPORT_TYPE)))
    handle_report (soak, w, message);
  else
    g_printerr ("dplaces bench soak: %s sent a message of type %s\n", w->name,
                g_variant_get_type_string (message));
}

/* Waits up to @timeout_usec for one message from any worker and handles
 * it. A worker's channel that fails is its incarnation dying; the
 * supervisor starts a new one, whose channel we read from then on. */
static void
poll_workers (Soak   *soak,
              gint64  timeout_usec)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = NULL;
  DpChannel *channels[SOAK_WORKERS];
  guint which[SOAK_WORKERS], restarts[SOAK_WORKERS];
  guint n = 0, index = 0;

  for (guint i = 0; i < SOAK_WORKERS; i++)
    {
      Worker *w = &soak->workers[i];

      restarts[i] = dp_remote_connection_get_restarts (w->place);
      if (w->down && restarts[i] == w->restarts_seen)
        {
          timeout_usec = MIN (timeout_usec, DOWN_POLL_USEC);
          continue;
        }
      w->down = FALSE;
      channels[n] = DP_CHANNEL (w->place);
      which[n++] = i;
    }
  if (n == 0)
    {
      g_usleep (MAX (timeout_usec, 0));
      return;
    }

  message = dp_channel_sync (channels, n, MAX (timeout_usec, 0), &index, &error);
  if (error != NULL)
    {
      Worker *w = &soak->workers[which[index]];

      /* The channel of the restart before ours, or a later one: either
       * way a restart after it is what to wait for. */
      w->down = TRUE;
      w->restarts_seen = restarts[which[index]];
      worker_died (soak, w);
    }
  else if (message != NULL)
    handle_message (soak, &soak->workers[which[index]], message);
}

static void
chaos_kill (Soak *soak)
{
  guint candidates[SOAK_WORKERS];
  guint n = 0;
  Worker *w;

  for (guint i = 0; i < SOAK_WORKERS; i++)
    {
      w = &soak->workers[i];
      if (w->alive && !w->down && w->pidfd >= 0 && w->killed_serial != w->serial)
        candidates[n++] = i;
    }
  if (n == 0)
    return;

  w = &soak->workers[candidates[g_rand_int_range (soak->rand, 0, n)]];
  /* Through a pidfd: the pid cannot have been reused for someone else's
   * process. */
  if (pidfd_send_signal (w->pidfd, SIGKILL, NULL, 0) == 0)
    {
      w->killed_serial = w->serial;
      soak->kills++;
    }
}

static guint64
rss_kib (gint pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (line = strstr (text, "\nVmRSS:")) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* Received so far, as reported. */
static guint64
received_so_far (Soak *soak)
{
  GHashTableIter iter;
  gpointer value;
  guint64 received = soak->received;

  g_hash_table_iter_init (&iter, soak->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    received += MAX (((Stream *) value)->received, ((Stream *) value)->acked);
  return received;
}

static void
take_sample (Soak   *soak,
             double  seconds)
{
  Sample sample = { seconds, 0, rss_kib (getpid ()), 0, received_so_far (soak) };

  for (guint i = 0; i < soak->nodes->len; i++)
    sample.nodes_kib += rss_kib (dp_spawned_process_get_pid (
        dp_remote_node_get_process (g_ptr_array_index (soak->nodes, i))));
  for (guint i = 0; i < SOAK_WORKERS; i++)
    if (soak->workers[i].alive)
      sample.places_kib += rss_kib (soak->workers[i].pid);
  g_array_append_val (soak->samples, sample);

  fprintf (stderr, "  %7.1f s  %12" G_GUINT64_FORMAT " received  %5u kills  %5u restarts  "
           "RSS nodes %7.1f MiB  host %6.1f MiB  places %7.1f MiB\n",
           seconds, sample.received, soak->kills, soak->restarts, sample.nodes_kib / 1024.0,
           sample.host_kib / 1024.0, sample.places_kib / 1024.0);
}

/* Polls until @done says the phase is over, or PHASE_USEC pass. */
static gboolean
poll_until (Soak     *soak,
            gboolean (*done) (Worker *w))
{
  gint64 deadline = g_get_monotonic_time () + PHASE_USEC;

  for (;;)
    {
      gboolean all = TRUE;
      gint64 now;

      for (guint i = 0; i < SOAK_WORKERS && all; i++)
        all = soak->workers[i].alive && !soak->workers[i].down && done (&soak->workers[i]);
      if (all)
        return TRUE;
      now = g_get_monotonic_time ();
      if (now >= deadline)
        return FALSE;
      poll_workers (soak, deadline - now);
    }
}

static gboolean
is_started (Worker *w)
{
  return TRUE;
}

static gboolean
is_drained (Worker *w)
{
  return w->drained;
}

static gboolean
is_final (Worker *w)
{
  return w->final;
}

static gboolean
start_workers (Soak    *soak,
               GError **error)
{
  const char *hosts[SOAK_NODES + 1] = { NULL };
  DpNodeOptions options;

  for (guint i = 0; i < SOAK_NODES; i++)
    hosts[i] = "127.0.0.1";
  dp_node_options_init (&options);
  options.listen_port = 0;
  options.launcher = "local";
  soak->nodes = dp_spawn_nodes_join (hosts, &options, error);
  if (soak->nodes == NULL)
    return FALSE;

  for (guint i = 0; i < SOAK_WORKERS; i++)
    {
      Worker *w = &soak->workers[i];
      guint node = i / SOAK_WORKERS_PER_NODE;
      g_autoptr(DpRestartStrategy) always = dp_restart_strategy_new ("always", error);
      GVariantBuilder peers;

      if (always == NULL)
        return FALSE;
      w->pidfd = -1;
      w->node = g_ptr_array_index (soak->nodes, node);
      w->name = g_strdup_printf ("soak-%u-%u", node, i % SOAK_WORKERS_PER_NODE);

      g_variant_builder_init (&peers, G_VARIANT_TYPE ("a(sqs)"));
      for (guint d = 0; d < G_N_ELEMENTS (peer_offsets); d++)
        {
          guint other = (node + peer_offsets[d]) % SOAK_NODES;
          DpRemoteNode *peer = g_ptr_array_index (soak->nodes, other);

          for (guint k = 0; k < SOAK_WORKERS_PER_NODE; k++)
            {
              g_autofree char *name = g_strdup_printf ("soak-%u-%u", other, k);

              g_variant_builder_add (&peers, "(sqs)", dp_remote_node_get_host (peer),
                                     (guint16) dp_remote_node_get_listen_port (peer), name);
            }
        }
      w->peers = g_variant_ref_sink (g_variant_builder_end (&peers));

      w->place = dp_remote_node_launch_place_full (w->node, DP_PLACE_EXEC_DYNAMIC_PLACE, BENCH_MODULE,
                                                   "dp_bench_soak_worker", w->name, "processes",
                                                   always, error);
      if (w->place == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
soak_clear (Soak *soak)
{
  for (guint i = 0; i < SOAK_WORKERS; i++)
    {
      g_clear_object (&soak->workers[i].place);
      g_clear_pointer (&soak->workers[i].peers, g_variant_unref);
      g_clear_pointer (&soak->workers[i].name, g_free);
      close_pidfd (&soak->workers[i]);
    }
  if (soak->nodes != NULL)
    {
      for (guint i = 0; i < soak->nodes->len; i++)
        {
          DpRemoteNode *node = g_ptr_array_index (soak->nodes, i);

          dp_remote_node_send_exit (node);
          dp_spawned_process_wait (dp_remote_node_get_process (node));
        }
      g_ptr_array_unref (soak->nodes);
    }
  g_clear_pointer (&soak->streams, g_hash_table_unref);
  g_clear_pointer (&soak->samples, g_array_unref);
  g_clear_pointer (&soak->rand, g_rand_free);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

int
dp_bench_soak (int    argc,
               char **argv)
{
  gboolean json = FALSE;
  double minutes = 1;
  gint64 seed = 0;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { "minutes", 0, 0, G_OPTION_ARG_DOUBLE, &minutes, "How long the places are killed at random (1)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the random kills (a random one)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— messages among 8 nodes while their places are killed at random");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  Soak soak = { 0 };
  gint64 start, end, next_kill, next_sample, now, sample_usec;
  double seconds, baseline_at;
  const Sample *baseline = NULL, *last;
  gboolean finished;
  double ratio, nodes_ratio, host_ratio;
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench soak: %s\n", error->message);
      return 2;
    }
  if (!(minutes > 0) || minutes > 24 * 60)
    {
      g_printerr ("dplaces bench soak: --minutes must be more than 0 (and at most a day)\n");
      return 2;
    }
  if (seed == 0)
    seed = g_random_int () | 1;

  soak.rand = g_rand_new_with_seed ((guint32) seed);
  soak.streams = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  soak.samples = g_array_new (FALSE, FALSE, sizeof (Sample));

  if (!start_workers (&soak, &error))
    {
      g_printerr ("dplaces bench soak: %s\n", error->message);
      soak_clear (&soak);
      return 1;
    }
  fprintf (stderr, "soak: %u nodes, %u worker places (processes backend, restart=always), "
           "%u streams, %.1f min, seed %" G_GINT64_FORMAT "\n",
           SOAK_NODES, SOAK_WORKERS, (guint) (SOAK_WORKERS * SOAK_WORKERS_PER_NODE * G_N_ELEMENTS (peer_offsets)),
           minutes, seed);

  /* Everyone up and configured before the clock starts. */
  if (!poll_until (&soak, is_started))
    {
      g_printerr ("dplaces bench soak: the workers did not all start\n");
      soak_clear (&soak);
      return 1;
    }

  start = g_get_monotonic_time ();
  end = start + (gint64) (minutes * 60 * G_USEC_PER_SEC);
  sample_usec = MIN (SAMPLE_USEC, (end - start) / 6);
  baseline_at = MIN (60.0, minutes * 30);
  next_sample = start + sample_usec;
  next_kill = start + g_rand_int_range (soak.rand, KILL_MIN_USEC, KILL_MAX_USEC);
  while ((now = g_get_monotonic_time ()) < end)
    {
      if (now >= next_kill)
        {
          chaos_kill (&soak);
          next_kill = now + g_rand_int_range (soak.rand, KILL_MIN_USEC, KILL_MAX_USEC);
        }
      if (now >= next_sample)
        {
          take_sample (&soak, (now - start) / (double) G_USEC_PER_SEC);
          next_sample += sample_usec;
        }
      poll_workers (&soak, MIN (MIN (next_kill, next_sample), end) - now);
    }
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  take_sample (&soak, seconds);

  /* The end: no more kills; everyone up, drained, reported. */
  soak.phase = PHASE_DRAIN;
  for (guint i = 0; i < SOAK_WORKERS; i++)
    send_command (&soak.workers[i], "drain");
  finished = poll_until (&soak, is_drained);
  if (finished)
    {
      soak.phase = PHASE_REPORT;
      for (guint i = 0; i < SOAK_WORKERS; i++)
        send_command (&soak.workers[i], "report");
      finished = poll_until (&soak, is_final);
    }
  if (!finished)
    {
      g_printerr ("dplaces bench soak: the workers did not all drain and report within %d s:\n",
                  (int) (PHASE_USEC / G_USEC_PER_SEC));
      for (guint i = 0; i < SOAK_WORKERS; i++)
        {
          Worker *w = &soak.workers[i];

          if (!w->alive || w->down || !w->drained || !w->final)
            g_printerr ("  %s (pid %d, serial %u): %s%s\n", w->name, w->pid, w->serial,
                        !w->alive || w->down ? "not running" : !w->drained ? "not drained" : "no final report",
                        w->alive && !w->down && w->killed_serial == w->serial ? " (killed, not noticed yet)" : "");
        }
    }

  /* Whatever is left: live when both ends are still running. */
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, soak.streams);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        Stream *s = value;

        stream_account (&soak, s, serial_alive (&soak, soak_stream_key_serial (s->key)) &&
                                  serial_alive (&soak, s->receiver));
        g_hash_table_iter_remove (&iter);
      }
  }

  for (guint i = 0; i < soak.samples->len && baseline == NULL; i++)
    if (g_array_index (soak.samples, Sample, i).seconds >= baseline_at - 0.5)
      baseline = &g_array_index (soak.samples, Sample, i);
  last = &g_array_index (soak.samples, Sample, soak.samples->len - 1);
  if (baseline == NULL)
    baseline = last;
  ratio = (double) (last->nodes_kib + last->host_kib) / MAX (baseline->nodes_kib + baseline->host_kib, 1);
  nodes_ratio = (double) last->nodes_kib / MAX (baseline->nodes_kib, 1);
  host_ratio = (double) last->host_kib / MAX (baseline->host_kib, 1);

  printf ("soak, %u nodes, %u worker places, %.1f min (%.0f s), %u kills, %u restarts:\n",
          SOAK_NODES, SOAK_WORKERS, minutes, seconds, soak.kills, soak.restarts);
  printf ("  sent %" G_GUINT64_FORMAT ", received %" G_GUINT64_FORMAT " in %" G_GUINT64_FORMAT " streams\n",
          soak.sent, soak.received, soak.streams_done);
  printf ("  lost %" G_GUINT64_FORMAT " (on live streams, or skipped), bad %" G_GUINT64_FORMAT
          " (twice, out of order, damaged)\n", soak.lost, soak.bad);
  printf ("  dropped %" G_GUINT64_FORMAT " (in flight to or from a place that was killed)\n", soak.dropped);
  printf ("  unexpected deaths %u\n", soak.unexpected_deaths);
  printf ("  %.0f messages/s, %.1f MiB/s of payload, each message through 4 processes\n",
          soak.received / seconds, soak.payload_bytes / seconds / MIB);
  printf ("  RSS nodes + host: %.1f MiB after %.0f s, %.1f MiB at the end: ratio %.3f "
          "(nodes %.3f, host %.3f)\n",
          (baseline->nodes_kib + baseline->host_kib) / 1024.0, baseline->seconds,
          (last->nodes_kib + last->host_kib) / 1024.0, ratio, nodes_ratio, host_ratio);
  printf ("  physical reference: none (lost and RSS drift are measured against themselves; "
          "`bench tcp` compares a hop with raw TCP)\n");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "soak");
  dp_bench_add_double (builder, "minutes", minutes);
  dp_bench_add_double (builder, "seconds", seconds);
  add_int (builder, "seed", seed);
  add_int (builder, "nodes", SOAK_NODES);
  add_int (builder, "workers", SOAK_WORKERS);
  add_int (builder, "sent", soak.sent);
  add_int (builder, "received", soak.received);
  add_int (builder, "lost", soak.lost);
  add_int (builder, "bad", soak.bad);
  add_int (builder, "dropped_killed", soak.dropped);
  add_int (builder, "streams", soak.streams_done);
  add_int (builder, "kills", soak.kills);
  add_int (builder, "restarts", soak.restarts);
  add_int (builder, "unexpected_deaths", soak.unexpected_deaths);
  json_builder_set_member_name (builder, "drained");
  json_builder_add_boolean_value (builder, finished);
  dp_bench_add_double (builder, "messages_per_s", soak.received / seconds);
  dp_bench_add_double (builder, "payload_mib_s", soak.payload_bytes / seconds / MIB);
  dp_bench_add_double (builder, "rss_baseline_s", baseline->seconds);
  add_int (builder, "rss_nodes_kib_baseline", baseline->nodes_kib);
  add_int (builder, "rss_host_kib_baseline", baseline->host_kib);
  add_int (builder, "rss_nodes_kib_end", last->nodes_kib);
  add_int (builder, "rss_host_kib_end", last->host_kib);
  dp_bench_add_double (builder, "rss_ratio", ratio);
  dp_bench_add_double (builder, "rss_nodes_ratio", nodes_ratio);
  dp_bench_add_double (builder, "rss_host_ratio", host_ratio);
  json_builder_set_member_name (builder, "rss_samples");
  json_builder_begin_array (builder);
  for (guint i = 0; i < soak.samples->len; i++)
    {
      const Sample *s = &g_array_index (soak.samples, Sample, i);

      json_builder_begin_object (builder);
      dp_bench_add_double (builder, "s", s->seconds);
      add_int (builder, "nodes_kib", s->nodes_kib);
      add_int (builder, "host_kib", s->host_kib);
      add_int (builder, "places_kib", s->places_kib);
      add_int (builder, "received", s->received);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  if (soak.lost > 0 || soak.bad > 0 || soak.unexpected_deaths > 0 || !finished)
    status = 1;
  soak_clear (&soak);
  if (json)
    dp_bench_print_json (builder);
  return status;
}
