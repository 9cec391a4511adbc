/* make-corpus.c: the harnesses' seed inputs, made by the real code
 *
 *   meson compile -C build fuzz-make-corpus
 *   build/tests/fuzz/fuzz-make-corpus tests/fuzz/corpus data/examples
 *
 * Writes seed-* files into CORPUS/frame, message, handshake, rpc, json
 * and keyfile: frames as a real DpSocketConnection writes them, messages
 * cut out of those frames, both directions of a real handshake, the named
 * example's RPC calls as the RPC client puts them, the HTTP tests' POST
 * bodies, and the example keyfiles. Other files there (inputs that once
 * crashed) are left alone.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include <dplaces/dplaces.h>

#include "dp-auth-private.h"
#include "dp-socket-connection-private.h"
#include "dp-wire-private.h"

#include "fuzz-connection.h"

#define FUZZ_COOKIE "fuzz-cookie-0123456789abcdef"

static const char *corpus_dir;

static void
write_seed (const char   *harness,
            const char   *name,
            guint8        options,
            const guint8 *data,
            gsize         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (corpus_dir, harness, NULL);
  g_autofree char *file = g_strconcat ("seed-", name, NULL);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr(GByteArray) contents = g_byte_array_new ();

  if (options != 0xff)
    g_byte_array_append (contents, &options, 1);
  g_byte_array_append (contents, data, size);

  g_mkdir_with_parents (dir, 0755);
  if (!g_file_set_contents (path, (const char *) contents->data, contents->len, &error))
    g_error ("%s", error->message);
  g_print ("%s (%u bytes)\n", path, contents->len);
}

/* A peer: a real connection whose bytes we capture from the other end of
 * its socket pair. */
typedef struct {
  DpSocketConnection *connection;
  int capture_fd;
} Peer;

static Peer
peer_new (gboolean initiator)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  Peer peer;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    g_error ("socketpair: %s", g_strerror (errno));
  socket = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  peer.connection = dp_socket_connection_new (socket, initiator);
  peer.capture_fd = fds[1];
  return peer;
}

/* Everything the peer wrote so far; the descriptors that came along are
 * dropped (the harnesses send their own). */
static GByteArray *
peer_take (Peer *peer)
{
  GByteArray *bytes = g_byte_array_new ();

  for (;;)
    {
      guint8 buffer[65536];
      union {
        struct cmsghdr header;
        char buffer[CMSG_SPACE (sizeof (int) * 16)];
      } control;
      struct iovec vector = { buffer, sizeof buffer };
      struct msghdr message = { 0 };
      ssize_t n;

      message.msg_iov = &vector;
      message.msg_iovlen = 1;
      message.msg_control = control.buffer;
      message.msg_controllen = sizeof control.buffer;
      n = recvmsg (peer->capture_fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
      if (n <= 0)
        break;
      for (struct cmsghdr *cmsg = CMSG_FIRSTHDR (&message); cmsg != NULL;
           cmsg = CMSG_NXTHDR (&message, cmsg))
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
          for (guint i = 0; i < (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (int); i++)
            close (((int *) CMSG_DATA (cmsg))[i]);
      g_byte_array_append (bytes, buffer, n);
    }
  return bytes;
}

static void
peer_free (Peer *peer)
{
  dp_socket_connection_close (peer->connection, NULL);
  g_object_unref (peer->connection);
  close (peer->capture_fd);
}

static void
put (DpPlaceChannel *channel,
     GVariant       *message)
{
  g_autoptr(GError) error = NULL;

  if (!dp_channel_put (DP_CHANNEL (channel), message, &error))
    g_error ("put: %s", error->message);
}

static void
control (Peer       *peer,
         guint       kind,
         guint32     channel,
         guint32     aux,
         GVariant   *payload)
{
  g_autoptr(GError) error = NULL;

  if (!dp_socket_connection_send_control (peer->connection, kind, channel, aux, payload, &error))
    g_error ("send: %s", error->message);
}

/* Each DATA frame of @stream, as the message harness takes it. */
static void
write_message_seeds (const char *name,
                     GByteArray *stream)
{
  gsize offset = 0;
  guint n = 0;

  while (offset + DP_FRAME_HEADER_SIZE <= stream->len)
    {
      DpFrameHeader header;
      const guint8 *payload = stream->data + offset + DP_FRAME_HEADER_SIZE;

      dp_frame_header_decode (stream->data + offset, &header);
      if (header.kind == DP_FRAME_DATA && header.aux < 256)
        {
          g_autoptr(GByteArray) seed = g_byte_array_new ();
          g_autofree char *seed_name = g_strdup_printf ("%s-%u", name, n++);
          gsize entries = header.aux * sizeof (DpHandleEntry);
          gsize value = dp_align8 (header.type_length);
          guint8 count = header.aux;
          guint8 nul = 0;

          g_byte_array_append (seed, &count, 1);
          g_byte_array_append (seed, payload, header.type_length);
          g_byte_array_append (seed, &nul, 1);
          g_byte_array_append (seed, payload + value, header.length - value - entries);
          g_byte_array_append (seed, payload + header.length - entries, entries);
          write_seed ("message", seed_name, 0xff, seed->data, seed->len);
        }
      offset += DP_FRAME_HEADER_SIZE + header.length;
    }
}

static void
make_frame_seeds (void)
{
  g_autoptr(GError) error = NULL;
  /* The harness's connection accepted; its peer opened. */
  const gboolean initiator = FALSE;

  /* Messages of every kind on channel 1. */
  {
    Peer peer = peer_new (!initiator);
    g_autoptr(DpPlaceChannel) first = dp_socket_connection_open_channel (peer.connection, FUZZ_CHANNEL_FIRST);
    g_autoptr(GByteArray) stream = NULL;
    GVariantBuilder dict;
    static const gdouble doubles[] = { 0.5, -1.0, 1e300 };
    static const gint32 ints[] = { 1, -2, 3, 40000 };

    put (first, g_variant_new_string ("hello"));
    put (first, g_variant_new_int64 (42));
    put (first, g_variant_new ("(sidb)", "tag", 7, 2.5, TRUE));
    g_variant_builder_init (&dict, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&dict, "{sv}", "name", g_variant_new_string ("bank"));
    g_variant_builder_add (&dict, "{sv}", "balance", g_variant_new_uint64 (100));
    put (first, g_variant_builder_end (&dict));
    put (first, g_variant_new_parsed ("[<'a'>, <(1, [2, 3])>, <<@mi nothing>>]"));
    put (first, g_variant_new_bytestring ("a byte string"));
    put (first, g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, doubles, G_N_ELEMENTS (doubles), sizeof doubles[0]));
    put (first, g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, ints, G_N_ELEMENTS (ints), sizeof ints[0]));
    put (first, g_variant_new_parsed ("({'x': [1.5, 2.5]}, @ms 'just', ())"));
    stream = peer_take (&peer);
    write_seed ("frame", "messages", initiator, stream->data, stream->len);
    write_message_seeds ("messages", stream);
    peer_free (&peer);
  }

  /* A big frame (read into its own buffer), then a small one. */
  {
    Peer peer = peer_new (!initiator);
    g_autoptr(DpPlaceChannel) first = dp_socket_connection_open_channel (peer.connection, FUZZ_CHANNEL_FIRST);
    g_autoptr(GByteArray) stream = NULL;
    g_autofree guint8 *big = g_malloc (20000);

    for (guint i = 0; i < 20000; i++)
      big[i] = i * 7;
    put (first, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, big, 20000, 1));
    put (first, g_variant_new_string ("after the big one"));
    stream = peer_take (&peer);
    write_seed ("frame", "big", initiator, stream->data, stream->len);
    peer_free (&peer);
  }

  /* A channel inside a message; then traffic on it, and its end. */
  {
    Peer peer = peer_new (!initiator), later = peer_new (!initiator);
    g_autoptr(DpPlaceChannel) first = dp_socket_connection_open_channel (peer.connection, FUZZ_CHANNEL_FIRST);
    g_autoptr(DpPlaceChannel) a = NULL, b = NULL, on_sent = NULL;
    g_autoptr(GByteArray) stream = NULL, rest = NULL;

    dp_place_channel_new_pair (&a, &b);
    put (first, g_variant_new ("(s@h)", "channel", dp_channel_to_variant (DP_CHANNEL (b))));
    stream = peer_take (&peer);
    write_message_seeds ("channel", stream);

    /* The sent channel got the peer's first id. */
    on_sent = dp_socket_connection_open_channel (later.connection, 2);
    put (on_sent, g_variant_new_string ("on the sent channel"));
    control (&later, DP_FRAME_CLOSE, 2, 0, g_variant_new_string ("done with it"));
    rest = peer_take (&later);
    g_byte_array_append (stream, rest->data, rest->len);
    write_seed ("frame", "channel", initiator, stream->data, stream->len);

    dp_channel_close (DP_CHANNEL (a));
    dp_channel_close (DP_CHANNEL (b));
    peer_free (&peer);
    peer_free (&later);
  }

  /* The harness's own exported channel: taken, written to, closed; the
   * channel bound to the harness's place: written to, closed. */
  {
    Peer peer = peer_new (!initiator);
    g_autoptr(DpPlaceChannel) to_export = NULL, to_bound = NULL;
    g_autoptr(GByteArray) stream = NULL;
    guint32 exported = fuzz_channel_export (initiator), bound = fuzz_channel_bound (initiator);

    control (&peer, DP_FRAME_TAKE, exported, 0, NULL);
    to_export = dp_socket_connection_open_channel (peer.connection, exported);
    put (to_export, g_variant_new ("(si)", "to the export", 1));
    control (&peer, DP_FRAME_CLOSE, exported, 0, g_variant_new_string ("bye"));
    to_bound = dp_socket_connection_open_channel (peer.connection, bound);
    put (to_bound, g_variant_new ("(si)", "to the bound place", 2));
    control (&peer, DP_FRAME_CLOSE, bound, 0, NULL);
    stream = peer_take (&peer);
    write_seed ("frame", "export-and-bound", initiator, stream->data, stream->len);
    peer_free (&peer);
  }

  /* Closes with a code (schemas/wire.md, CLOSE), as the real code sends
   * them: a node's refusal — NOT_FOUND — on channel 1 behind a message,
   * the peer's own KILLED (not the receiver's to take) on the export; by
   * hand, a code no version has on the bound channel, and a code without
   * a reason on a channel that is not there. */
  {
    Peer peer = peer_new (!initiator);
    g_autoptr(DpPlaceChannel) first = dp_socket_connection_open_channel (peer.connection, FUZZ_CHANNEL_FIRST);
    g_autoptr(GError) missing = g_error_new_literal (DP_ERROR, DP_ERROR_NOT_FOUND,
                                                     "No place named “nobody” on node fuzz");
    g_autoptr(GError) killed = g_error_new_literal (DP_ERROR, DP_ERROR_KILLED, "This place was killed");
    g_autoptr(GByteArray) stream = NULL;

    put (first, g_variant_new_string ("before the refusal"));
    if (!dp_socket_connection_send_close (peer.connection, FUZZ_CHANNEL_FIRST, missing, &error) ||
        !dp_socket_connection_send_close (peer.connection, fuzz_channel_export (initiator), killed, &error))
      g_error ("send: %s", error->message);
    control (&peer, DP_FRAME_CLOSE, fuzz_channel_bound (initiator), G_MAXUINT32,
             g_variant_new_string ("a code from a later version"));
    control (&peer, DP_FRAME_CLOSE, 77, DP_ERROR_NOT_FOUND + 1, NULL);
    stream = peer_take (&peer);
    write_seed ("frame", "close-codes", initiator, stream->data, stream->len);
    peer_free (&peer);
  }

  /* The router's requests. */
  {
    Peer peer = peer_new (!initiator);
    g_autoptr(GByteArray) stream = NULL;

    control (&peer, DP_FRAME_NEW_PLACE, 5, 0,
             g_variant_new (DP_NEW_PLACE_TYPE, 0, "examples", "hello_world", "", "threads"));
    control (&peer, DP_FRAME_NEW_CONNECTION, 7, 0,
             g_variant_new (DP_NEW_CONNECTION_TYPE, "bank", DP_CONNECTION_MODE_CONNECT,
                            g_variant_new ("()")));
    control (&peer, DP_FRAME_PLACE_DIED, 5, 0, g_variant_new (DP_PLACE_DIED_TYPE, 1, "killed"));
    control (&peer, DP_FRAME_LOG, 0, 0, g_variant_new (DP_LOG_TYPE, "info", "a log line"));
    control (&peer, DP_FRAME_NEW_NODE, 0, 0, g_variant_new (DP_NEW_NODE_TYPE, "localhost", 6340, FALSE));
    control (&peer, DP_FRAME_SET_OWNER, 0, 0, NULL);
    control (&peer, DP_FRAME_CONNECT_TO, 9, 0, g_variant_new (DP_CONNECT_TO_TYPE, "localhost", 6340, "bank"));
    control (&peer, DP_FRAME_EXIT, 0, 3, NULL);
    stream = peer_take (&peer);
    write_seed ("frame", "router", initiator, stream->data, stream->len);
    peer_free (&peer);
  }

  /* Shared vectors: the harness sends one memfd with the first byte. */
  {
    Peer peer = peer_new (!initiator);
    g_autoptr(DpPlaceChannel) first = dp_socket_connection_open_channel (peer.connection, FUZZ_CHANNEL_FIRST);
    g_autoptr(DpSharedVector) vector = dp_make_shared_fxvector (16, 7, &error);
    g_autoptr(GByteArray) stream = NULL;

    g_assert_no_error (error);
    put (first, g_variant_new ("(s@h)", "vector", dp_shared_vector_to_variant (vector)));
    stream = peer_take (&peer);
    write_seed ("frame", "vector", initiator | (1 << 1), stream->data, stream->len);
    write_message_seeds ("vector", stream);
    peer_free (&peer);
  }

  /* Flow control: credit for the one message the harness sent on channel
   * 1 (a handle: type "h" padded to 8, 4 bytes, one entry), a message,
   * then credit for more than was ever sent, which closes. */
  {
    Peer peer = peer_new (!initiator);
    g_autoptr(DpPlaceChannel) first = dp_socket_connection_open_channel (peer.connection, FUZZ_CHANNEL_FIRST);
    g_autoptr(GByteArray) stream = g_byte_array_new ();
    g_autoptr(GByteArray) data = NULL;
    DpFrameHeader credit = { 0 };
    guint8 header[DP_FRAME_HEADER_SIZE];

    credit.kind = DP_FRAME_CREDIT;
    credit.channel = FUZZ_CHANNEL_FIRST;
    credit.aux = dp_align8 (1) + 4 + sizeof (DpHandleEntry) + DP_FLOW_MESSAGE_COST;
    dp_frame_header_encode (&credit, header);
    g_byte_array_append (stream, header, sizeof header);
    put (first, g_variant_new_string ("after the credit"));
    data = peer_take (&peer);
    g_byte_array_append (stream, data->data, data->len);
    credit.aux = 1;
    dp_frame_header_encode (&credit, header);
    g_byte_array_append (stream, header, sizeof header);
    write_seed ("frame", "credit", initiator, stream->data, stream->len);
    peer_free (&peer);
  }

  /* The other side: the harness's connection opened. */
  {
    Peer peer = peer_new (initiator);
    g_autoptr(DpPlaceChannel) first = dp_socket_connection_open_channel (peer.connection, FUZZ_CHANNEL_FIRST);
    g_autoptr(GByteArray) stream = NULL;

    put (first, g_variant_new ("(ss)", "reply", "from the accepting side"));
    control (&peer, DP_FRAME_PLACE_DIED, FUZZ_CHANNEL_FIRST, 0, g_variant_new (DP_PLACE_DIED_TYPE, 0, "done"));
    control (&peer, DP_FRAME_CLOSE, FUZZ_CHANNEL_FIRST, 0, g_variant_new_string ("place ended"));
    stream = peer_take (&peer);
    write_seed ("frame", "initiator", !initiator, stream->data, stream->len);
    peer_free (&peer);
  }
}

/* A real handshake between two sockets, through a relay that records
 * what each side sends. */

typedef struct {
  GSocket *socket;
  gboolean initiator;
  gint done;
} Side;

static gpointer
handshake_thread (gpointer data)
{
  Side *side = data;
  g_autoptr(GBytes) cookie = g_bytes_new_static (FUZZ_COOKIE, strlen (FUZZ_COOKIE));
  g_autoptr(GError) error = NULL;

  if (!dp_auth_handshake (side->socket, cookie, side->initiator,
                          side->initiator ? "client" : "server", NULL, &error))
    g_error ("handshake: %s", error->message);
  g_atomic_int_set (&side->done, 1);
  return NULL;
}

static void
make_handshake_seeds (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) to_server = g_byte_array_new ();
  g_autoptr(GByteArray) to_client = g_byte_array_new ();
  Side client = { NULL, TRUE, 0 }, server = { NULL, FALSE, 0 };
  GThread *threads[2];
  int c[2], s[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c) < 0 ||
      socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) < 0)
    g_error ("socketpair: %s", g_strerror (errno));
  client.socket = g_socket_new_from_fd (c[0], &error);
  g_assert_no_error (error);
  server.socket = g_socket_new_from_fd (s[0], &error);
  g_assert_no_error (error);

  threads[0] = g_thread_new ("client", handshake_thread, &client);
  threads[1] = g_thread_new ("server", handshake_thread, &server);
  while (!g_atomic_int_get (&client.done) || !g_atomic_int_get (&server.done))
    {
      struct pollfd pfds[2] = { { c[1], POLLIN, 0 }, { s[1], POLLIN, 0 } };

      poll (pfds, 2, 50);
      for (guint i = 0; i < 2; i++)
        if (pfds[i].revents & POLLIN)
          {
            guint8 buffer[4096];
            ssize_t n = recv (pfds[i].fd, buffer, sizeof buffer, 0);

            if (n <= 0)
              continue;
            g_byte_array_append (i == 0 ? to_server : to_client, buffer, n);
            if (send (i == 0 ? s[1] : c[1], buffer, n, MSG_NOSIGNAL) != n)
              g_error ("relay: %s", g_strerror (errno));
          }
    }
  g_thread_join (threads[0]);
  g_thread_join (threads[1]);

  /* Option bit 0: the harness is the side that connected. */
  write_seed ("handshake", "from-client", 0, to_server->data, to_server->len);
  write_seed ("handshake", "from-server", 1, to_client->data, to_client->len);

  g_object_unref (client.socket);
  g_object_unref (server.socket);
  close (c[1]);
  close (s[1]);
}

static void
copy_keyfiles (const char *examples)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (examples, 0, &error);
  const char *name;

  if (dir == NULL)
    g_error ("%s", error->message);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (examples, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (!g_str_has_suffix (name, ".ini"))
        continue;
      if (!g_file_get_contents (path, &contents, &length, &error))
        g_error ("%s", error->message);
      write_seed ("keyfile", name, 0xff, (const guint8 *) contents, length);
    }
}

/* Appends @request in fuzz-rpc's form: type | NUL | size (2 bytes, LE) |
 * value. */
static void
rpc_append (GByteArray *input,
            GVariant   *request)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (request);
  const char *type = g_variant_get_type_string (owned);
  gsize size = g_variant_get_size (owned);
  guint8 size_le[2] = { size & 0xff, size >> 8 };

  g_assert (size <= G_MAXUINT16);
  g_byte_array_append (input, (const guint8 *) type, strlen (type) + 1);
  g_byte_array_append (input, size_le, 2);
  g_byte_array_append (input, g_variant_get_data (owned), size);
}

/* A call as dp_rpc_call() puts it (plugins/rpc/dp-rpc-client.c): method,
 * serial (0 for a cast), arguments. */
static GVariant *
rpc_request (const char *method,
             guint32     serial,
             GVariant   *args)
{
  return g_variant_new ("(su@r)", method, serial, args != NULL ? args : g_variant_new ("()"));
}

static void
write_rpc_seed (const char *name,
                guint8      options,
                GVariant   *first,
                ...)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  va_list args;

  va_start (args, first);
  for (GVariant *request = first; request != NULL; request = va_arg (args, GVariant *))
    rpc_append (input, request);
  va_end (args);
  write_seed ("rpc", name, options, input->data, input->len);
}

/* The named example's calls (plugins/examples/named/named-calls.c), to
 * the bank (option 0) and the tuple server (option 1); bit 1 sends them
 * as a named place's client does. */
static void
make_rpc_seeds (void)
{
  write_rpc_seed ("bank", 0,
                  rpc_request ("new-account", 1, g_variant_new ("(s)", "user0")),
                  rpc_request ("add", 2, g_variant_new ("(sx)", "user0", (gint64) 10)),
                  rpc_request ("removeM", 3, g_variant_new ("(sx)", "user0", (gint64) 5)),
                  rpc_request ("removeM", 4, g_variant_new ("(sx)", "user0", (gint64) 50)),
                  rpc_request ("new-account", 5, g_variant_new ("(s)", "user0")),
                  NULL);
  write_rpc_seed ("bank-errors", 0,
                  rpc_request ("withdraw", 1, g_variant_new ("(s)", "user0")),
                  rpc_request ("add", 2, g_variant_new ("(si)", "user0", 10)),
                  g_variant_new ("(sus)", "add", (guint32) 3, "not a tuple"),
                  g_variant_new_string ("not a request"),
                  rpc_request ("new-account", 0, g_variant_new ("(s)", "cast")),
                  NULL);
  write_rpc_seed ("bank-named", 2,
                  rpc_request ("new-account", 1, g_variant_new ("(s)", "user0")),
                  rpc_request ("add", 2, g_variant_new ("(sx)", "user0", (gint64) 10)),
                  NULL);
  write_rpc_seed ("tuple-server", 1,
                  rpc_request ("set", 1, g_variant_new ("(sv)", "k", g_variant_new_string ("v"))),
                  rpc_request ("get", 2, g_variant_new ("(s)", "k")),
                  rpc_request ("get", 3, g_variant_new ("(s)", "nothing")),
                  rpc_request ("hello", 0, NULL),
                  NULL);
  write_rpc_seed ("tuple-server-named", 3,
                  rpc_request ("set", 1, g_variant_new ("(sv)", "k", g_variant_new ("(ix)", 1, (gint64) 2))),
                  rpc_request ("get", 2, g_variant_new ("(s)", "k")),
                  NULL);
}

/* fuzz-json's form: type | NUL | timeout | NUL | body, as the tests of
 * POST /api/places/NAME/messages (tests/http/test-http.c) send them. */
static void
write_json_seed (const char *name,
                 const char *type,
                 const char *timeout,
                 const char *body)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();

  g_byte_array_append (input, (const guint8 *) type, strlen (type) + 1);
  g_byte_array_append (input, (const guint8 *) timeout, strlen (timeout) + 1);
  g_byte_array_append (input, (const guint8 *) body, strlen (body));
  write_seed ("json", name, 0xff, input->data, input->len);
}

static void
make_json_seeds (void)
{
  write_json_seed ("object", "", "", "{\"greeting\": \"hello\", \"n\": 3}");
  write_json_seed ("typed-tuple", "(si)", "", "[\"x\", 7]");
  write_json_seed ("number", "", "2.5", "1");
  write_json_seed ("boolean", "b", "0", "true");
  write_json_seed ("strings", "as", "", "[\"a\", \"b\\u00e9\"]");
  write_json_seed ("vardict", "a{sv}", "30", "{\"a\": 1, \"b\": [true, null], \"c\": {\"d\": -1.5e3}}");
  write_json_seed ("nested", "", "", "[[1, [2, [3]]], {\"x\": {\"y\": \"z\"}}]");
  write_json_seed ("bytes", "ay", "", "[0, 255, 7]");
  write_json_seed ("maybe", "mi", "", "null");
  write_json_seed ("bad-json", "", "", "{\"a\": ");
  write_json_seed ("bad-type", "(q", "", "1");
  write_json_seed ("handle", "(sh)", "", "[\"x\", 0]");
  write_json_seed ("bad-timeout", "", "-1", "1");
  write_json_seed ("object-paths", "(aog)", "", "[[\"/a\", \"/b/c\"], \"a{sv}\"]");
}

int
main (int    argc,
      char **argv)
{
  if (argc != 3)
    {
      g_printerr ("usage: %s CORPUS-DIR EXAMPLES-DIR\n", argv[0]);
      return 2;
    }
  corpus_dir = argv[1];

  make_frame_seeds ();
  make_handshake_seeds ();
  make_rpc_seeds ();
  make_json_seeds ();
  copy_keyfiles (argv[2]);
  return 0;
}
