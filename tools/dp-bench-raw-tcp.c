/* dp-bench-raw-tcp.c: the physical reference of `bench tcp` and `bench
 * rmpi` — raw loopback TCP between two processes, with TCP_NODELAY
 *
 * The other process is forked before any thread exists (start the peer
 * first) and uses nothing but system calls. It reads an 8-byte header:
 * 0 is followed by a small message, echoed; N > 0 by N MiB, answered with
 * one byte once all have arrived.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp-bench-private.h"

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

/**
 * dp_bench_raw_peer_start:
 * @peer: (out caller-allocates): the peer
 * @small_size: the size of the small messages it echoes (at most 1 MiB)
 *
 * Forks the other process and connects to it. Call it before any thread
 * starts.
 *
 * Returns: %TRUE, or %FALSE with errno set
 */
gboolean
dp_bench_raw_peer_start (DpBenchRawPeer *peer,
                         gsize           small_size)
{
  struct sockaddr_in address = { 0 };
  socklen_t length = sizeof address;
  int one = 1;
  int listener = socket (AF_INET, SOCK_STREAM, 0);

  g_return_val_if_fail (small_size <= MIB, FALSE);

  peer->small_size = small_size;
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

/**
 * dp_bench_raw_peer_stop:
 * @peer: a started peer
 *
 * Closes the connection and waits for the other process to end.
 */
void
dp_bench_raw_peer_stop (DpBenchRawPeer *peer)
{
  close (peer->fd);
  waitpid (peer->pid, NULL, 0);
}

/**
 * dp_bench_raw_round_trips:
 * @peer: a started peer
 * @rounds: how many
 *
 * Times @rounds round trips of the peer's small message, the header and
 * the message going in one write.
 *
 * Returns: µs per round trip
 */
double
dp_bench_raw_round_trips (DpBenchRawPeer *peer,
                          guint           rounds)
{
  g_autofree guint8 *buffer = g_malloc0 (peer->small_size + 8);
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < rounds; i++)
    {
      /* The echo lands where the header was: zero it again. */
      memset (buffer, 0, 8);
      write_all (peer->fd, buffer, peer->small_size + 8);
      read_all (peer->fd, buffer, peer->small_size);
    }
  return (double) (g_get_monotonic_time () - start) / rounds;
}

/**
 * dp_bench_raw_mib_transfer:
 * @peer: a started peer
 * @n_mib: how many MiB
 *
 * Times @n_mib 1 MiB writes, streamed one way, until the peer's one byte
 * says all have arrived.
 *
 * Returns: µs per MiB
 */
double
dp_bench_raw_mib_transfer (DpBenchRawPeer *peer,
                           guint           n_mib)
{
  g_autofree guint8 *buffer = g_malloc0 (MIB);
  guint64 n = n_mib;
  gint64 start = g_get_monotonic_time ();

  write_all (peer->fd, &n, sizeof n);
  for (guint i = 0; i < n_mib; i++)
    write_all (peer->fd, buffer, MIB);
  read_all (peer->fd, buffer, 1);
  return (double) (g_get_monotonic_time () - start) / n_mib;
}
