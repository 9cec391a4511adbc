/* fuzz-handshake.c: the authentication handshake, from a hostile peer
 *
 * Input: one byte of options, then what the peer sends.
 *   bit 0: we are the side that connected (dp-remote-node.c); else the
 *          side that accepted (dp-node.c), which anyone who can reach the
 *          port talks to
 * dp_auth_handshake() runs on one end of a Unix socket pair; the peer's
 * bytes are written on the other end, which is then shut, so every read
 * ends. The peer cannot know our random nonce, so the proof never holds:
 * the handshake must fail, with a GError.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include <dplaces/dplaces.h>

#include "dp-auth-private.h"

#include "fuzz-common.h"

/* What fuzz-make-corpus uses too, so a recorded transcript matches. */
#define FUZZ_COOKIE "fuzz-cookie-0123456789abcdef"

typedef struct {
  int fd;
  const guint8 *data;
  gsize size;
} Peer;

/* The peer writes everything, then shuts its side, draining what we send
 * so our writes never block. */
static gpointer
peer_thread (gpointer user_data)
{
  Peer *peer = user_data;
  gsize done = 0;
  char sink[4096];

  while (done < peer->size)
    {
      ssize_t n = send (peer->fd, peer->data + done, peer->size - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
  shutdown (peer->fd, SHUT_WR);
  while (recv (peer->fd, sink, sizeof sink, 0) > 0)
    ;
  return NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static GBytes *cookie;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *peer_name = NULL;
  GThread *thread;
  Peer peer;
  gboolean ok;
  int fds[2];

  fuzz_init ();
  if (size < 1)
    return 0;
  if (cookie == NULL)
    cookie = g_bytes_new_static (FUZZ_COOKIE, strlen (FUZZ_COOKIE));

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    g_error ("socketpair: %s", g_strerror (errno));
  socket = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);

  peer.fd = fds[1];
  peer.data = data + 1;
  peer.size = size - 1;
  thread = g_thread_new ("fuzz-peer", peer_thread, &peer);

  ok = dp_auth_handshake (socket, cookie, data[0] & 1, "fuzz", &peer_name, &error);
  if (ok)
    fuzz_fail ("the handshake passed without the cookie");
  if (error == NULL || error->domain != DP_ERROR || error->message[0] == '\0')
    fuzz_fail ("the handshake failed without saying why");
  if (peer_name != NULL)
    fuzz_fail ("a failed handshake named its peer");

  /* The peer's reads end when our side goes. */
  g_socket_close (socket, NULL);
  g_thread_join (thread);
  close (fds[1]);

  return 0;
}
