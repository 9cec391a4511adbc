/* fuzz-connection.c: a DpSocketConnection fed hostile bytes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include <dplaces/dplaces.h>

#include "dp-handles-private.h"
#include "dp-wire-private.h"

#include "fuzz-common.h"
#include "fuzz-connection.h"

/* How long a connection may take to go once everything is closed. */
#define FINALIZE_TIMEOUT_USEC (5 * G_USEC_PER_SEC)

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean closed;
  gboolean finalized;
} Watch;

static void
on_closed (DpSocketConnection *connection,
           GError             *reason,
           Watch              *watch)
{
  g_mutex_lock (&watch->lock);
  watch->closed = TRUE;
  g_cond_broadcast (&watch->cond);
  g_mutex_unlock (&watch->lock);
}

static void
on_finalized (gpointer  data,
              GObject  *where_the_object_was)
{
  Watch *watch = data;

  g_mutex_lock (&watch->lock);
  watch->finalized = TRUE;
  g_cond_broadcast (&watch->cond);
  g_mutex_unlock (&watch->lock);
}

/* The router's requests are understood; what they then do is the node's
 * business, not the decoder's. Anything else closes the connection. */
static gboolean
control_cb (DpSocketConnection *connection,
            guint               kind,
            guint32             channel,
            guint32             aux,
            GVariant           *payload,
            gpointer            user_data)
{
  if (payload != NULL && !g_variant_is_normal_form (payload))
    fuzz_fail ("control frame of kind %u with a payload not in normal form", kind);
  return kind >= DP_FRAME_NEW_PLACE && kind <= DP_FRAME_CONNECT_TO;
}

static int
make_memfd (void)
{
  int fd = memfd_create ("fuzz-vector", MFD_CLOEXEC);

  if (fd < 0 || ftruncate (fd, FUZZ_FD_SIZE) < 0)
    g_error ("memfd: %s", g_strerror (errno));
  return fd;
}

/* Writes @data to @fd, the peer's end, reading whatever the connection
 * sends back meanwhile (it may answer: TAKE, CLOSE), then shuts the
 * writing side and reads until the connection shuts the socket. */
static void
pump (int           fd,
      const guint8 *data,
      gsize         size,
      guint         n_fds)
{
  gsize done = 0;
  gboolean shut = FALSE;

  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };

      if (done == size && !shut)
        {
          shutdown (fd, SHUT_WR);
          shut = TRUE;
        }
      if (!shut)
        pfd.events |= POLLOUT;
      if (poll (&pfd, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("poll: %s", g_strerror (errno));
        }

      if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
        {
          char sink[4096];
          ssize_t n = recv (fd, sink, sizeof sink, MSG_DONTWAIT);

          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;     /* the connection shut its socket: it is closed */
        }

      if ((pfd.revents & POLLOUT) && done < size)
        {
          struct iovec vector = { (void *) (data + done), size - done };
          struct msghdr message = { 0 };
          union {
            struct cmsghdr header;
            char buffer[CMSG_SPACE (sizeof (int) * FUZZ_MAX_FDS)];
          } control;
          int fds[FUZZ_MAX_FDS];
          ssize_t n;

          message.msg_iov = &vector;
          message.msg_iovlen = 1;
          if (done == 0 && n_fds > 0)
            {
              struct cmsghdr *cmsg;

              /* The descriptors go with the first byte, as a sender's go
               * with its frame's. */
              for (guint i = 0; i < n_fds; i++)
                fds[i] = make_memfd ();
              memset (&control, 0, sizeof control);
              message.msg_control = control.buffer;
              message.msg_controllen = CMSG_SPACE (sizeof (int) * n_fds);
              cmsg = CMSG_FIRSTHDR (&message);
              cmsg->cmsg_level = SOL_SOCKET;
              cmsg->cmsg_type = SCM_RIGHTS;
              cmsg->cmsg_len = CMSG_LEN (sizeof (int) * n_fds);
              memcpy (CMSG_DATA (cmsg), fds, sizeof (int) * n_fds);
            }
          n = sendmsg (fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
          if (done == 0 && n_fds > 0)
            for (guint i = 0; i < n_fds; i++)
              close (fds[i]);
          if (n > 0)
            done += n;
          else if (n < 0 && errno != EAGAIN && errno != EINTR)
            done = size;   /* closed on us: the rest goes unsaid */
        }
    }
}

static guint
count_threads (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* The connection's reader thread frees its GLib bookkeeping as it exits,
 * after the connection is gone: wait for that, or LeakSanitizer (which
 * libFuzzer runs after an input that allocated more than it freed) may
 * look while it is half done and report what it was about to free. */
static void
wait_for_threads (guint n)
{
  gint64 deadline = g_get_monotonic_time () + FINALIZE_TIMEOUT_USEC;

  while (count_threads () > n && g_get_monotonic_time () < deadline)
    g_usleep (100);
}

typedef struct {
  GPtrArray *channels;    /* DpChannel*: every channel we got, to drain and close */
  GHashTable *seen;       /* DpPlaceChannel* endpoints in channels */
  GArray *handles;        /* gint32: the handles of the message being read */
} Reader;

static void
reader_add_channel (Reader    *reader,
                    DpChannel *channel)
{
  DpPlaceChannel *endpoint = dp_channel_get_endpoint (channel);

  if (g_hash_table_contains (reader->seen, endpoint))
    {
      g_object_unref (channel);
      return;
    }
  g_hash_table_add (reader->seen, endpoint);
  g_ptr_array_add (reader->channels, channel);
}

static gboolean
collect_handle (gint32    handle,
                gint32   *mapped,
                gpointer  data,
                GError  **error)
{
  Reader *reader = data;

  g_array_append_val (reader->handles, handle);
  *mapped = handle;
  return TRUE;
}

/* What a place does with a message it got: looks at it, and takes out the
 * channels and shared vectors it names. */
static void
read_message (Reader   *reader,
              GVariant *message)
{
  g_autoptr(GVariant) same = NULL;
  g_autofree char *text = NULL;

  if (!g_variant_is_normal_form (message))
    fuzz_fail ("a message of type %s not in normal form reached a channel",
               g_variant_get_type_string (message));

  text = dp_message_to_display (message);
  (void) dp_message_get_tag (message);
  if (fuzz_verbose ())
    g_printerr ("message: %.200s\n", text);

  g_array_set_size (reader->handles, 0);
  same = dp_message_map_handles (message, collect_handle, reader, NULL);
  for (guint i = 0; i < reader->handles->len; i++)
    {
      gint32 handle = g_array_index (reader->handles, gint32, i);
      g_autoptr(GObject) object = dp_handles_peek (handle);
      g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_handle (handle));

      if (object != NULL && DP_IS_SHARED_VECTOR (object))
        {
          g_autoptr(DpSharedVector) vector = dp_shared_vector_from_variant (value, NULL);
          const guint8 *bytes;
          gsize size;
          guint sum = 0;

          if (vector == NULL)
            continue;    /* taken out already: the handle appears twice */
          /* Every byte its description promises must be there. */
          bytes = dp_shared_vector_get_data (vector);
          size = dp_shared_vector_get_size (vector);
          for (gsize j = 0; j < size; j++)
            sum += bytes[j];
          (void) sum;
        }
      else
        {
          g_autoptr(GError) error = NULL;
          DpChannel *channel = dp_channel_from_variant (value, &error);

          if (channel == NULL)
            fuzz_fail ("a channel handle did not give a channel: %s", error->message);
          reader_add_channel (reader, channel);
        }
    }
}

/* Returns how many messages the first channel in the list had. */
static guint
read_everything (Reader *reader)
{
  guint n_first = 0;

  /* Channels found in messages join the list as we go. */
  for (guint i = 0; i < reader->channels->len; i++)
    {
      DpChannel *channel = g_ptr_array_index (reader->channels, i);

      for (;;)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GVariant) message = dp_channel_try_get (channel, &error);

          if (message == NULL)
            break;
          n_first += i == 0;
          read_message (reader, message);
        }
    }

  for (guint i = 0; i < reader->channels->len; i++)
    dp_channel_close (g_ptr_array_index (reader->channels, i));

  return n_first;
}

guint
fuzz_connection_run (const guint8 *data,
                     gsize         size,
                     gboolean      initiator,
                     guint         n_fds)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(DpPlaceChannel) first = NULL;
  g_autoptr(DpPlaceChannel) kept = NULL, exported = NULL;
  g_autoptr(DpPlaceChannel) bound_peer = NULL, bound = NULL;
  DpSocketConnection *connection;
  Reader reader;
  Watch watch = { 0 };
  guint handles_before = dp_handles_count ();
  guint threads_before = count_threads ();
  gint64 deadline;
  guint n_first;
  int fds[2];

  g_return_val_if_fail (n_fds <= FUZZ_MAX_FDS, 0);
  if (size == 0)
    n_fds = 0;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    g_error ("socketpair: %s", g_strerror (errno));
  socket = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);

  g_mutex_init (&watch.lock);
  g_cond_init (&watch.cond);
  connection = dp_socket_connection_new (socket, initiator);
  g_object_weak_ref (G_OBJECT (connection), on_finalized, &watch);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), &watch);
  dp_socket_connection_set_control_handler (connection, control_cb, NULL, NULL);

  /* The channels a peer can address (fuzz-connection.h). */
  first = dp_socket_connection_open_channel (connection, FUZZ_CHANNEL_FIRST);
  dp_place_channel_new_pair (&kept, &exported);
  if (!dp_channel_put (DP_CHANNEL (first), dp_channel_to_variant (DP_CHANNEL (exported)), &error))
    g_error ("cannot export a channel: %s", error->message);
  dp_place_channel_new_pair (&bound_peer, &bound);
  if (!dp_socket_connection_bind_channel (connection, fuzz_channel_bound (initiator), bound, &error))
    g_error ("cannot bind a channel: %s", error->message);

  dp_socket_connection_start (connection);
  pump (fds[1], data, size, n_fds);

  g_mutex_lock (&watch.lock);
  while (!watch.closed)
    g_cond_wait (&watch.cond, &watch.lock);
  g_mutex_unlock (&watch.lock);

  reader.channels = g_ptr_array_new_with_free_func (g_object_unref);
  reader.seen = g_hash_table_new (NULL, NULL);
  reader.handles = g_array_new (FALSE, FALSE, sizeof (gint32));
  reader_add_channel (&reader, g_object_ref (DP_CHANNEL (first)));
  reader_add_channel (&reader, g_object_ref (DP_CHANNEL (kept)));
  reader_add_channel (&reader, g_object_ref (DP_CHANNEL (exported)));
  reader_add_channel (&reader, g_object_ref (DP_CHANNEL (bound_peer)));
  reader_add_channel (&reader, g_object_ref (DP_CHANNEL (bound)));
  n_first = read_everything (&reader);
  g_ptr_array_unref (reader.channels);
  g_hash_table_unref (reader.seen);
  g_array_unref (reader.handles);
  g_clear_object (&first);
  g_clear_object (&kept);
  g_clear_object (&exported);
  g_clear_object (&bound_peer);
  g_clear_object (&bound);

  g_object_unref (connection);
  close (fds[1]);

  deadline = g_get_monotonic_time () + FINALIZE_TIMEOUT_USEC;
  g_mutex_lock (&watch.lock);
  while (!watch.finalized)
    if (!g_cond_wait_until (&watch.cond, &watch.lock, deadline))
      fuzz_fail ("the connection was not finalized: something the peer sent still holds it");
  g_mutex_unlock (&watch.lock);
  g_mutex_clear (&watch.lock);
  g_cond_clear (&watch.cond);
  wait_for_threads (threads_before);

  if (dp_handles_count () != handles_before)
    fuzz_fail ("%u handles before, %u after: the peer made us keep a channel or vector",
               handles_before, dp_handles_count ());

  return n_first;
}
