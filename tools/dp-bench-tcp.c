/* dp-bench-tcp.c: `dplaces bench tcp` — places on two nodes against raw loopback TCP
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp-bench-private.h"

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

int
dp_bench_tcp (int    argc,
           char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— round trips and bulk between places on two nodes");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) small = dp_bench_small_message ();
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
  mib = dp_bench_mib_message ();

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

  small_rtt = dp_bench_median (small_batches, BATCHES);
  bulk = dp_bench_median (bulk_batches, BATCHES);
  raw_small = dp_bench_median (raw_small_batches, BATCHES);
  raw_bulk = dp_bench_median (raw_bulk_batches, BATCHES);

  printf ("places on two nodes: small round trip %.2f µs, 1 MiB messages %.0f MiB/s\n", small_rtt, bulk);
  printf ("raw loopback TCP:    small round trip %.2f µs, 1 MiB writes   %.0f MiB/s\n", raw_small, raw_bulk);
  printf ("ratios: round trip %.2f, bulk %.2f\n", small_rtt / raw_small, bulk / raw_bulk);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "tcp");
  dp_bench_add_double (builder, "small_rtt_us", small_rtt);
  dp_bench_add_double (builder, "bulk_mib_s", bulk);
  dp_bench_add_double (builder, "raw_small_rtt_us", raw_small);
  dp_bench_add_double (builder, "raw_bulk_mib_s", raw_bulk);
  json_builder_end_object (builder);
  if (json)
    dp_bench_print_json (builder);
  return 0;
}

