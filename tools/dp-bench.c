/* dp-bench.c: `dplaces bench SCENARIO` — speed, measured against the
 * physical reference in the same run
 *
 * Every scenario times its own work and, in the same run, the floor it
 * cannot beat (a plain thread wake-up, raw TCP, serial code), and prints
 * both, so the ratio holds on a noisy machine. The last line of output is
 * one JSON object.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <json-glib/json-glib.h>

#include "dp-bench.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SMALL_ROUNDS 4000
#define MIB_ROUNDS 200
#define BULK_MESSAGES 64
#define BATCHES 7
#define MIB (1024 * 1024)

/* The places the benchmarks run live in the dplaces-bench module, found in
 * the plugin directories on every node. */
#define BENCH_MODULE "dplaces-bench"

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return values[n / 2];
}

/* Median over batches of the mean round trip of @message, in µs. */
static double
time_round_trips (DpChannel  *channel,
                  GVariant   *message,
                  guint       rounds,
                  GError    **error)
{
  double batches[BATCHES];

  /* Warm up: first touches, page faults, the direct reader settling. */
  for (guint i = 0; i < rounds / 4 + 1; i++)
    {
      g_autoptr(GVariant) reply = dp_channel_put_get (channel, message, error);
      if (reply == NULL)
        return -1;
    }

  for (guint b = 0; b < BATCHES; b++)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < rounds; i++)
        {
          g_autoptr(GVariant) reply = dp_channel_put_get (channel, message, error);
          if (reply == NULL)
            return -1;
        }
      batches[b] = (double) (g_get_monotonic_time () - start) / rounds;
    }

  return median (batches, BATCHES);
}

/* The floor: two threads handing a pointer back and forth over
 * GAsyncQueues, the least a cross-thread round trip costs. */
typedef struct {
  GAsyncQueue *to_echo;
  GAsyncQueue *to_main;
} Floor;

static gpointer
floor_echo (gpointer data)
{
  Floor *floor = data;

  for (;;)
    {
      gpointer item = g_async_queue_pop (floor->to_echo);
      if (item == floor)
        return NULL;
      g_async_queue_push (floor->to_main, item);
    }
}

static double
time_floor (GVariant *message,
            guint     rounds)
{
  Floor floor = { g_async_queue_new (), g_async_queue_new () };
  GThread *thread = g_thread_new ("bench-floor", floor_echo, &floor);
  double batches[BATCHES];

  for (guint i = 0; i < rounds / 4 + 1; i++)
    {
      g_async_queue_push (floor.to_echo, message);
      g_async_queue_pop (floor.to_main);
    }
  for (guint b = 0; b < BATCHES; b++)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < rounds; i++)
        {
          g_async_queue_push (floor.to_echo, message);
          g_async_queue_pop (floor.to_main);
        }
      batches[b] = (double) (g_get_monotonic_time () - start) / rounds;
    }

  g_async_queue_push (floor.to_echo, &floor);
  g_thread_join (thread);
  g_async_queue_unref (floor.to_echo);
  g_async_queue_unref (floor.to_main);

  return median (batches, BATCHES);
}

static GVariant *
small_message (void)
{
  return g_variant_ref_sink (g_variant_new ("(sx)", "ping", (gint64) 42));
}

static GVariant *
mib_message (void)
{
  guint8 *bytes = g_malloc (MIB);

  for (guint i = 0; i < MIB; i++)
    bytes[i] = i * 7;
  return g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, bytes, MIB,
                                                      TRUE, g_free, bytes));
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

/* The physical reference for `bench tcp`: raw loopback TCP between two
 * processes, with TCP_NODELAY. The child is forked before any thread
 * exists and uses nothing but system calls. */

static gboolean
write_all (int         fd,
           const void *buffer,
           gsize       size)
{
  const guint8 *p = buffer;

  while (size > 0)
    {
      ssize_t n = write (fd, p, size);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      size -= n;
    }
  return TRUE;
}

static gboolean
read_all (int    fd,
          void  *buffer,
          gsize  size)
{
  guint8 *p = buffer;

  while (size > 0)
    {
      ssize_t n = read (fd, p, size);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      size -= n;
    }
  return TRUE;
}

/* The raw server: a small message is echoed; a zero-size header announces
 * a bulk run of N 1 MiB messages, answered with one byte. */
G_GNUC_NORETURN static void
raw_server (int    port,
            gsize  small_size)
{
  struct sockaddr_in address = { 0 };
  static guint8 buffer[MIB];
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) < 0)
    _exit (1);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  for (;;)
    {
      guint64 n;

      if (!read_all (fd, &n, sizeof n))
        _exit (0);
      if (n == 0)
        {
          if (!read_all (fd, buffer, small_size) || !write_all (fd, buffer, small_size))
            _exit (0);
          continue;
        }
      for (guint64 i = 0; i < n; i++)
        if (!read_all (fd, buffer, MIB))
          _exit (0);
      if (!write_all (fd, buffer, 1))
        _exit (0);
    }
}

typedef struct {
  int fd;
  pid_t pid;
} RawPeer;

static gboolean
raw_peer_start (RawPeer *peer,
                gsize    small_size)
{
  struct sockaddr_in address = { 0 };
  socklen_t length = sizeof address;
  int one = 1;
  int listener = socket (AF_INET, SOCK_STREAM, 0);

  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (bind (listener, (struct sockaddr *) &address, sizeof address) < 0 ||
      listen (listener, 1) < 0 ||
      getsockname (listener, (struct sockaddr *) &address, &length) < 0)
    return FALSE;

  peer->pid = fork ();
  if (peer->pid == 0)
    {
      close (listener);
      raw_server (ntohs (address.sin_port), small_size);
    }
  peer->fd = accept (listener, NULL, NULL);
  close (listener);
  if (peer->fd < 0)
    return FALSE;
  setsockopt (peer->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return TRUE;
}

static void
raw_peer_stop (RawPeer *peer)
{
  close (peer->fd);
  waitpid (peer->pid, NULL, 0);
}

/* One batch of raw round trips of @size bytes (the small messages' frame
 * size), in µs per round trip. */
static double
raw_small_batch (RawPeer *peer,
                 gsize    size)
{
  g_autofree guint8 *buffer = g_malloc0 (size + 8);
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < SMALL_ROUNDS; i++)
    {
      /* The header (8 zero bytes) and the message go in one write. */
      write_all (peer->fd, buffer, size + 8);
      read_all (peer->fd, buffer, size);
      memset (buffer, 0, 8);
    }
  return (double) (g_get_monotonic_time () - start) / SMALL_ROUNDS;
}

/* One batch of raw 1 MiB writes, in MiB/s. */
static double
raw_bulk_batch (RawPeer *peer)
{
  g_autofree guint8 *buffer = g_malloc0 (MIB);
  guint64 n = BULK_MESSAGES;
  gint64 start = g_get_monotonic_time ();

  write_all (peer->fd, &n, sizeof n);
  for (guint i = 0; i < BULK_MESSAGES; i++)
    write_all (peer->fd, buffer, MIB);
  read_all (peer->fd, buffer, 1);
  return BULK_MESSAGES / ((double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
}

/* One batch of round trips of @message, in µs per round trip. */
static double
small_batch (DpChannel  *channel,
             GVariant   *message,
             GError    **error)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < SMALL_ROUNDS; i++)
    {
      g_autoptr(GVariant) reply = dp_channel_put_get (channel, message, error);
      if (reply == NULL)
        return -1;
    }
  return (double) (g_get_monotonic_time () - start) / SMALL_ROUNDS;
}

/* One batch of 1 MiB messages streamed to a sink place, in MiB/s. */
static double
bulk_batch (DpChannel  *sink,
            GVariant   *mib,
            GError    **error)
{
  g_autoptr(GVariant) reply = NULL;
  gint64 start = g_get_monotonic_time ();

  if (!dp_channel_put (sink, g_variant_new_int64 (BULK_MESSAGES), error))
    return -1;
  for (guint i = 0; i < BULK_MESSAGES; i++)
    if (!dp_channel_put (sink, mib, error))
      return -1;
  reply = dp_channel_get (sink, error);
  if (reply == NULL)
    return -1;
  return BULK_MESSAGES / ((double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
}

static gsize
frame_size (GVariant *message)
{
  /* Header, type string padded to 8, data: what our frame carries. */
  return 16 + ((strlen (g_variant_get_type_string (message)) + 7) & ~7) + g_variant_get_size (message);
}

static int
bench_tcp (int    argc,
           char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— round trips and bulk between places on two nodes");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) small = small_message ();
  g_autoptr(GVariant) mib = NULL;
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(DpRemoteConnection) echo = NULL;
  g_autoptr(DpRemoteConnection) sink = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  DpNodeOptions options;
  RawPeer raw;
  double small_batches[BATCHES], bulk_batches[BATCHES];
  double raw_small_batches[BATCHES], raw_bulk_batches[BATCHES];
  double small_rtt, bulk, raw_small, raw_bulk;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench tcp: %s\n", error->message);
      return 2;
    }

  /* The raw peer first: fork before any thread starts. */
  if (!raw_peer_start (&raw, frame_size (small)))
    {
      g_printerr ("dplaces bench tcp: cannot set up raw TCP: %s\n", g_strerror (errno));
      return 1;
    }

  dp_node_options_init (&options);
  options.listen_port = 0;
  options.launcher = "local";
  node = dp_spawn_remote_node ("127.0.0.1", &options, &error);
  if (node != NULL)
    echo = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, BENCH_MODULE,
                                        "dp_bench_echo", NULL, NULL, &error);
  if (echo != NULL)
    sink = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, BENCH_MODULE,
                                        "dp_bench_sink", NULL, NULL, &error);
  if (sink == NULL)
    {
      g_printerr ("dplaces bench tcp: %s\n", error->message);
      raw_peer_stop (&raw);
      return 1;
    }
  mib = mib_message ();

  /* Batches alternate between the raw reference and us, so both see the
   * same machine; the first pair warms up. */
  for (guint b = 0; b <= BATCHES; b++)
    {
      double r_small = raw_small_batch (&raw, frame_size (small));
      double o_small = small_batch (DP_CHANNEL (echo), small, &error);
      double r_bulk = raw_bulk_batch (&raw);
      double o_bulk = o_small < 0 ? -1 : bulk_batch (DP_CHANNEL (sink), mib, &error);

      if (o_bulk < 0)
        {
          g_printerr ("dplaces bench tcp: %s\n", error->message);
          raw_peer_stop (&raw);
          return 1;
        }
      if (b == 0)
        continue;
      raw_small_batches[b - 1] = r_small;
      small_batches[b - 1] = o_small;
      raw_bulk_batches[b - 1] = r_bulk;
      bulk_batches[b - 1] = o_bulk;
    }
  raw_peer_stop (&raw);
  dp_remote_node_send_exit (node);

  small_rtt = median (small_batches, BATCHES);
  bulk = median (bulk_batches, BATCHES);
  raw_small = median (raw_small_batches, BATCHES);
  raw_bulk = median (raw_bulk_batches, BATCHES);

  printf ("places on two nodes: small round trip %.2f µs, 1 MiB messages %.0f MiB/s\n", small_rtt, bulk);
  printf ("raw loopback TCP:    small round trip %.2f µs, 1 MiB writes   %.0f MiB/s\n", raw_small, raw_bulk);
  printf ("ratios: round trip %.2f, bulk %.2f\n", small_rtt / raw_small, bulk / raw_bulk);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "tcp");
  add_double (builder, "small_rtt_us", small_rtt);
  add_double (builder, "bulk_mib_s", bulk);
  add_double (builder, "raw_small_rtt_us", raw_small);
  add_double (builder, "raw_bulk_mib_s", raw_bulk);
  json_builder_end_object (builder);
  if (json)
    print_json (builder);
  return 0;
}

static int
bench_spawn (int    argc,
             char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— from a spawn request to the first reply of a place on a new local node");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  double runs[5];

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench spawn: %s\n", error->message);
      return 2;
    }

  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autoptr(DpRemoteNode) node = NULL;
      g_autoptr(DpRemoteConnection) echo = NULL;
      g_autoptr(GVariant) reply = NULL;
      DpNodeOptions options;
      gint64 start = g_get_monotonic_time ();

      dp_node_options_init (&options);
      options.listen_port = 0;
      options.launcher = "local";
      if (!dp_spawn_node_supervise_place_at ("localhost", BENCH_MODULE, "dp_bench_echo", &options,
                                             &node, &echo, &error) ||
          (reply = dp_channel_put_get (DP_CHANNEL (echo), g_variant_new_string ("hello"), &error)) == NULL)
        {
          g_printerr ("dplaces bench spawn: %s\n", error->message);
          return 1;
        }
      runs[i] = (g_get_monotonic_time () - start) / 1000.0;
      dp_remote_node_send_exit (node);
      dp_spawned_process_wait (dp_remote_node_get_process (node));
    }

  printf ("spawn a local node and a place, to its first reply: %.1f ms (median of %u)\n",
          median (runs, G_N_ELEMENTS (runs)), (guint) G_N_ELEMENTS (runs));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "spawn");
  add_double (builder, "spawn_ms", median (runs, G_N_ELEMENTS (runs)));
  json_builder_end_object (builder);
  if (json)
    print_json (builder);
  return 0;
}

static int
bench_channel (int    argc,
               char **argv)
{
  g_autofree char *backend = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend, "Place backend: threads (default) or processes", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— round trips between two places on one node");
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(GVariant) small = NULL;
  g_autoptr(GVariant) mib = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree guint8 *bytes = NULL;
  double small_rtt, mib_rtt, floor_rtt;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces bench channel: %s\n", error->message);
      return 2;
    }
  if (backend == NULL)
    backend = g_strdup ("threads");

  place = g_object_new (DP_TYPE_PLACE, "module", BENCH_MODULE, "function", "dp_bench_echo",
                        "name", "echo", "backend", backend, NULL);
  if (!dp_place_start (place, &error))
    {
      g_printerr ("dplaces bench channel: %s\n", error->message);
      return 1;
    }

  small = small_message ();
  mib = mib_message ();

  floor_rtt = time_floor (small, SMALL_ROUNDS);
  small_rtt = time_round_trips (DP_CHANNEL (place), small, SMALL_ROUNDS, &error);
  mib_rtt = small_rtt < 0 ? -1 : time_round_trips (DP_CHANNEL (place), mib, MIB_ROUNDS, &error);
  if (mib_rtt < 0)
    {
      g_printerr ("dplaces bench channel: %s\n", error->message);
      return 1;
    }

  dp_channel_close (DP_CHANNEL (place));
  dp_place_wait (place);

  printf ("backend %s: small message round trip %.2f µs, 1 MiB round trip %.2f µs\n",
          backend, small_rtt, mib_rtt);
  printf ("floor (two threads, GAsyncQueue): %.2f µs — ratio %.2f\n", floor_rtt, small_rtt / floor_rtt);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "channel");
  json_builder_set_member_name (builder, "backend");
  json_builder_add_string_value (builder, backend);
  json_builder_set_member_name (builder, "small_rtt_us");
  json_builder_add_double_value (builder, small_rtt);
  json_builder_set_member_name (builder, "mib_rtt_us");
  json_builder_add_double_value (builder, mib_rtt);
  json_builder_set_member_name (builder, "floor_small_rtt_us");
  json_builder_add_double_value (builder, floor_rtt);
  json_builder_end_object (builder);
  if (json)
    print_json (builder);

  return 0;
}

static const struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} scenarios[] = {
  { "channel", bench_channel, "round trips between two places on one node [--backend threads|processes]" },
  { "tcp", bench_tcp, "round trips and bulk transfer between places on two nodes, and raw TCP" },
  { "spawn", bench_spawn, "from a spawn request to the first reply of a place on a new local node" },
};

int
dp_bench_command (int    argc,
                  char **argv)
{
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      printf ("Usage: dplaces bench SCENARIO [OPTIONS] [--json]\n\nScenarios:\n");
      for (guint i = 0; i < G_N_ELEMENTS (scenarios); i++)
        printf ("  %-12s %s\n", scenarios[i].name, scenarios[i].summary);
      return argc < 2 ? 2 : 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (scenarios); i++)
    if (g_str_equal (argv[1], scenarios[i].name))
      {
        argv[1] = g_strdup_printf ("dplaces bench %s", scenarios[i].name);
        return scenarios[i].run (argc - 1, argv + 1);
      }

  g_printerr ("dplaces bench: unknown scenario “%s”\n", argv[1]);
  return 2;
}
