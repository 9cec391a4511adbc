/* dp-socket-connection.c: channels multiplexed over one stream socket
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-connection"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixfdmessage.h>

#include "dp-error.h"
#include "dp-handles-private.h"
#include "dp-monitor.h"
#include "dp-place-channel-private.h"
#include "dp-place-private.h"
#include "dp-shared-vector.h"
#include "dp-socket-connection-private.h"
#include "dp-wire-private.h"

/**
 * DpSocketConnection:
 *
 * Many channels over one stream socket: the seeds' `socket-connection%`
 * and `place-socket-bridge%` in one. Frames (see `dp-wire-private.h` and
 * `schemas/wire.md`) carry messages for numbered channels; each side holds
 * a linked [class@Dp.PlaceChannel] per channel.
 *
 * A message is written once, from its serialized form, with one
 * `sendmsg()`; it is read once, into a buffer that the received
 * [struct@GLib.Variant] wraps. Received data is untrusted: frames over the
 * size limit, malformed headers, invalid types and messages not in normal
 * form close the connection with a logged reason, and every channel on it
 * dies with that reason.
 *
 * Channels and shared vectors inside messages cross too: a channel is
 * *exported* (its inbox is redirected to the wire under a new id, and the
 * other side makes a linked endpoint for that id); a shared vector's memfd
 * goes along with the frame on a Unix socket.
 *
 * Reading. A background thread polls the socket. A thread about to sleep in
 * a get on one of the connection's endpoints reads the socket itself
 * instead, so a reply wakes the thread that wants it directly rather than
 * through the background reader; the background thread stays out of the
 * way while gets keep coming.
 *
 * Flow control. Each channel has a window in each direction: a side may
 * have at most FLOW_WINDOW bytes of messages on a channel that the other
 * side has not yet consumed (each message counts its frame's payload and
 * FLOW_MESSAGE_COST more, so that many small messages fill it too). A put
 * past it waits — only that channel's putters; the others' traffic goes on
 * — until the receiver returns credit with a CREDIT frame, which it sends
 * once it has consumed a quarter of a window, or sooner when the sender asks
 * (below). Consumed means got by a get, or, for a message a connection
 * sends on (a channel passed through this process, a relay), consumed by
 * the next receiver: the credit travels with the message (DpCredit), so
 * a slow consumer holds back the first sender and no process in between
 * piles messages up. So the reading side never waits: it keeps every
 * channel flowing, and its memory is bounded by the windows — which it
 * enforces: a peer that sends past a window without saying that it
 * overdraws (DP_FRAME_FLAG_OVERDRAFT: a message handed on, or one queued
 * before its channel went to the wire) breaks the protocol, and the
 * connection closes (flow_check_received()).
 */

/* How long the background reader leaves the socket to a thread that has
 * been reading it directly, in case it comes back for its next message. */
#define DIRECT_READER_GRACE_USEC 1000

/* Frames with payloads up to this size are read through the read buffer,
 * several per read; bigger ones straight into their own buffer. */
#define READ_BUFFER_SIZE (64 * 1024)
#define BIG_FRAME_SIZE (16 * 1024)

/* A blocking read returns this often, so a killed place notices, and a
 * message that reached a place's channel another way waits at most this. */
#define RECEIVE_TIMEOUT_MS 20

/* The most descriptors one read takes in. */
#define MAX_FDS_PER_READ 64

/* Frames queued behind a busy writer: at most this many bytes, then puts
 * wait; the writer sends at most this many frames per system call. */
#define PENDING_LIMIT (4 * 1024 * 1024)
#define BATCH_FRAMES 64

/* Flow control (above): a channel's window in bytes, and what a message
 * counts besides its payload (about what a queued message costs the
 * receiver in memory besides its data: 64k empty messages fill a window).
 * A put may go when less than a quarter of the window is used, whatever
 * the size of its message, or when the message fits: so one bigger than a
 * window still goes. The receiver returns credit by quarters of a window;
 * but a message sent with a quarter of the window or more in flight asks
 * for its credit (DP_FRAME_FLAG_CREDIT), which then goes back as soon as
 * it is consumed — by sixteenths while the consumer has more queued. So a
 * sender that waits, or soon may, gets its credit, and one that does not
 * costs one small frame per 4 MiB. The window is four times that batch
 * so the sender streams on while credit comes back: with 8 MiB returned
 * by halves, `dplaces bench tcp` streamed 1 MiB messages at 0.67 of raw
 * TCP instead of 0.82; at 16 MiB by quarters, 0.80. */
#define FLOW_WINDOW (16u * 1024 * 1024)
#define FLOW_MESSAGE_COST DP_FLOW_MESSAGE_COST
#define FLOW_RETURN (FLOW_WINDOW / 4)
#define FLOW_RETURN_SOON (FLOW_WINDOW / 16)

/* The monitor hears of a channel whose puts wait at most this often. */
#define FLOW_BUSY_EVENT_USEC G_USEC_PER_SEC

/* A frame waiting for the writer: its header and the message it carries
 * (none for a CREDIT frame). */
typedef struct {
  guint8 header[DP_FRAME_HEADER_SIZE];
  GVariant *message;
  gsize size;
} PendingFrame;

static void
pending_frame_free (PendingFrame *frame)
{
  g_clear_pointer (&frame->message, g_variant_unref);
  g_free (frame);
}

typedef struct _ChannelLink ChannelLink;

/* A channel's flow control, both ways. Shared by its link and by the
 * credits of the messages it delivered (the flow is their sink), which
 * may outlive the link. */
typedef struct {
  DpCreditSink sink;
  gatomicrefcount ref_count;
  guint32 id;
  GWeakRef connection;      /* a message's credit must not keep it */

  /* Sending. in_flight is atomic: a put that finds room takes it without
   * a lock; the rest is under the connection's flow_lock. */
  guint64 in_flight;        /* sent, not yet credited back */
  guint64 credited;         /* ever */
  GQueue relayed;           /* Relayed*, oldest first */
  guint waiting;            /* puts waiting for credit */
  gint64 last_busy_event;
  gboolean dead;
  GError *reason;

  /* Receiving: consumed and not yet credited back, and credited back
   * ever (atomic); for the reader alone, what came held to the window
   * (DATA frames without DP_FRAME_FLAG_OVERDRAFT), ever, and the costliest
   * of those frames (flow_check_received()). */
  guint64 unreturned;
  guint64 returned;
  guint64 received;
  guint64 largest;
} Flow;

/* The credit of a message this connection sent on for someone else: it
 * goes back upstream once our receiver has consumed the message, that is
 * once `credited` reaches `mark` (what was sent up to the message). */
typedef struct {
  guint64 mark;
  DpCredit credit;
} Relayed;

static void flow_sink_release (DpCreditSink *sink,
                               gsize         amount,
                               gboolean      urgent,
                               gboolean      idle);

static Flow *
flow_new (gpointer connection,
          guint32  id)
{
  Flow *flow = g_new0 (Flow, 1);

  flow->sink.release = flow_sink_release;
  g_atomic_ref_count_init (&flow->ref_count);
  g_weak_ref_init (&flow->connection, connection);
  flow->id = id;
  g_queue_init (&flow->relayed);
  return flow;
}

static Flow *
flow_ref (Flow *flow)
{
  g_atomic_ref_count_inc (&flow->ref_count);
  return flow;
}

static void
flow_unref (Flow *flow)
{
  if (!g_atomic_ref_count_dec (&flow->ref_count))
    return;

  /* A flow is killed when its link goes, which releases what it relayed;
   * a link that was never closed (its connection finalized first) may
   * still hold some: they go back now rather than never. */
  while (!g_queue_is_empty (&flow->relayed))
    {
      Relayed *entry = g_queue_pop_head (&flow->relayed);

      dp_credit_release (&entry->credit, TRUE);
      g_free (entry);
    }
  g_weak_ref_clear (&flow->connection);
  g_clear_error (&flow->reason);
  g_free (flow);
}

struct _DpSocketConnection
{
  GObject parent_instance;

  GSocket *socket;
  int fd;
  gboolean initiator;
  gboolean unix_socket;
  guint32 frame_limit;

  DpSocketConnectionControlFunc control_handler;
  gpointer control_data;
  GDestroyNotify control_destroy;

  DpSocketConnectionReasonFunc reason_func;
  gpointer reason_data;
  GDestroyNotify reason_destroy;

  /* Whoever holds write_lock writes. Puts that find it taken queue their
   * frame for the writer, which sends what queued with its own in one
   * sendmsg(): batching under load. The queue is bounded; past the bound a
   * put waits — back-pressure, never unbounded memory. */
  GMutex write_lock;
  GMutex queue_lock;
  GCond queue_cond;
  guint queue_waiters;      /* puts waiting for room; under queue_lock */
  GQueue pending;           /* PendingFrame*, oldest first */
  gsize pending_bytes;

  /* Whoever holds read_lock reads; it guards the read state below. */
  GMutex read_lock;
  guint8 *rbuf;
  gsize rlen;               /* bytes in rbuf */
  gsize rpos;               /* bytes of rbuf already parsed */
  gboolean in_big;          /* reading a big frame's payload directly */
  DpFrameHeader big_header;
  guint8 *big;
  gsize big_have;
  GArray *fds;              /* received descriptors not yet claimed by a frame */
  char last_type[256];      /* the last message type found valid */

  /* Who reads. */
  GMutex state_lock;
  GCond state_cond;
  gboolean started;
  gboolean direct_reading;
  gboolean getters_waiting;  /* a get found the direct reader busy */
  gint64 reserved_until;    /* the background reader waits until then */
  gboolean background_polling;
  gboolean background_waiting;  /* for a direct reader to finish */
  int wake_fd;
  GThread *reader_thread;

  gboolean closed;
  GError *close_reason;
  GError *lost_reason;      /* a write failed: what became of the peer */

  /* Flow control's sending side: every Flow's in_flight, relayed, waiting
   * and dead; puts waiting for credit wait on flow_cond. */
  GMutex flow_lock;
  GCond flow_cond;
  guint flow_waiting;       /* puts waiting for credit now */
  guint64 flow_waits;       /* puts that waited, ever */

  GMutex channels_lock;
  GHashTable *channels;     /* id → ChannelLink* */
  GHashTable *exports;      /* DpPlaceChannel* → its export ChannelLink* */
  guint32 next_id;

  /* For the control plane: who is on the other side (under state_lock),
   * and the traffic (atomic; see dp_socket_connection_dup_status()). */
  char *description;
  guint64 frames_in, messages_in, bytes_in;
  guint64 frames_out, messages_out, bytes_out;
};

/* Every connection of the process, for the control plane. */
typedef struct {
  GWeakRef ref;
  gpointer address;
} ConnectionLink;

static GMutex all_lock;
static GPtrArray *all_connections;   /* ConnectionLink* */

static inline void
count_traffic (guint64 *frames,
               guint64 *messages,
               guint64 *bytes,
               guint    n_frames,
               guint    n_messages,
               gsize    n_bytes)
{
  __atomic_fetch_add (frames, n_frames, __ATOMIC_RELAXED);
  __atomic_fetch_add (messages, n_messages, __ATOMIC_RELAXED);
  __atomic_fetch_add (bytes, n_bytes, __ATOMIC_RELAXED);
}

struct _ChannelLink
{
  DpSocketConnection *connection;  /* strong for proxies, none for exports */
  gatomicrefcount ref_count;       /* exports: the table's, and senders' */
  guint32 id;
  Flow *flow;
  gboolean exported;
  DpPlaceChannel *endpoint;        /* proxies: not a reference; exports: strong */
  gboolean remote_closed;          /* proxies: the other side closed */
  gboolean needs_take;             /* proxies: ask for the inbox before reading */
  gboolean taken;                  /* exports: the inbox is redirected here */
};

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DpSocketConnection, dp_socket_connection, G_TYPE_OBJECT)

static gboolean send_message_frame (DpSocketConnection  *self,
                                    ChannelLink         *link,
                                    GVariant            *message,
                                    GError             **error);
static gboolean send_queued_locked (DpSocketConnection  *self,
                                    ChannelLink         *link,
                                    GVariant            *message,
                                    GError             **error);
static void     flow_kill          (DpSocketConnection  *self,
                                    Flow                *flow,
                                    const GError        *reason);
static void     close_internal     (DpSocketConnection  *self,
                                    const GError        *reason);
static void     wake_background    (DpSocketConnection  *self);
static void     export_forward_peer_closed (const GError *reason,
                                            gpointer      data);
static void     export_settle      (DpSocketConnection  *self,
                                    ChannelLink         *link);
static void     export_link_unref  (ChannelLink         *link);
static const DpInboxForward export_forward;
static guint32  allocate_id_locked (DpSocketConnection  *self);

static void
dp_socket_connection_dispose (GObject *object)
{
  DpSocketConnection *self = DP_SOCKET_CONNECTION (object);

  if (self->control_destroy != NULL)
    self->control_destroy (self->control_data);
  self->control_destroy = NULL;
  self->control_handler = NULL;
  if (self->reason_destroy != NULL)
    self->reason_destroy (self->reason_data);
  self->reason_destroy = NULL;
  self->reason_func = NULL;

  G_OBJECT_CLASS (dp_socket_connection_parent_class)->dispose (object);
}

static void
dp_socket_connection_finalize (GObject *object)
{
  DpSocketConnection *self = DP_SOCKET_CONNECTION (object);

  g_mutex_lock (&all_lock);
  for (guint i = 0; all_connections != NULL && i < all_connections->len; i++)
    {
      ConnectionLink *link = g_ptr_array_index (all_connections, i);

      if (link->address == object)
        {
          g_weak_ref_clear (&link->ref);
          g_free (link);
          g_ptr_array_remove_index_fast (all_connections, i);
          break;
        }
    }
  g_mutex_unlock (&all_lock);
  g_free (self->description);

  for (guint i = 0; i < self->fds->len; i++)
    close (g_array_index (self->fds, int, i));
  g_array_unref (self->fds);
  g_free (self->rbuf);
  g_free (self->big);
  g_clear_error (&self->close_reason);
  g_clear_error (&self->lost_reason);
  g_hash_table_unref (self->channels);
  g_hash_table_unref (self->exports);
  if (self->wake_fd >= 0)
    close (self->wake_fd);
  g_clear_object (&self->socket);
  g_mutex_clear (&self->write_lock);
  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_frame_free);
  g_mutex_clear (&self->queue_lock);
  g_cond_clear (&self->queue_cond);
  g_mutex_clear (&self->read_lock);
  g_mutex_clear (&self->state_lock);
  g_cond_clear (&self->state_cond);
  g_mutex_clear (&self->flow_lock);
  g_cond_clear (&self->flow_cond);
  g_mutex_clear (&self->channels_lock);

  G_OBJECT_CLASS (dp_socket_connection_parent_class)->finalize (object);
}

static void
dp_socket_connection_class_init (DpSocketConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dp_socket_connection_dispose;
  object_class->finalize = dp_socket_connection_finalize;

  /**
   * DpSocketConnection::closed:
   * @self: the connection
   * @reason: why, as a #GError
   *
   * The connection is gone, and every channel on it died with @reason.
   * Emitted once, in the thread that noticed.
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
dp_socket_connection_init (DpSocketConnection *self)
{
  g_mutex_init (&self->write_lock);
  g_mutex_init (&self->queue_lock);
  g_cond_init (&self->queue_cond);
  g_queue_init (&self->pending);
  g_mutex_init (&self->read_lock);
  g_mutex_init (&self->state_lock);
  g_cond_init (&self->state_cond);
  g_mutex_init (&self->flow_lock);
  g_cond_init (&self->flow_cond);
  g_mutex_init (&self->channels_lock);
  self->rbuf = g_malloc (READ_BUFFER_SIZE);
  self->fds = g_array_new (FALSE, FALSE, sizeof (int));
  self->channels = g_hash_table_new (NULL, NULL);
  self->exports = g_hash_table_new (NULL, NULL);
  self->frame_limit = DP_FRAME_DEFAULT_LIMIT;
  self->wake_fd = -1;
  self->next_id = DP_SOCKET_CONNECTION_FIRST_CHANNEL + 1;
}

/**
 * dp_socket_connection_new:
 * @socket: a connected stream socket (TCP, or a Unix socket pair)
 * @initiator: whether this side opened the connection; the two sides
 *   number the channels they export apart by it
 *
 * Wraps @socket. Add channels, then call [method@Dp.SocketConnection.start].
 *
 * Returns: (transfer full): the connection
 */
DpSocketConnection *
dp_socket_connection_new (GSocket  *socket,
                          gboolean  initiator)
{
  DpSocketConnection *self;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);

  self = g_object_new (DP_TYPE_SOCKET_CONNECTION, NULL);
  self->socket = g_object_ref (socket);
  self->fd = g_socket_get_fd (socket);
  self->initiator = initiator;
  self->unix_socket = g_socket_get_family (socket) == G_SOCKET_FAMILY_UNIX;
  self->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!self->unix_socket)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  /* We read and write the descriptor ourselves, with sendmsg() and
   * recvmsg(), rather than through GSocket: GSocket keeps descriptors
   * non-blocking and emulates blocking with poll(), three system calls
   * where a thread waiting for its reply needs one. So the descriptor is
   * blocking; reads that must not block say MSG_DONTWAIT, and blocking
   * reads give up every RECEIVE_TIMEOUT_MS to notice a kill. */
  {
    struct timeval timeout = { 0, RECEIVE_TIMEOUT_MS * 1000 };
    int flags = fcntl (self->fd, F_GETFL);

    fcntl (self->fd, F_SETFL, flags & ~O_NONBLOCK);
    setsockopt (self->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  /* Until its owner says better: the peer's address. */
  if (self->unix_socket)
    self->description = g_strdup ("unix socket");
  else
    {
      g_autoptr(GSocketAddress) address = g_socket_get_remote_address (socket, NULL);

      self->description = address != NULL
        ? g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address)) : g_strdup ("tcp");
    }

  {
    ConnectionLink *link = g_new0 (ConnectionLink, 1);

    g_weak_ref_init (&link->ref, self);
    link->address = self;
    g_mutex_lock (&all_lock);
    if (all_connections == NULL)
      all_connections = g_ptr_array_new ();
    g_ptr_array_add (all_connections, link);
    g_mutex_unlock (&all_lock);
  }

  return self;
}

/**
 * dp_socket_connection_set_description:
 * @self: a connection
 * @description: who is on the other side, in words: `node HOST:PORT`,
 *   `place NAME`
 *
 * Names the peer for the control plane (`dplaces status`, the `http`
 * plugin). A new connection describes itself by the peer's address.
 */
void
dp_socket_connection_set_description (DpSocketConnection *self,
                                      const char         *description)
{
  g_return_if_fail (DP_IS_SOCKET_CONNECTION (self));
  g_return_if_fail (description != NULL);

  g_mutex_lock (&self->state_lock);
  g_free (self->description);
  self->description = g_strdup (description);
  g_mutex_unlock (&self->state_lock);
}

/**
 * dp_socket_connection_dup_description:
 * @self: a connection
 *
 * Returns: (transfer full): who is on the other side, in words
 */
char *
dp_socket_connection_dup_description (DpSocketConnection *self)
{
  char *description;

  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (self), NULL);

  g_mutex_lock (&self->state_lock);
  description = g_strdup (self->description);
  g_mutex_unlock (&self->state_lock);
  return description;
}

/* The live connections of the process, for the control plane. */
GPtrArray *
dp_socket_connection_list_all (void)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&all_lock);
  for (guint i = 0; all_connections != NULL && i < all_connections->len; i++)
    {
      DpSocketConnection *connection = g_weak_ref_get (&((ConnectionLink *) g_ptr_array_index (all_connections, i))->ref);

      if (connection != NULL)
        g_ptr_array_add (list, connection);
    }
  g_mutex_unlock (&all_lock);
  return list;
}

/* What the control plane shows of a connection: an a{sv} of `peer` (s),
 * `transport` (s: tcp, unix), `frames-in`, `messages-in` (DATA frames),
 * `bytes-in` (headers included) and the same `-out` (t), `queue` (u:
 * frames waiting for the writer), `queue-bytes` (t), `channels` (u),
 * `waiting-puts` (u: puts waiting now for their channel's receiver to
 * consume — a slow consumer), `credit-waits` (t: puts that ever waited so),
 * `closed` (b). */
GVariant *
dp_socket_connection_dup_status (DpSocketConnection *self)
{
  GVariantDict dict;
  g_autofree char *description = NULL;
  gboolean closed;
  guint queue, channels, waiting_puts;
  guint64 queue_bytes, credit_waits;

  g_mutex_lock (&self->state_lock);
  description = g_strdup (self->description);
  closed = self->closed;
  g_mutex_unlock (&self->state_lock);

  g_mutex_lock (&self->queue_lock);
  queue = self->pending.length;
  queue_bytes = self->pending_bytes;
  g_mutex_unlock (&self->queue_lock);

  g_mutex_lock (&self->channels_lock);
  channels = g_hash_table_size (self->channels);
  g_mutex_unlock (&self->channels_lock);

  g_mutex_lock (&self->flow_lock);
  waiting_puts = self->flow_waiting;
  credit_waits = self->flow_waits;
  g_mutex_unlock (&self->flow_lock);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "peer", "s", description);
  g_variant_dict_insert (&dict, "transport", "s", self->unix_socket ? "unix" : "tcp");
  g_variant_dict_insert (&dict, "frames-in", "t", __atomic_load_n (&self->frames_in, __ATOMIC_RELAXED));
  g_variant_dict_insert (&dict, "messages-in", "t", __atomic_load_n (&self->messages_in, __ATOMIC_RELAXED));
  g_variant_dict_insert (&dict, "bytes-in", "t", __atomic_load_n (&self->bytes_in, __ATOMIC_RELAXED));
  g_variant_dict_insert (&dict, "frames-out", "t", __atomic_load_n (&self->frames_out, __ATOMIC_RELAXED));
  g_variant_dict_insert (&dict, "messages-out", "t", __atomic_load_n (&self->messages_out, __ATOMIC_RELAXED));
  g_variant_dict_insert (&dict, "bytes-out", "t", __atomic_load_n (&self->bytes_out, __ATOMIC_RELAXED));
  g_variant_dict_insert (&dict, "queue", "u", queue);
  g_variant_dict_insert (&dict, "queue-bytes", "t", (guint64) queue_bytes);
  g_variant_dict_insert (&dict, "channels", "u", channels);
  g_variant_dict_insert (&dict, "waiting-puts", "u", waiting_puts);
  g_variant_dict_insert (&dict, "credit-waits", "t", credit_waits);
  g_variant_dict_insert (&dict, "closed", "b", closed);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * dp_socket_connection_set_frame_limit:
 * @self: a connection
 * @limit: the largest payload accepted, in bytes
 *
 * A peer that announces a bigger frame is disconnected.
 */
void
dp_socket_connection_set_frame_limit (DpSocketConnection *self,
                                      guint32             limit)
{
  g_return_if_fail (DP_IS_SOCKET_CONNECTION (self));
  self->frame_limit = limit;
}

/**
 * dp_socket_connection_set_control_handler:
 * @self: a connection
 * @handler: (scope notified) (closure user_data) (destroy destroy): handles
 *   frames that are not channel traffic
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data
 *
 * Without a handler, such frames close the connection.
 */
void
dp_socket_connection_set_control_handler (DpSocketConnection            *self,
                                          DpSocketConnectionControlFunc  handler,
                                          gpointer                       user_data,
                                          GDestroyNotify                 destroy)
{
  g_return_if_fail (DP_IS_SOCKET_CONNECTION (self));

  if (self->control_destroy != NULL)
    self->control_destroy (self->control_data);
  self->control_handler = handler;
  self->control_data = user_data;
  self->control_destroy = destroy;
}

/**
 * dp_socket_connection_set_reason_func:
 * @self: a connection
 * @func: (scope notified) (closure user_data) (destroy destroy): says why
 *   the connection closed
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Sets who may give a better reason when the connection closes.
 */
void
dp_socket_connection_set_reason_func (DpSocketConnection           *self,
                                      DpSocketConnectionReasonFunc  func,
                                      gpointer                      user_data,
                                      GDestroyNotify                destroy)
{
  g_return_if_fail (DP_IS_SOCKET_CONNECTION (self));

  if (self->reason_destroy != NULL)
    self->reason_destroy (self->reason_data);
  self->reason_func = func;
  self->reason_data = user_data;
  self->reason_destroy = destroy;
}

GSocket *
dp_socket_connection_get_socket (DpSocketConnection *self)
{
  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (self), NULL);
  return self->socket;
}

gboolean
dp_socket_connection_is_closed (DpSocketConnection *self)
{
  gboolean closed;

  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (self), TRUE);

  g_mutex_lock (&self->state_lock);
  closed = self->closed;
  g_mutex_unlock (&self->state_lock);

  return closed;
}

/* Writing. */

/* Sends the frame described by @vectors (the first one being the header),
 * with @fds along if any, blocking while the socket is full: that is the
 * back-pressure on a sender faster than its receiver. */
static gboolean
send_vectors (DpSocketConnection  *self,
              GOutputVector       *vectors,
              guint                n_vectors,
              GUnixFDList         *fds,
              GError             **error)
{
  struct iovec iov_on_stack[8];
  g_autofree struct iovec *iov_on_heap = NULL;
  struct iovec *iov = iov_on_stack;
  union {
    struct cmsghdr header;
    char buffer[CMSG_SPACE (sizeof (int) * MAX_FDS_PER_READ)];
  } control;
  struct msghdr message = { 0 };
  gsize total = 0;
  guint first = 0;

  if (n_vectors > G_N_ELEMENTS (iov_on_stack))
    iov = iov_on_heap = g_new (struct iovec, n_vectors);
  for (guint i = 0; i < n_vectors; i++)
    {
      iov[i].iov_base = (void *) vectors[i].buffer;
      iov[i].iov_len = vectors[i].size;
      total += vectors[i].size;
    }

  if (fds != NULL && g_unix_fd_list_get_length (fds) > 0)
    {
      gint n_fds = g_unix_fd_list_get_length (fds);
      struct cmsghdr *cmsg;

      if (n_fds > MAX_FDS_PER_READ)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "A message may carry at most %d shared vectors", MAX_FDS_PER_READ);
          return FALSE;
        }
      memset (&control, 0, sizeof control);
      message.msg_control = control.buffer;
      message.msg_controllen = CMSG_SPACE (sizeof (int) * n_fds);
      cmsg = CMSG_FIRSTHDR (&message);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (sizeof (int) * n_fds);
      memcpy (CMSG_DATA (cmsg), g_unix_fd_list_peek_fds (fds, NULL), sizeof (int) * n_fds);
    }

  while (total > 0)
    {
      ssize_t written;

      message.msg_iov = iov + first;
      message.msg_iovlen = n_vectors - first;
      written = sendmsg (self->fd, &message, MSG_NOSIGNAL);
      if (written < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "Connection lost: %s",
                       g_strerror (saved_errno));
          return FALSE;
        }

      /* The descriptors went with the first bytes. */
      message.msg_control = NULL;
      message.msg_controllen = 0;
      total -= written;
      while (written > 0)
        {
          if ((gsize) written >= iov[first].iov_len)
            {
              written -= iov[first].iov_len;
              first++;
            }
          else
            {
              iov[first].iov_base = (guint8 *) iov[first].iov_base + written;
              iov[first].iov_len -= written;
              written = 0;
            }
        }
    }

  return TRUE;
}

static gboolean
check_open_locked (DpSocketConnection  *self,
                   GError             **error)
{
  gboolean closed;

  g_mutex_lock (&self->state_lock);
  closed = self->closed;
  if (closed)
    {
      if (self->close_reason != NULL)
        g_set_error_literal (error, self->close_reason->domain, self->close_reason->code,
                             self->close_reason->message);
      else
        g_set_error_literal (error, DP_ERROR, DP_ERROR_PEER_DIED, "Connection closed");
    }
  g_mutex_unlock (&self->state_lock);

  return !closed;
}

/* Writes one frame: header, then @message (if any) laid out as the wire
 * wants it, then @entries. The caller holds the write lock. */
static gboolean
send_frame_locked (DpSocketConnection   *self,
                   guint8                kind,
                   guint32               channel,
                   GVariant             *message,
                   const DpHandleEntry  *entries,
                   guint                 n_entries,
                   GUnixFDList          *fds,
                   guint32               aux,
                   guint8                flags,
                   GError              **error)
{
  static const guint8 zeros[8] = { 0 };
  guint8 header_bytes[DP_FRAME_HEADER_SIZE];
  DpFrameHeader header = { 0 };
  GOutputVector vectors[5];
  guint n_vectors = 0;
  const char *type = NULL;
  gsize type_length = 0, data_size = 0, payload;

  if (message != NULL)
    {
      type = g_variant_get_type_string (message);
      type_length = strlen (type);
      data_size = g_variant_get_size (message);
    }
  if (type_length > DP_MESSAGE_TYPE_MAX)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "A message type of %" G_GSIZE_FORMAT " bytes cannot cross (at most %d)",
                   type_length, DP_MESSAGE_TYPE_MAX);
      return FALSE;
    }
  payload = (type_length > 0 ? dp_align8 (type_length) : 0) + data_size +
            n_entries * sizeof (DpHandleEntry);
  if (payload > self->frame_limit)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Message of %" G_GSIZE_FORMAT " bytes is over the frame limit of %u",
                   payload, self->frame_limit);
      return FALSE;
    }

  header.length = payload;
  header.kind = kind;
  header.flags = flags | (fds != NULL && g_unix_fd_list_get_length (fds) > 0 ? DP_FRAME_FLAG_FDS : 0);
  header.type_length = type_length;
  header.channel = channel;
  header.aux = kind == DP_FRAME_DATA ? n_entries : aux;
  dp_frame_header_encode (&header, header_bytes);

  vectors[n_vectors++] = (GOutputVector) { header_bytes, DP_FRAME_HEADER_SIZE };
  if (type_length > 0)
    {
      vectors[n_vectors++] = (GOutputVector) { type, type_length };
      if (dp_align8 (type_length) > type_length)
        vectors[n_vectors++] = (GOutputVector) { zeros, dp_align8 (type_length) - type_length };
    }
  if (data_size > 0)
    vectors[n_vectors++] = (GOutputVector) { g_variant_get_data (message), data_size };
  if (n_entries > 0)
    vectors[n_vectors++] = (GOutputVector) { entries, n_entries * sizeof (DpHandleEntry) };

  if (!check_open_locked (self, error))
    return FALSE;
  if (!send_vectors (self, vectors, n_vectors, fds, error))
    {
      /* Closing takes the write lock: the caller does it. */
      return FALSE;
    }
  count_traffic (&self->frames_out, &self->messages_out, &self->bytes_out,
                 1, kind == DP_FRAME_DATA, DP_FRAME_HEADER_SIZE + payload);
  return TRUE;
}

/* A write failed: the peer is gone, or going. It may have sent frames
 * before it went that we have not read yet — a place's last message
 * before it ended —, so the connection is not closed here, which would
 * throw them away: the reader closes it once it has read up to the end of
 * the stream, with the peer's fate. Meanwhile writes fail. */
static void
connection_lost (DpSocketConnection *self,
                 const GError       *error)
{
  if (error != NULL && g_error_matches (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE))
    return;   /* the message was wrong, not the connection */
  g_debug ("write failed: %s", error != NULL ? error->message : "?");
  wake_background (self);
}

/* A send failed: say why the way the channels say it, with the
 * connection's close reason (a place's fate, a node's death) when the
 * connection is gone. A write that failed leaves the connection open
 * until the reader reaches the end of the stream (connection_lost()):
 * meanwhile the reason function says what became of the peer — a
 * killed place is reaped moments after its socket breaks —, once: the
 * puts that fail after it say the same. */
static void
report_send_error (DpSocketConnection  *self,
                   GError             **error,
                   GError              *local_error)
{
  GError *better = NULL;

  if (g_error_matches (local_error, DP_ERROR, DP_ERROR_INVALID_MESSAGE))
    {
      g_propagate_error (error, local_error);
      return;
    }

  g_mutex_lock (&self->state_lock);
  if (self->closed && self->close_reason != NULL)
    better = g_error_copy (self->close_reason);
  else if (self->lost_reason != NULL)
    better = g_error_copy (self->lost_reason);
  g_mutex_unlock (&self->state_lock);

  if (better == NULL && self->reason_func != NULL &&
      g_error_matches (local_error, DP_ERROR, DP_ERROR_PEER_DIED))
    {
      better = self->reason_func (self, local_error, self->reason_data);
      if (better != NULL)
        {
          g_mutex_lock (&self->state_lock);
          if (self->lost_reason == NULL)
            self->lost_reason = g_error_copy (better);
          g_mutex_unlock (&self->state_lock);
        }
    }

  if (better != NULL)
    {
      g_clear_error (&local_error);
      local_error = better;
    }
  g_propagate_error (error, local_error);
}

/* Sends the queued frames, in batches. The caller holds write_lock. */
static gboolean
send_pending_locked (DpSocketConnection  *self,
                     GError             **error)
{
  static const guint8 zeros[8] = { 0 };

  for (;;)
    {
      PendingFrame *batch[BATCH_FRAMES];
      GOutputVector vectors[BATCH_FRAMES * 4];
      guint n_frames = 0, n_vectors = 0, n_messages = 0;
      gsize batch_bytes = 0;
      gboolean ok = TRUE;

      g_mutex_lock (&self->queue_lock);
      while (n_frames < BATCH_FRAMES && !g_queue_is_empty (&self->pending))
        {
          batch[n_frames] = g_queue_pop_head (&self->pending);
          batch_bytes += batch[n_frames]->size;
          n_frames++;
        }
      g_mutex_unlock (&self->queue_lock);

      if (n_frames == 0)
        return TRUE;

      for (guint i = 0; i < n_frames; i++)
        {
          GVariant *message = batch[i]->message;
          const char *type;
          gsize type_length;

          vectors[n_vectors++] = (GOutputVector) { batch[i]->header, DP_FRAME_HEADER_SIZE };
          if (message == NULL)
            continue;
          n_messages++;
          type = g_variant_get_type_string (message);
          type_length = strlen (type);
          vectors[n_vectors++] = (GOutputVector) { type, type_length };
          if (dp_align8 (type_length) > type_length)
            vectors[n_vectors++] = (GOutputVector) { zeros, dp_align8 (type_length) - type_length };
          if (g_variant_get_size (message) > 0)
            vectors[n_vectors++] = (GOutputVector) { g_variant_get_data (message),
                                                     g_variant_get_size (message) };
        }

      if (!check_open_locked (self, error) || !send_vectors (self, vectors, n_vectors, NULL, error))
        ok = FALSE;
      else
        count_traffic (&self->frames_out, &self->messages_out, &self->bytes_out,
                       n_frames, n_messages, batch_bytes);

      for (guint i = 0; i < n_frames; i++)
        pending_frame_free (batch[i]);

      /* Room in the queue: let waiting puts in. */
      g_mutex_lock (&self->queue_lock);
      self->pending_bytes -= batch_bytes;
      /* A broadcast costs a system call even with nobody waiting. */
      if (self->queue_waiters > 0)
        g_cond_broadcast (&self->queue_cond);
      g_mutex_unlock (&self->queue_lock);

      if (!ok)
        return FALSE;
    }
}

/* Takes the writer's role: frames queued before ours go first. */
static gboolean
writer_lock (DpSocketConnection  *self,
             GError             **error)
{
  g_mutex_lock (&self->write_lock);
  return send_pending_locked (self, error);
}

/* Leaves the writer's role, taking it back for frames queued meanwhile,
 * so that no queued frame is left behind with no writer. */
static gboolean
writer_unlock (DpSocketConnection  *self,
               GError             **error)
{
  for (;;)
    {
      gboolean empty;

      g_mutex_unlock (&self->write_lock);

      g_mutex_lock (&self->queue_lock);
      empty = g_queue_is_empty (&self->pending);
      g_mutex_unlock (&self->queue_lock);

      if (empty || !g_mutex_trylock (&self->write_lock))
        return TRUE;
      if (!send_pending_locked (self, error))
        {
          g_mutex_unlock (&self->write_lock);
          return FALSE;
        }
    }
}

/* send_frame(), with the payload of @message's frame known. */
static gboolean
send_frame_sized (DpSocketConnection   *self,
                  guint8                kind,
                  guint32               channel,
                  GVariant             *message,
                  gsize                 payload,
                  guint32               aux,
                  guint8                flags,
                  GError              **error)
{
  g_autoptr(GError) local_error = NULL;
  DpFrameHeader header = { 0 };
  PendingFrame *frame;
  gsize type_length = message != NULL ? strlen (g_variant_get_type_string (message)) : 0;
  gboolean ok = TRUE;

  if (message == NULL || payload > self->frame_limit || kind != DP_FRAME_DATA ||
      type_length > DP_MESSAGE_TYPE_MAX)
    {
      /* Control frames, and errors, the plain way. */
      ok = writer_lock (self, &local_error) &&
           send_frame_locked (self, kind, channel, message, NULL, 0, NULL, aux, flags, &local_error);
      if (ok)
        ok = writer_unlock (self, &local_error);
      else
        g_mutex_unlock (&self->write_lock);
      goto out;
    }

  frame = g_new0 (PendingFrame, 1);
  header.length = payload;
  header.kind = kind;
  header.flags = flags;
  header.type_length = type_length;
  header.channel = channel;
  dp_frame_header_encode (&header, frame->header);
  frame->message = g_variant_ref (message);
  frame->size = DP_FRAME_HEADER_SIZE + payload;

  if (!g_mutex_trylock (&self->write_lock))
    {
      /* Someone writes now: queue behind them, and see that it is sent. */
      g_mutex_lock (&self->queue_lock);
      while (self->pending_bytes > PENDING_LIMIT && !self->closed)
        {
          self->queue_waiters++;
          g_cond_wait (&self->queue_cond, &self->queue_lock);
          self->queue_waiters--;
        }
      if (self->closed)
        {
          g_mutex_unlock (&self->queue_lock);
          pending_frame_free (frame);
          return check_open_locked (self, error);
        }
      g_queue_push_tail (&self->pending, frame);
      self->pending_bytes += frame->size;
      g_mutex_unlock (&self->queue_lock);

      /* The writer sends it before it lets go: it is on its way. (Asking
       * now whether the connection is open could say no when it closed
       * after the writer sent it, and a put that went would fail.) */
      if (!g_mutex_trylock (&self->write_lock))
        return TRUE;
      ok = send_pending_locked (self, &local_error) && writer_unlock (self, &local_error);
      if (!ok)
        g_mutex_unlock (&self->write_lock);
      goto out;
    }

  /* The writer's role is ours: what queued before goes first. */
  g_mutex_lock (&self->queue_lock);
  g_queue_push_tail (&self->pending, frame);
  self->pending_bytes += frame->size;
  g_mutex_unlock (&self->queue_lock);
  ok = send_pending_locked (self, &local_error);
  if (ok)
    ok = writer_unlock (self, &local_error);
  else
    g_mutex_unlock (&self->write_lock);

out:
  if (!ok)
    {
      if (!dp_socket_connection_is_closed (self))
        connection_lost (self, local_error);
      report_send_error (self, error, g_steal_pointer (&local_error));
    }
  return ok;
}


/* The payload of a frame carrying @message without handle entries. */
static inline gsize
message_payload (GVariant *message)
{
  return dp_align8 (strlen (g_variant_get_type_string (message))) + g_variant_get_size (message);
}

/* Sends a frame with no handles: at once if the writer's role is free,
 * else queued for the writer (waiting while the queue is full). */
static gboolean
send_frame (DpSocketConnection   *self,
            guint8                kind,
            guint32               channel,
            GVariant             *message,
            guint32               aux,
            GError              **error)
{
  return send_frame_sized (self, kind, channel, message, message != NULL ? message_payload (message) : 0,
                           aux, 0, error);
}

/* Flow control (see the top of this file). */

/* Sends a CREDIT frame without waiting for the writer: it is queued for
 * whoever writes, as a busy writer's puts are, past the queue's bound.
 * Safe on any thread, one that writes this connection included. */
static void
send_credit (DpSocketConnection *self,
             guint32             channel,
             guint64             amount)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (dp_socket_connection_is_closed (self))
    return;

  g_mutex_lock (&self->queue_lock);
  while (amount > 0)
    {
      PendingFrame *frame = g_new0 (PendingFrame, 1);
      DpFrameHeader header = { 0 };

      header.kind = DP_FRAME_CREDIT;
      header.channel = channel;
      header.aux = MIN (amount, G_MAXUINT32);
      dp_frame_header_encode (&header, frame->header);
      frame->size = DP_FRAME_HEADER_SIZE;
      g_queue_push_tail (&self->pending, frame);
      self->pending_bytes += frame->size;
      amount -= header.aux;
    }
  g_mutex_unlock (&self->queue_lock);

  if (!g_mutex_trylock (&self->write_lock))
    return;     /* the writer sends it, before it lets go */
  ok = send_pending_locked (self, &error);
  if (ok)
    ok = writer_unlock (self, &error);
  else
    g_mutex_unlock (&self->write_lock);
  if (!ok)
    connection_lost (self, error);
}

/* What a get (or the next receiver) consumed of what this connection
 * delivered on @sink's channel: credit for the sender, by quarters of a
 * window; or soon, if the sender asked (@urgent): at once when the
 * consumer has caught up (@idle), else by sixteenths. Consumes the
 * credit's reference. */
static void
flow_sink_release (DpCreditSink *sink,
                   gsize         amount,
                   gboolean      urgent,
                   gboolean      idle)
{
  Flow *flow = (Flow *) sink;
  guint64 unreturned = __atomic_add_fetch (&flow->unreturned, amount, __ATOMIC_ACQ_REL);

  if ((unreturned >= FLOW_RETURN || (urgent && (idle || unreturned >= FLOW_RETURN_SOON))) &&
      !g_atomic_int_get (&flow->dead))
    {
      guint64 credit = __atomic_exchange_n (&flow->unreturned, 0, __ATOMIC_ACQ_REL);
      g_autoptr(DpSocketConnection) connection = g_weak_ref_get (&flow->connection);

      if (credit > 0 && connection != NULL)
        {
          /* Counted before it can reach the sender, whose next message,
           * sent on that credit, the reader checks against it. */
          __atomic_add_fetch (&flow->returned, credit, __ATOMIC_ACQ_REL);
          send_credit (connection, flow->id, credit);
        }
    }

  flow_unref (flow);
}

static void
emit_busy (DpSocketConnection *self,
           guint32             channel,
           guint64             in_flight)
{
  g_autofree char *peer = dp_socket_connection_dup_description (self);
  GVariantDict details;

  g_variant_dict_init (&details, NULL);
  g_variant_dict_insert (&details, "peer", "s", peer);
  g_variant_dict_insert (&details, "channel", "u", channel);
  g_variant_dict_insert (&details, "in-flight", "t", in_flight);
  g_variant_dict_insert (&details, "window", "t", (guint64) FLOW_WINDOW);
  dp_monitor_emit (dp_monitor_get_default (), DP_MONITOR_EVENT_CHANNEL_BUSY,
                   g_variant_dict_end (&details));
}

static inline gboolean
has_room (guint64 in_flight,
          gsize   cost)
{
  return in_flight < FLOW_RETURN || in_flight + cost <= FLOW_WINDOW;
}

static gboolean
flow_has_room (Flow  *flow,
               gsize  cost)
{
  return has_room (__atomic_load_n (&flow->in_flight, __ATOMIC_ACQUIRE), cost);
}

/* A put of @cost bytes waiting for credit on @flow. */
typedef struct {
  Flow *flow;
  gsize cost;
} CreditWait;

static gboolean
credit_wait_done (DpSocketConnection *self,
                  const CreditWait   *wait)
{
  gboolean done;

  g_mutex_lock (&self->flow_lock);
  done = wait->flow->dead || flow_has_room (wait->flow, wait->cost);
  g_mutex_unlock (&self->flow_lock);
  return done;
}

static gboolean credit_read (DpSocketConnection *self,
                             Flow               *flow,
                             gsize               cost);

/* The flags of a DATA frame of @cost bytes that leaves @in_flight on its
 * channel: it asks for credit when a quarter of the window or more is in
 * flight, or when the sender of the message it hands on asked; it says it
 * overdraws the window when it took more than there was room for — a
 * message handed on, one queued before its channel went to the wire, or a
 * put that raced another for the last room. */
static inline guint8
flow_frame_flags (guint64   in_flight,
                  gsize     cost,
                  gboolean  relayed_urgent)
{
  return (in_flight >= FLOW_RETURN || relayed_urgent ? DP_FRAME_FLAG_CREDIT : 0) |
         (has_room (in_flight - cost, cost) ? 0 : DP_FRAME_FLAG_OVERDRAFT);
}

/* The common case, a put that finds room: takes it without the lock
 * (in_flight only grows meanwhile, or shrinks under the lock). */
static inline gboolean
flow_try_take (Flow   *flow,
               gsize   cost,
               guint8 *out_flags)
{
  guint64 in_flight = __atomic_load_n (&flow->in_flight, __ATOMIC_RELAXED);

  while (has_room (in_flight, cost) && !g_atomic_int_get (&flow->dead))
    if (__atomic_compare_exchange_n (&flow->in_flight, &in_flight, in_flight + cost, TRUE,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
      {
        *out_flags = flow_frame_flags (in_flight + cost, cost, FALSE);
        return TRUE;
      }
  return FALSE;
}

/* Keeps @relayed (taken) until the receiver has credited @mark: what
 * was sent up to its message — a put that took room meanwhile without the
 * lock may count too, which only delays the credit a little. A relay's
 * channel sends mostly relayed messages, whose credit the receiver
 * returns by quarters of a window: thousands of entries, made and freed
 * one by one, cost a node memory it never got back (heap fragmentation,
 * in a soak). So a credit that is not urgent joins the one before it,
 * owed to the same sink, up to a sixteenth of a window: its upstream
 * batches it anyway. Urgent ones stay apart: their sender waits, and the
 * message's own frame asked for that very credit. Under flow_lock;
 * @relayed is left with nothing or a reference that owes nothing. */
static void
flow_push_relayed (Flow     *flow,
                   guint64   mark,
                   DpCredit *relayed)
{
  Relayed *tail = g_queue_peek_tail (&flow->relayed);
  Relayed *entry;

  if (tail != NULL && tail->credit.sink == relayed->sink &&
      !tail->credit.urgent && !relayed->urgent &&
      tail->credit.amount + relayed->amount <= FLOW_RETURN_SOON)
    {
      tail->mark = mark;
      tail->credit.amount += relayed->amount;
      /* One reference to the sink is enough: the caller lets go of this
       * one, owing nothing, outside the lock. */
      relayed->amount = 0;
      return;
    }

  entry = g_new (Relayed, 1);
  entry->mark = mark;
  entry->credit = *relayed;
  relayed->sink = NULL;
  g_queue_push_tail (&flow->relayed, entry);
}

/* Takes @cost bytes of @flow's window for a message about to be sent,
 * and says in @out_flags (nullable) how to flag its frame. Waits while the
 * window is spent, unless @may_wait is %FALSE or the message is handed on
 * with @relayed, the credit of its previous hop: that goes back once our
 * receiver consumes the message, which is what bounds such sends. Fails
 * when the channel or the connection dies meanwhile, or the calling place
 * is killed. Consumes @relayed. */
static gboolean
flow_acquire (DpSocketConnection  *self,
              Flow                *flow,
              gsize                cost,
              gboolean             may_wait,
              DpCredit            *relayed,
              guint8              *out_flags,
              GError             **error)
{
  DpPlace *place = NULL;
  gboolean prepared = FALSE, counted = FALSE, tried_read = FALSE, ok = TRUE;

  if (relayed != NULL && relayed->sink != NULL)
    may_wait = FALSE;

  g_mutex_lock (&self->flow_lock);
  for (;;)
    {
      if (flow->dead)
        {
          if (flow->reason != NULL)
            g_set_error_literal (error, flow->reason->domain, flow->reason->code, flow->reason->message);
          else
            g_set_error_literal (error, DP_ERROR, DP_ERROR_CLOSED, "The channel is closed");
          ok = FALSE;
          break;
        }
      if (!may_wait || flow_has_room (flow, cost))
        break;

      if (!prepared)
        {
          /* About to wait: say so (not too often), and let a kill of the
           * calling place wake us, which must be arranged without our
           * lock (a killer takes the place's lock, then ours). */
          gint64 now = g_get_monotonic_time ();
          gboolean busy = flow->last_busy_event == 0 ||
                          now - flow->last_busy_event >= FLOW_BUSY_EVENT_USEC;
          guint64 in_flight = __atomic_load_n (&flow->in_flight, __ATOMIC_RELAXED);

          if (busy)
            flow->last_busy_event = now;
          g_mutex_unlock (&self->flow_lock);
          prepared = TRUE;
          if (busy)
            emit_busy (self, flow->id, in_flight);
          place = dp_place_get_current ();
          if (place != NULL && !dp_place_begin_wait (place, &self->flow_lock, &self->flow_cond, error))
            return FALSE;
          g_mutex_lock (&self->flow_lock);
          continue;
        }
      if (place != NULL && dp_place_is_killed (place))
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_KILLED, "This place was killed");
          ok = FALSE;
          break;
        }

      if (!counted)
        {
          self->flow_waits++;
          counted = TRUE;
        }
      flow->waiting++;
      self->flow_waiting++;
      if (!tried_read)
        {
          /* Read the credit ourselves if nobody else reads; else wait
           * for whoever reads to wake us. */
          g_mutex_unlock (&self->flow_lock);
          tried_read = credit_read (self, flow, cost) ? FALSE : TRUE;
          g_mutex_lock (&self->flow_lock);
        }
      else
        {
          g_cond_wait (&self->flow_cond, &self->flow_lock);
          tried_read = FALSE;
        }
      flow->waiting--;
      self->flow_waiting--;
    }

  if (ok)
    {
      guint64 in_flight = __atomic_add_fetch (&flow->in_flight, cost, __ATOMIC_ACQ_REL);

      if (out_flags != NULL)
        *out_flags = flow_frame_flags (in_flight, cost,
                                       relayed != NULL && relayed->sink != NULL && relayed->urgent);
      if (relayed != NULL && relayed->sink != NULL)
        flow_push_relayed (flow, flow->credited + in_flight, relayed);
    }
  g_mutex_unlock (&self->flow_lock);

  if (place != NULL)
    dp_place_end_wait (place);
  if (relayed != NULL)
    dp_credit_release (relayed, TRUE);
  return ok;
}

/* The channel is gone: puts waiting for credit fail with @reason, and
 * the credits of what it relayed go back, since no credit will come for
 * them now. Idempotent. */
static void
flow_kill (DpSocketConnection *self,
           Flow               *flow,
           const GError       *reason)
{
  GQueue relayed = G_QUEUE_INIT;
  Relayed *entry;

  g_mutex_lock (&self->flow_lock);
  if (!flow->dead)
    {
      g_atomic_int_set (&flow->dead, TRUE);
      if (reason != NULL)
        flow->reason = g_error_copy (reason);
      relayed = flow->relayed;
      g_queue_init (&flow->relayed);
      if (flow->waiting > 0)
        g_cond_broadcast (&self->flow_cond);
    }
  g_mutex_unlock (&self->flow_lock);

  while ((entry = g_queue_pop_head (&relayed)) != NULL)
    {
      /* No credit will come for them now: they go back at once. */
      entry->credit.urgent = TRUE;
      dp_credit_release (&entry->credit, TRUE);
      g_free (entry);
    }
}

/* The receiver of channel @header->channel consumed @header->aux bytes of
 * what we sent: puts waiting for them go on, and the credits of what we
 * relayed and it consumed go back upstream. */
static gboolean
dispatch_credit (DpSocketConnection  *self,
                 const DpFrameHeader *header,
                 GError             **error)
{
  GQueue done = G_QUEUE_INIT;
  ChannelLink *link;
  Flow *flow = NULL;
  Relayed *entry;
  guint64 in_flight;
  gboolean ok = TRUE;

  g_mutex_lock (&self->channels_lock);
  link = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (header->channel));
  if (link != NULL)
    flow = flow_ref (link->flow);
  g_mutex_unlock (&self->channels_lock);

  if (flow == NULL)
    return TRUE;    /* closed meanwhile */

  g_mutex_lock (&self->flow_lock);
  in_flight = __atomic_load_n (&flow->in_flight, __ATOMIC_ACQUIRE);
  if (header->aux > in_flight)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
                   "credit of %u bytes on channel %u, which has %" G_GUINT64_FORMAT " in flight",
                   header->aux, header->channel, in_flight);
      ok = FALSE;
    }
  else
    {
      /* Puts that took room without the lock only add to it. */
      __atomic_sub_fetch (&flow->in_flight, header->aux, __ATOMIC_ACQ_REL);
      flow->credited += header->aux;
      while ((entry = g_queue_peek_head (&flow->relayed)) != NULL && entry->mark <= flow->credited)
        g_queue_push_tail (&done, g_queue_pop_head (&flow->relayed));
      if (flow->waiting > 0)
        g_cond_broadcast (&self->flow_cond);
    }
  g_mutex_unlock (&self->flow_lock);

  while ((entry = g_queue_pop_head (&done)) != NULL)
    {
      dp_credit_release (&entry->credit, TRUE);
      g_free (entry);
    }
  flow_unref (flow);
  return ok;
}

/* A DATA frame came on @flow's channel: is its sender within the window?
 *
 * A sender takes room while less than a quarter of its window is in
 * flight, or while the message fits; a frame that took more — handed on
 * without waiting, or queued before its channel went to the wire — says
 * so (DP_FRAME_FLAG_OVERDRAFT) and is not held to the window: the credit
 * it owes upstream bounds it, or, for a local sender, nothing does. The
 * others, less what we credited back (counted before the credit leaves),
 * are at most what the sender had in flight when it took room for the
 * last of them: a window, or a quarter of one and that frame. That holds
 * whatever order puts that took room together reach the wire in, and
 * however many overdrawing frames came between. More is a peer that
 * ignores credit, which would have us queue without bound: the frame is
 * refused, and the connection closed. Called by the reader. */
static gboolean
flow_check_received (Flow                *flow,
                     const DpFrameHeader *header,
                     GError             **error)
{
  guint64 cost = (guint64) header->length + FLOW_MESSAGE_COST;
  guint64 returned, limit;

  if (header->flags & DP_FRAME_FLAG_OVERDRAFT)
    return TRUE;

  flow->received += cost;
  flow->largest = MAX (flow->largest, cost);
  returned = __atomic_load_n (&flow->returned, __ATOMIC_ACQUIRE);
  limit = MAX ((guint64) FLOW_WINDOW, FLOW_RETURN + flow->largest);
  if (G_LIKELY (flow->received <= returned + limit))
    return TRUE;

  g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
               "channel %u: the peer sent %" G_GUINT64_FORMAT " bytes not credited back, "
               "past its window of %" G_GUINT64_FORMAT,
               flow->id, flow->received - returned, limit);
  return FALSE;
}

/* Channels.
 *
 * A channel id names one channel with an endpoint on each side. On the
 * side that received it in a message, or that opened an agreed id, the
 * endpoint is a *proxy*: a linked endpoint whose puts become DATA frames.
 * On the side that sent it, the endpoint is an *export*: a local endpoint
 * the other side's puts are put on.
 *
 * An export stays usable where it is until the other side wants to read
 * from it: then its proxy sends TAKE, and from then on what arrives in the
 * export's inbox goes over the wire. A place descriptor sent to many
 * places so they can put to it (Racket's all-to-all pattern) thus keeps
 * working for its creator, while a channel handed off for good (the
 * buyer/seller pattern) moves to its new reader. */

static gboolean proxy_send  (DpPlaceChannel *endpoint, GVariant *message, gpointer data, GError **error);
static void     proxy_close (DpPlaceChannel *endpoint, gpointer data);
static gboolean proxy_read  (DpPlaceChannel *endpoint, gint64 end_time, gpointer data);
static gboolean bound_peer_read (DpPlaceChannel *waiting, gint64 end_time, gpointer data);
static void     proxy_want  (DpPlaceChannel *endpoint, gpointer data);

static const DpChannelLinkFuncs proxy_funcs = {
  .send = proxy_send,
  .close = proxy_close,
  .read = proxy_read,
  .want = proxy_want,
};

static void
channel_link_free (gpointer data)
{
  ChannelLink *link = data;
  DpSocketConnection *self = link->connection;

  g_mutex_lock (&self->channels_lock);
  if (g_hash_table_lookup (self->channels, GUINT_TO_POINTER (link->id)) == link)
    g_hash_table_remove (self->channels, GUINT_TO_POINTER (link->id));
  g_mutex_unlock (&self->channels_lock);

  flow_kill (self, link->flow, NULL);
  flow_unref (link->flow);
  g_object_unref (self);
  g_free (link);
}

static DpPlaceChannel *
open_proxy (DpSocketConnection *self,
            guint32             id,
            gboolean            needs_take)
{
  ChannelLink *link = g_new0 (ChannelLink, 1);
  DpPlaceChannel *endpoint;

  link->connection = g_object_ref (self);
  link->id = id;
  link->flow = flow_new (self, id);
  link->needs_take = needs_take;
  endpoint = dp_place_channel_new_linked (&proxy_funcs, link, channel_link_free);
  link->endpoint = endpoint;

  g_mutex_lock (&self->channels_lock);
  g_hash_table_replace (self->channels, GUINT_TO_POINTER (id), link);
  g_mutex_unlock (&self->channels_lock);

  if (dp_socket_connection_is_closed (self))
    {
      g_autoptr(GError) reason = g_error_new_literal (DP_ERROR, DP_ERROR_PEER_DIED, "Connection closed");
      link->remote_closed = TRUE;
      dp_place_channel_peer_closed (endpoint, reason);
      flow_kill (self, link->flow, reason);
    }

  return endpoint;
}

/**
 * dp_socket_connection_open_channel:
 * @self: a connection
 * @id: a channel id both sides agreed on, such as
 *   %DP_SOCKET_CONNECTION_FIRST_CHANNEL
 *
 * Returns this side's endpoint of channel @id.
 *
 * Returns: (transfer full): the endpoint
 */
DpPlaceChannel *
dp_socket_connection_open_channel (DpSocketConnection *self,
                                   guint32             id)
{
  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (self), NULL);
  g_return_val_if_fail (id != 0, NULL);

  return open_proxy (self, id, FALSE);
}

/**
 * dp_socket_connection_open_new_channel:
 * @self: a connection
 * @out_id: (out): the new channel's id, to tell the other side
 *
 * Opens a channel with a fresh id from this side's numbering. The other
 * side binds an endpoint of its own to it with
 * [method@Dp.SocketConnection.bind_channel] when it hears of the id.
 *
 * Returns: (transfer full): this side's endpoint
 */
DpPlaceChannel *
dp_socket_connection_open_new_channel (DpSocketConnection *self,
                                       guint32            *out_id)
{
  guint32 id;

  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (self), NULL);
  g_return_val_if_fail (out_id != NULL, NULL);

  g_mutex_lock (&self->channels_lock);
  id = allocate_id_locked (self);
  g_mutex_unlock (&self->channels_lock);

  *out_id = id;
  return open_proxy (self, id, FALSE);
}

/**
 * dp_socket_connection_bind_channel:
 * @self: a connection
 * @id: a channel id the other side opened
 * @endpoint: an endpoint of this process
 * @error: return location for a #GError
 *
 * Connects @endpoint to channel @id: what the other side puts on @id is
 * put on @endpoint, what arrives in @endpoint's inbox goes to the other
 * side — the seeds' `place-socket-bridge%`, without a thread in between.
 *
 * Returns: %TRUE if bound; %FALSE if @id is in use
 */
gboolean
dp_socket_connection_bind_channel (DpSocketConnection  *self,
                                   guint32              id,
                                   DpPlaceChannel      *endpoint,
                                   GError             **error)
{
  ChannelLink *link;
  GQueue *queued;
  gboolean peer_closed = FALSE;
  gboolean ok = TRUE;
  gboolean in_use;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (self), FALSE);
  g_return_val_if_fail (DP_IS_PLACE_CHANNEL (endpoint), FALSE);

  /* Requests that bind channels are served one at a time on the thread
   * that reads the connection: nobody binds the same id meanwhile. */
  g_mutex_lock (&self->channels_lock);
  in_use = id == 0 || g_hash_table_contains (self->channels, GUINT_TO_POINTER (id));
  g_mutex_unlock (&self->channels_lock);
  if (in_use)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "channel id %u is in use", id);
      return FALSE;
    }

  /* Two references: the table's, and ours until the end — a close on
   * another thread may release the link as soon as it is in the table. */
  link = g_new0 (ChannelLink, 1);
  g_atomic_ref_count_init (&link->ref_count);
  g_atomic_ref_count_inc (&link->ref_count);
  link->connection = self;
  link->exported = TRUE;
  link->taken = TRUE;
  link->id = id;
  link->flow = flow_new (self, id);
  link->endpoint = g_object_ref (endpoint);

  ok = writer_lock (self, &local_error);
  queued = dp_place_channel_redirect (endpoint, &export_forward, link, &peer_closed);
  while (ok && !g_queue_is_empty (queued))
    {
      g_autoptr(GVariant) message = g_queue_pop_head (queued);
      ok = send_queued_locked (self, link, message, &local_error);
    }
  if (ok)
    ok = writer_unlock (self, &local_error);
  else
    g_mutex_unlock (&self->write_lock);
  dp_place_channel_set_peer_reader (endpoint, bound_peer_read, G_OBJECT (self));
  g_queue_free_full (queued, (GDestroyNotify) g_variant_unref);

  /* In the table once the inbox forwards through it: a close that came
   * first did not see it, and export_settle() catches that. So did the
   * endpoint's other end closing meanwhile: its forward found no link in
   * the table to close, so we look again. */
  g_mutex_lock (&self->channels_lock);
  g_hash_table_insert (self->channels, GUINT_TO_POINTER (id), link);
  g_mutex_unlock (&self->channels_lock);

  if (!ok)
    connection_lost (self, local_error);
  else if (peer_closed || dp_place_channel_is_closed (endpoint))
    export_forward_peer_closed (NULL, link);
  export_settle (self, link);
  export_link_unref (link);

  return TRUE;
}

static gboolean
proxy_send (DpPlaceChannel  *endpoint,
            GVariant        *message,
            gpointer         data,
            GError         **error)
{
  ChannelLink *link = data;

  return send_message_frame (link->connection, link, message, error);
}

/* A CLOSE frame for channel @id: the other side's end fails with
 * @reason — its text, and its code if it is one of ours
 * (dp_close_code_encode()). */
static gboolean
send_close_frame (DpSocketConnection  *self,
                  guint32              id,
                  const GError        *reason,
                  GError             **error)
{
  g_autoptr(GVariant) payload = g_variant_ref_sink (g_variant_new_string (reason != NULL ? reason->message : ""));

  return send_frame (self, DP_FRAME_CLOSE, id, payload, dp_close_code_encode (reason), error);
}

static void
send_close (DpSocketConnection *self,
            guint32             id,
            const GError       *reason)
{
  if (!dp_socket_connection_is_closed (self))
    send_close_frame (self, id, reason, NULL);
}

/* Private API, for the node: a request on channel @id is refused. */
gboolean
dp_socket_connection_send_close (DpSocketConnection  *self,
                                 guint32              id,
                                 const GError        *reason,
                                 GError             **error)
{
  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (self), FALSE);
  g_return_val_if_fail (id != 0, FALSE);

  return send_close_frame (self, id, reason, error);
}

static void
proxy_close (DpPlaceChannel *endpoint,
             gpointer        data)
{
  ChannelLink *link = data;
  DpSocketConnection *self = link->connection;

  g_mutex_lock (&self->channels_lock);
  if (g_hash_table_lookup (self->channels, GUINT_TO_POINTER (link->id)) == link)
    g_hash_table_remove (self->channels, GUINT_TO_POINTER (link->id));
  g_mutex_unlock (&self->channels_lock);

  flow_kill (self, link->flow, NULL);
  if (!link->remote_closed)
    send_close (self, link->id, NULL);
}

/* Someone wants to read from a proxy of a sent channel: ask the sender to
 * hand over the channel's inbox. */
static void
proxy_want (DpPlaceChannel *endpoint,
            gpointer        data)
{
  ChannelLink *link = data;

  if (link->needs_take && !link->remote_closed)
    {
      link->needs_take = FALSE;
      send_frame (link->connection, DP_FRAME_TAKE, link->id, NULL, 0, NULL);
    }
}

/* Exports. */

static gboolean
export_forward_send (GVariant  *message,
                     gpointer   data,
                     GError   **error)
{
  ChannelLink *link = data;

  return send_message_frame (link->connection, link, message, error);
}

/* A thread about to send on an export, or to say its peer closed, holds
 * it: the connection may close, forget the export and be finalized by
 * another thread meanwhile. Called under the inbox's lock, while the
 * export is still its forward: the connection is not finalized before it
 * has undone that (export_release()), which takes the same lock. */
static void
export_hold (gpointer data)
{
  ChannelLink *link = data;

  g_atomic_ref_count_inc (&link->ref_count);
  g_object_ref (link->connection);
}

static void
export_link_unref (ChannelLink *link)
{
  if (!g_atomic_ref_count_dec (&link->ref_count))
    return;
  flow_unref (link->flow);
  g_object_unref (link->endpoint);
  g_free (link);
}

static void
export_unhold (gpointer data)
{
  ChannelLink *link = data;
  DpSocketConnection *connection = link->connection;

  export_link_unref (link);
  g_object_unref (connection);
}

/* Forgets an export; the caller removed it from the table. Puts waiting
 * for credit on it fail with @reason. */
static void
export_release (DpSocketConnection *self,
                ChannelLink        *link,
                const GError       *reason)
{
  g_mutex_lock (&self->channels_lock);
  if (g_hash_table_lookup (self->exports, link->endpoint) == link)
    g_hash_table_remove (self->exports, link->endpoint);
  g_mutex_unlock (&self->channels_lock);

  if (link->taken)
    dp_place_channel_unredirect (link->endpoint);
  dp_place_channel_set_peer_reader (link->endpoint, NULL, NULL);
  flow_kill (self, link->flow, reason);
  export_link_unref (link);
}

static gboolean
take_export_link (DpSocketConnection *self,
                  ChannelLink        *link)
{
  gboolean ours;

  g_mutex_lock (&self->channels_lock);
  ours = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (link->id)) == link;
  if (ours)
    g_hash_table_remove (self->channels, GUINT_TO_POINTER (link->id));
  g_mutex_unlock (&self->channels_lock);

  return ours;
}

/* @link's endpoint was redirected to it outside the lock. If the
 * connection closed meanwhile, undo what its close could not see: a link
 * that was not in the table yet, or a forward installed after the close
 * let go of the link. */
static void
export_settle (DpSocketConnection *self,
               ChannelLink        *link)
{
  g_autoptr(GError) reason = NULL;

  if (!dp_socket_connection_is_closed (self))
    return;

  if (!take_export_link (self, link))
    {
      dp_place_channel_unredirect_from (link->endpoint, link);
      return;
    }

  g_mutex_lock (&self->state_lock);
  reason = self->close_reason != NULL ? g_error_copy (self->close_reason) : NULL;
  g_mutex_unlock (&self->state_lock);
  link->taken = FALSE;
  dp_place_channel_unredirect_from (link->endpoint, link);
  dp_place_channel_close_with_reason (link->endpoint, reason);
  export_release (self, link, reason);
}

static void
export_forward_peer_closed (const GError *reason,
                            gpointer      data)
{
  ChannelLink *link = data;
  DpSocketConnection *self = link->connection;

  /* The local other end of the exported channel went away. */
  if (take_export_link (self, link))
    {
      send_close (self, link->id, reason);
      /* Its reader was over there, and has just been told: nobody reads
       * the endpoint any more. A put that raced the close may still land
       * in its inbox; closed, the inbox drops it, rather than keep it for
       * ever (and the channel open, and its sender's credit). */
      link->taken = FALSE;
      dp_place_channel_unredirect_from (link->endpoint, link);
      dp_place_channel_close_with_reason (link->endpoint, reason);
      export_release (self, link, reason);
    }
}

static const DpInboxForward export_forward = {
  .send = export_forward_send,
  .peer_closed = export_forward_peer_closed,
  .hold = export_hold,
  .release = export_unhold,
};

static guint32
allocate_id_locked (DpSocketConnection *self)
{
  guint32 id;

  do
    {
      id = self->next_id++ & 0x7fffffff;
      if (!self->initiator)
        id |= 0x80000000;
    }
  while (id == 0 || id == DP_SOCKET_CONNECTION_FIRST_CHANNEL ||
         g_hash_table_contains (self->channels, GUINT_TO_POINTER (id)));

  return id;
}

/* The other side wants to read channel @id: what arrives in the export's
 * inbox goes there from now on, after what is queued. Runs on the reading
 * thread. */
static gboolean
dispatch_take (DpSocketConnection  *self,
               const DpFrameHeader *header,
               GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  ChannelLink *link;
  GQueue *queued;
  gboolean peer_closed = FALSE;
  gboolean ok = TRUE;

  g_mutex_lock (&self->channels_lock);
  link = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (header->channel));
  if (link != NULL && (!link->exported || link->taken))
    link = NULL;
  if (link != NULL)
    {
      link->taken = TRUE;
      /* A close on another thread may forget it meanwhile. */
      g_atomic_ref_count_inc (&link->ref_count);
    }
  g_mutex_unlock (&self->channels_lock);

  if (link == NULL)
    return TRUE;    /* closed meanwhile, or taken already */

  /* Queued messages go before forwarded ones: both need the write lock,
   * and we hold it until the queued ones are out. */
  ok = writer_lock (self, &local_error);
  queued = dp_place_channel_redirect (link->endpoint, &export_forward, link, &peer_closed);
  while (ok && !g_queue_is_empty (queued))
    {
      g_autoptr(GVariant) message = g_queue_pop_head (queued);
      ok = send_queued_locked (self, link, message, &local_error);
    }
  if (ok)
    ok = writer_unlock (self, &local_error);
  else
    g_mutex_unlock (&self->write_lock);
  g_queue_free_full (queued, (GDestroyNotify) g_variant_unref);

  if (!ok)
    connection_lost (self, local_error);
  else if (peer_closed)
    export_forward_peer_closed (NULL, link);
  export_settle (self, link);
  export_link_unref (link);

  return TRUE;
}

/* Sending messages, with the channels and vectors they name. */

typedef struct {
  DpSocketConnection *connection;
  GArray *entries;          /* DpHandleEntry */
  GUnixFDList *fds;
} Outgoing;

/* Returns the export id of @endpoint on this connection, making one; 0
 * with @error set once the connection is closed. */
static guint32
export_endpoint (DpSocketConnection  *self,
                 DpPlaceChannel      *endpoint,
                 GError             **error)
{
  ChannelLink *link;
  guint32 id;

  g_mutex_lock (&self->channels_lock);
  link = g_hash_table_lookup (self->exports, endpoint);
  if (link == NULL)
    {
      /* close_internal() marks the connection closed, then lets go of the
       * exports it finds under this lock: one made after would never be
       * released, and would keep its channel forever. */
      if (!check_open_locked (self, error))
        {
          g_mutex_unlock (&self->channels_lock);
          return 0;
        }
      link = g_new0 (ChannelLink, 1);
      g_atomic_ref_count_init (&link->ref_count);
      link->connection = self;
      link->exported = TRUE;
      link->endpoint = g_object_ref (endpoint);
      link->id = allocate_id_locked (self);
      link->flow = flow_new (self, link->id);
      g_hash_table_insert (self->channels, GUINT_TO_POINTER (link->id), link);
      g_hash_table_insert (self->exports, endpoint, link);
    }
  id = link->id;
  g_mutex_unlock (&self->channels_lock);

  return id;
}

static gboolean
outgoing_map_handle (gint32    handle,
                     gint32   *mapped,
                     gpointer  data,
                     GError  **error)
{
  Outgoing *out = data;
  DpSocketConnection *self = out->connection;
  g_autoptr(GObject) object = dp_handles_peek (handle);
  DpHandleEntry entry = { 0 };

  if (object == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "The message names handle %d, which is no channel or shared vector "
                   "(closed, or never made with dp_channel_to_variant())", handle);
      return FALSE;
    }

  if (DP_IS_PLACE_CHANNEL (object))
    {
      guint32 id = export_endpoint (self, DP_PLACE_CHANNEL (object), error);

      if (id == 0)
        return FALSE;
      entry.kind = GUINT32_TO_LE (DP_HANDLE_ENTRY_CHANNEL);
      entry.id = GUINT32_TO_LE (id);
    }
  else if (DP_IS_SHARED_VECTOR (object))
    {
      DpSharedVector *vector = DP_SHARED_VECTOR (object);
      gint index;

      if (!self->unix_socket)
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                               "Shared vectors cannot cross to another node");
          return FALSE;
        }
      if (out->fds == NULL)
        out->fds = g_unix_fd_list_new ();
      index = g_unix_fd_list_append (out->fds, dp_shared_vector_get_fd (vector), error);
      if (index < 0)
        return FALSE;
      /* The message leaves this process: it settles the hold its handle
       * had here, as a receiver here would. */
      g_object_unref (dp_handles_claim (handle, DP_TYPE_SHARED_VECTOR));

      entry.kind = GUINT32_TO_LE (DP_HANDLE_ENTRY_VECTOR);
      entry.id = GUINT32_TO_LE ((guint32) index);
      entry.extra = GUINT64_TO_LE (((guint64) dp_shared_vector_get_kind (vector) << 56) |
                                   dp_shared_vector_get_length (vector));
    }
  else
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "The message names a %s, which cannot be sent", G_OBJECT_TYPE_NAME (object));
      return FALSE;
    }

  g_array_append_val (out->entries, entry);
  *mapped = out->entries->len - 1;
  return TRUE;
}

/* Takes the window a DATA frame of @payload bytes needs on @link's
 * channel — its payload and a message's due — waiting for it unless the
 * message is being handed on (see flow_acquire()). A message too big for
 * a frame takes none: its send fails. */
static inline gboolean
message_acquire (DpSocketConnection  *self,
                 ChannelLink         *link,
                 gsize                payload,
                 guint8              *out_flags,
                 GError             **error)
{
  Flow *flow = link->flow;
  gsize cost = payload + FLOW_MESSAGE_COST;
  gboolean forwarding = dp_place_channel_is_forwarding ();
  DpCredit relayed = { NULL, 0 };

  if (G_UNLIKELY (forwarding))
    relayed = dp_place_channel_steal_forward_credit ();
  *out_flags = 0;
  if (G_UNLIKELY (payload > self->frame_limit))
    {
      dp_credit_release (&relayed, TRUE);
      return TRUE;
    }

  if (G_LIKELY (!forwarding) && flow_try_take (flow, cost, out_flags))
    return TRUE;
  return flow_acquire (self, flow, cost, !forwarding, &relayed, out_flags, error);
}

static gboolean
send_message_frame (DpSocketConnection  *self,
                    ChannelLink         *link,
                    GVariant            *message,
                    GError             **error)
{
  Outgoing out = { self, NULL, NULL };
  g_autoptr(GVariant) mapped = NULL;
  g_autoptr(GError) local_error = NULL;
  guint32 channel = link->id;
  guint8 flags = 0;
  gboolean ok;

  /* The common case: nothing to translate. */
  if (!dp_message_has_handles (message))
    {
      gsize payload = message_payload (message);

      return message_acquire (self, link, payload, &flags, error) &&
             send_frame_sized (self, DP_FRAME_DATA, channel, message, payload, 0, flags, error);
    }

  out.entries = g_array_new (FALSE, FALSE, sizeof (DpHandleEntry));
  mapped = dp_message_map_handles (message, outgoing_map_handle, &out, error);
  if (mapped != NULL &&
      !message_acquire (self, link, message_payload (mapped) + out.entries->len * sizeof (DpHandleEntry),
                        &flags, error))
    g_clear_pointer (&mapped, g_variant_unref);
  if (mapped != NULL)
    {
      ok = writer_lock (self, &local_error) &&
           send_frame_locked (self, DP_FRAME_DATA, channel, mapped,
                              (DpHandleEntry *) out.entries->data, out.entries->len,
                              out.fds, 0, flags, &local_error);
      if (ok)
        ok = writer_unlock (self, &local_error);
      else
        g_mutex_unlock (&self->write_lock);
      if (!ok)
        {
          if (!dp_socket_connection_is_closed (self))
            connection_lost (self, local_error);
          report_send_error (self, error, g_steal_pointer (&local_error));
        }
    }
  else
    ok = FALSE;

  g_array_unref (out.entries);
  g_clear_object (&out.fds);
  return ok;
}

/* A message that waited in an inbox until the inbox went to the wire, sent
 * by a caller that holds the write lock. Its channels and vectors are
 * translated like any message's: the receiver refuses raw handles. One
 * that names a channel closed since cannot be sent; it is dropped, said. */
static gboolean
send_queued_locked (DpSocketConnection  *self,
                    ChannelLink         *link,
                    GVariant            *message,
                    GError             **error)
{
  Outgoing out = { self, NULL, NULL };
  g_autoptr(GVariant) mapped = NULL;
  g_autoptr(GError) map_error = NULL;
  guint32 channel = link->id;
  guint8 flags = 0;
  gboolean ok;

  if (strlen (g_variant_get_type_string (message)) > DP_MESSAGE_TYPE_MAX)
    {
      g_warning ("Channel %u: a message queued for it is dropped: its type is longer than %d bytes",
                 channel, DP_MESSAGE_TYPE_MAX);
      return TRUE;
    }

  /* Counted against the window, without waiting: we hold the write lock.
   * The channel was just linked, so it cannot have died yet. */
  if (!dp_message_has_handles (message))
    {
      flow_acquire (self, link->flow, message_payload (message) + FLOW_MESSAGE_COST, FALSE, NULL, &flags,
                    NULL);
      return send_frame_locked (self, DP_FRAME_DATA, channel, message, NULL, 0, NULL, 0, flags, error);
    }

  out.entries = g_array_new (FALSE, FALSE, sizeof (DpHandleEntry));
  mapped = dp_message_map_handles (message, outgoing_map_handle, &out, &map_error);
  if (mapped != NULL)
    {
      flow_acquire (self, link->flow,
                    message_payload (mapped) + out.entries->len * sizeof (DpHandleEntry) + FLOW_MESSAGE_COST,
                    FALSE, NULL, &flags, NULL);
      ok = send_frame_locked (self, DP_FRAME_DATA, channel, mapped,
                              (DpHandleEntry *) out.entries->data, out.entries->len,
                              out.fds, 0, flags, error);
    }
  else if (dp_socket_connection_is_closed (self))
    {
      /* Not the message's fault (export_endpoint()): nothing goes now. */
      g_propagate_error (error, g_steal_pointer (&map_error));
      ok = FALSE;
    }
  else
    {
      g_warning ("Channel %u: a message queued for it is dropped: %s", channel, map_error->message);
      ok = TRUE;
    }

  g_array_unref (out.entries);
  g_clear_object (&out.fds);
  return ok;
}

/**
 * dp_socket_connection_send_control:
 * @self: a connection
 * @kind: a frame kind
 * @channel: the channel id it names, or 0
 * @aux: a kind-specific number
 * @payload: (transfer floating) (nullable): a message, without handles
 * @error: return location for a #GError
 *
 * Sends a frame that is not channel traffic.
 *
 * Returns: %TRUE if it was written
 */
gboolean
dp_socket_connection_send_control (DpSocketConnection  *self,
                                   guint                kind,
                                   guint32              channel,
                                   guint32              aux,
                                   GVariant            *payload,
                                   GError             **error)
{
  g_autoptr(GVariant) owned = payload != NULL ? g_variant_ref_sink (payload) : NULL;

  g_return_val_if_fail (DP_IS_SOCKET_CONNECTION (self), FALSE);
  g_return_val_if_fail (kind != DP_FRAME_DATA && kind <= 255, FALSE);

  return send_frame (self, kind, channel, owned, aux, error);
}

/* Receiving. */

typedef struct {
  DpSocketConnection *connection;
  const DpHandleEntry *entries;
  guint n_entries;
  int *fds;
  guint n_fds;
  GArray *made;             /* gint32: handles of the channels and vectors made */
} Incoming;

static gboolean
incoming_map_handle (gint32    handle,
                     gint32   *mapped,
                     gpointer  data,
                     GError  **error)
{
  Incoming *in = data;
  DpHandleEntry entry;
  guint32 kind, id;

  if (handle < 0 || (guint) handle >= in->n_entries)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "handle %d of %u in a message",
                   handle, in->n_entries);
      return FALSE;
    }

  memcpy (&entry, in->entries + handle, sizeof entry);
  kind = GUINT32_FROM_LE (entry.kind);
  id = GUINT32_FROM_LE (entry.id);

  if (kind == DP_HANDLE_ENTRY_CHANNEL)
    {
      DpSocketConnection *self = in->connection;
      g_autoptr(DpPlaceChannel) endpoint = NULL;
      ChannelLink *existing;

      if (id == 0 || id == DP_SOCKET_CONNECTION_FIRST_CHANNEL)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "channel id %u in a message", id);
          return FALSE;
        }
      g_mutex_lock (&self->channels_lock);
      existing = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (id));
      if (existing != NULL)
        endpoint = g_object_ref (existing->endpoint);
      g_mutex_unlock (&self->channels_lock);

      /* A channel sent again is the same channel; our own export coming
       * back is the endpoint itself. */
      if (endpoint == NULL)
        {
          endpoint = open_proxy (self, id, TRUE);
          *mapped = dp_handles_export_pinned (G_OBJECT (endpoint));
          g_array_append_val (in->made, *mapped);
          return TRUE;
        }
      *mapped = dp_handles_export_pinned (G_OBJECT (endpoint));
      return TRUE;
    }

  if (kind == DP_HANDLE_ENTRY_VECTOR)
    {
      guint64 extra = GUINT64_FROM_LE (entry.extra);
      g_autoptr(DpSharedVector) vector = NULL;
      int fd;

      if (id >= in->n_fds || in->fds[id] < 0)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "shared vector without its descriptor");
          return FALSE;
        }
      fd = in->fds[id];
      in->fds[id] = -1;
      vector = dp_shared_vector_new_from_fd (fd, (DpSharedVectorKind) (extra >> 56),
                                             extra & G_GUINT64_CONSTANT (0x00ffffffffffffff), error);
      if (vector == NULL)
        return FALSE;
      *mapped = dp_handles_export_pending (G_OBJECT (vector));
      g_array_append_val (in->made, *mapped);
      return TRUE;
    }

  g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "handle entry of unknown kind %u", kind);
  return FALSE;
}

/* For a message that goes nowhere: nobody will take the channels and
 * vectors its handles made out of it, so the handle table must not keep
 * them (and the proxies this connection) for ever. */
static void
incoming_release (Incoming *in)
{
  for (guint i = 0; i < in->made->len; i++)
    {
      gint32 handle = g_array_index (in->made, gint32, i);
      g_autoptr(GObject) object = dp_handles_peek (handle);

      if (object != NULL && DP_IS_SHARED_VECTOR (object))
        {
          GObject *claimed = dp_handles_claim (handle, DP_TYPE_SHARED_VECTOR);
          g_clear_object (&claimed);
        }
      else if (object != NULL && DP_IS_PLACE_CHANNEL (object))
        dp_place_channel_close_with_reason (DP_PLACE_CHANNEL (object), NULL);
    }
}

/* Messages at least this big are checked child by child (below). */
#define NORMAL_FORM_SPLIT_SIZE (64 * 1024)
#define NORMAL_FORM_SPLIT_CHILDREN 1024

/* Checked messages at least this big are handed on trusted (below). */
#define TRUSTED_MESSAGE_SIZE 1024

/* g_variant_is_normal_form(), without visiting each element of an array of
 * numbers: any bytes are a normal number, so such an array is normal when
 * its size is a multiple of the element size. That keeps a 1 MiB byte
 * string, even one deep inside a tuple or a variant, from costing a
 * million checks. */
static gboolean
is_normal_form (GVariant *message)
{
  const GVariantType *type = g_variant_get_type (message);
  const char *type_string = g_variant_get_type_string (message);
  gsize size = g_variant_get_size (message);
  g_autoptr(GPtrArray) children = NULL;
  g_autoptr(GVariant) rebuilt = NULL;
  gsize n_children;

  if (type_string[0] == 'a' && strchr ("ynqiuxtd", type_string[1]) != NULL && type_string[1] != '\0' &&
      type_string[2] == '\0')
    {
      gsize element = type_string[1] == 'y' ? 1 : strchr ("nq", type_string[1]) ? 2 :
                      strchr ("iu", type_string[1]) ? 4 : 8;
      return size % element == 0;
    }

  if (size < NORMAL_FORM_SPLIT_SIZE || !g_variant_type_is_container (type))
    return g_variant_is_normal_form (message);

  /* Reaching child i of an untrusted array of variable-size elements
   * costs GLib O(i) (it checks the offsets before it), so splitting a
   * long one would be quadratic; GLib's own check of it is linear. */
  n_children = g_variant_n_children (message);
  if (n_children > NORMAL_FORM_SPLIT_CHILDREN)
    return g_variant_is_normal_form (message);

  /* A big container: its children checked (each with this fast path),
   * then its framing, by rebuilding it from them. The rebuilt value is in
   * normal form, so the message is if and only if the bytes are the same:
   * one copy and one comparison instead of a check per element. */
  children = g_ptr_array_new_full (n_children, (GDestroyNotify) g_variant_unref);
  for (gsize i = 0; i < n_children; i++)
    {
      GVariant *child = g_variant_get_child_value (message, i);

      g_ptr_array_add (children, child);
      if (!is_normal_form (child))
        return FALSE;
    }

  if (g_variant_type_is_variant (type))
    rebuilt = g_variant_new_variant (g_ptr_array_index (children, 0));
  else if (g_variant_type_is_maybe (type))
    rebuilt = g_variant_new_maybe (g_variant_type_element (type),
                                   n_children > 0 ? g_ptr_array_index (children, 0) : NULL);
  else if (g_variant_type_is_array (type))
    rebuilt = g_variant_new_array (g_variant_type_element (type),
                                   (GVariant **) children->pdata, n_children);
  else if (g_variant_type_is_dict_entry (type))
    rebuilt = g_variant_new_dict_entry (g_ptr_array_index (children, 0),
                                        g_ptr_array_index (children, 1));
  else
    rebuilt = g_variant_new_tuple ((GVariant **) children->pdata, n_children);
  g_variant_ref_sink (rebuilt);

  return g_variant_get_size (rebuilt) == size &&
         memcmp (g_variant_get_data (rebuilt), g_variant_get_data (message), size) == 0;
}

/* Turns a frame's payload into its message: untrusted data, checked.
 * @payload_bytes holds @payload when it is a big frame's own buffer, which
 * the message then wraps; a small frame's value is copied out of the read
 * buffer. Called with read_lock held. */
static GVariant *
decode_message (DpSocketConnection   *self,
                const DpFrameHeader  *header,
                const guint8         *payload,
                GBytes               *payload_bytes,
                gsize                 entries_size,
                GError              **error)
{
  char type_string[sizeof self->last_type];
  gsize offset, size;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) message = NULL;

  if (header->type_length == 0 || header->type_length >= sizeof type_string)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "message type of %u bytes",
                   header->type_length);
      return NULL;
    }
  memcpy (type_string, payload, header->type_length);
  type_string[header->type_length] = '\0';
  /* A NUL inside would cut the string short: "" equals the initial
   * last_type and would skip the check below. */
  if (strlen (type_string) != header->type_length)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_PROTOCOL, "message type with a NUL byte");
      return NULL;
    }

  /* A channel's messages mostly share a type: check a new one only. */
  if (strcmp (type_string, self->last_type) != 0)
    {
      /* A valid but indefinite type ("?", "r", "a*") makes
       * g_variant_new_from_bytes() abort. */
      if (!g_variant_type_string_is_valid (type_string) ||
          !g_variant_type_is_definite (G_VARIANT_TYPE (type_string)))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "invalid message type “%s”", type_string);
          return NULL;
        }
      memcpy (self->last_type, type_string, header->type_length + 1);
    }

  offset = dp_align8 (header->type_length);
  size = header->length - offset - entries_size;
  bytes = payload_bytes != NULL ? g_bytes_new_from_bytes (payload_bytes, offset, size)
                                : g_bytes_new (payload + offset, size);
  message = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type_string), bytes, FALSE));
  if (!is_normal_form (message))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
                   "message of type “%s” is not in normal form", type_string);
      return NULL;
    }

  /* Checked: from now on GLib may trust it. An untrusted array checks
   * its framing on every access, so reading one element by element is
   * quadratic: 50,000 (si) take 350 ms untrusted, 20 ms trusted. Below
   * a kilobyte that costs less than making the message again. */
  if (size >= TRUSTED_MESSAGE_SIZE)
    {
      g_clear_pointer (&message, g_variant_unref);
      message = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type_string), bytes, TRUE));
    }
  return g_steal_pointer (&message);
}

/* Finds channel @id's link and, under the lock, what the caller may use
 * after it: a reference to its endpoint (@out_endpoint, or the link's own
 * once removed with @remove), whether it is an export, and (nullable) a
 * reference to its flow. Unless removed, an export's link itself may be
 * released by another thread (its local end closed) as soon as the lock
 * is let go: the caller reads nothing from it. */
static ChannelLink *
lookup_link (DpSocketConnection  *self,
             guint32              id,
             gboolean             remove,
             DpPlaceChannel     **out_endpoint,
             gboolean            *out_exported,
             Flow               **out_flow)
{
  ChannelLink *link;

  g_mutex_lock (&self->channels_lock);
  link = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (id));
  if (link != NULL && !link->exported && dp_place_channel_is_closed (link->endpoint))
    link = NULL;
  if (link != NULL)
    {
      *out_endpoint = g_object_ref (link->endpoint);
      *out_exported = link->exported;
      if (remove)
        g_hash_table_remove (self->channels, GUINT_TO_POINTER (id));
      if (out_flow != NULL)
        *out_flow = flow_ref (link->flow);
    }
  g_mutex_unlock (&self->channels_lock);

  return link;
}

static gboolean
dispatch_data (DpSocketConnection  *self,
               const DpFrameHeader *header,
               const guint8        *payload,
               GBytes              *payload_bytes,
               int                 *fds,
               guint                n_fds,
               GError             **error)
{
  gsize entries_size = (gsize) header->aux * sizeof (DpHandleEntry);
  g_autoptr(GVariant) message = decode_message (self, header, payload, payload_bytes, entries_size, error);
  DpPlaceChannel *endpoint;
  ChannelLink *link;
  Flow *flow = NULL;
  DpCredit credit;
  gboolean exported;

  if (message == NULL)
    return FALSE;

  link = lookup_link (self, header->channel, FALSE, &endpoint, &exported, &flow);
  if (link == NULL)
    {
      /* Closed here while the message was on its way. Its handles are not
       * made into channels and vectors: nobody would take them out. */
      g_debug ("message for channel %u, which is gone", header->channel);
      return TRUE;
    }
  /* lookup_link() holds the endpoint and the flow for us, not the link:
   * another thread may release an export link (its local end closed) once
   * the lock is let go, so the link is not read again unless we take it
   * (reading link->endpoint here crashed a soak's node: the link was freed
   * and its memory reused meanwhile). */

  if (!flow_check_received (flow, header, error))
    {
      g_object_unref (endpoint);
      flow_unref (flow);
      return FALSE;
    }

  /* Without entries too: a handle must not reach the receiver as it came,
   * an index into this process's handle table, naming a channel or vector
   * of ours the peer was never given. */
  if (header->aux > 0 || dp_message_has_handles (message))
    {
      Incoming in = {
        self,
        (const DpHandleEntry *) (payload + header->length - entries_size),
        header->aux,
        fds,
        n_fds,
        g_array_new (FALSE, FALSE, sizeof (gint32)),
      };
      g_autoptr(GVariant) mapped = dp_message_map_handles (message, incoming_map_handle, &in, error);

      if (mapped == NULL)
        incoming_release (&in);
      g_array_unref (in.made);
      if (mapped == NULL)
        {
          g_object_unref (endpoint);
          flow_unref (flow);
          return FALSE;
        }
      g_variant_unref (message);
      message = g_steal_pointer (&mapped);
    }

  /* The message goes with its credit: the inbox it lands in, or the
   * connection that sends it on, takes it and releases it once the
   * message is consumed. */
  credit.sink = &flow->sink;    /* lookup_link()'s reference */
  credit.amount = (gsize) header->length + FLOW_MESSAGE_COST;
  credit.urgent = (header->flags & DP_FRAME_FLAG_CREDIT) != 0;
  /* dispatch_frame() entered: this is the message in hand. */
  dp_place_channel_hand_on (&credit);

  if (exported)
    {
      g_autoptr(GError) put_error = NULL;
      gboolean pushed;

      /* A put on the exported endpoint, on behalf of the other side. If
       * it fails, the channel is dead here: tell the other side, so its
       * next put fails rather than vanish. */
      pushed = dp_place_channel_push_for_peer (endpoint, g_steal_pointer (&message), &put_error);
      credit = dp_place_channel_steal_forward_credit ();
      dp_credit_release (&credit, TRUE);
      if (!pushed)
        {
          gboolean ours;

          g_debug ("channel %u: %s", header->channel, put_error->message);
          g_mutex_lock (&self->channels_lock);
          ours = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (header->channel)) == link;
          if (ours)
            g_hash_table_remove (self->channels, GUINT_TO_POINTER (header->channel));
          g_mutex_unlock (&self->channels_lock);
          if (ours)
            {
              send_close (self, header->channel, put_error);
              g_object_unref (endpoint);
              export_release (self, link, put_error);
              return TRUE;
            }
        }
    }
  else
    {
      dp_place_channel_deliver (endpoint, message);
      credit = dp_place_channel_steal_forward_credit ();
      dp_credit_release (&credit, TRUE);
    }

  g_object_unref (endpoint);
  return TRUE;
}

static gboolean
dispatch_close (DpSocketConnection  *self,
                const DpFrameHeader *header,
                const guint8        *payload,
                GError             **error)
{
  g_autoptr(GError) reason = NULL;
  DpPlaceChannel *endpoint;
  ChannelLink *link;
  gboolean exported;

  if (header->type_length > 0)
    {
      g_autoptr(GVariant) text = decode_message (self, header, payload, NULL, 0, error);

      if (text == NULL)
        return FALSE;
      if (g_variant_is_of_type (text, G_VARIANT_TYPE_STRING))
        reason = dp_close_reason_decode (g_variant_get_string (text, NULL), header->aux);
    }

  link = lookup_link (self, header->channel, TRUE, &endpoint, &exported, NULL);
  if (link == NULL)
    return TRUE;

  if (exported)
    {
      /* The other side's endpoint closed. If it had taken the channel,
       * ours goes with it, so its peer learns; if it only put to it, the
       * channel lives on here. */
      if (link->taken)
        {
          link->taken = FALSE;
          dp_place_channel_unredirect (endpoint);
          dp_place_channel_close_with_reason (endpoint, reason);
        }
      g_object_unref (endpoint);
      export_release (self, link, reason);
    }
  else
    {
      link->remote_closed = TRUE;
      dp_place_channel_peer_closed (endpoint, reason);
      /* Puts waiting for credit fail as later ones do. */
      if (reason == NULL)
        reason = g_error_new_literal (DP_ERROR, DP_ERROR_CLOSED, "The other end of the channel is closed");
      flow_kill (self, link->flow, reason);
      g_object_unref (endpoint);
    }

  return TRUE;
}

static gboolean
dispatch_frame (DpSocketConnection  *self,
                const DpFrameHeader *header,
                const guint8        *payload,
                GBytes              *payload_bytes,
                GError             **error)
{
  g_autofree int *fds = NULL;
  guint n_fds = 0;
  gboolean ok;
  const DpCredit none = { NULL, 0 };
  DpCredit saved;

  count_traffic (&self->frames_in, &self->messages_in, &self->bytes_in,
                 1, header->kind == DP_FRAME_DATA, DP_FRAME_HEADER_SIZE + (gsize) header->length);
  /* Perhaps on a place's thread, reading for everyone: not the place's.
   * And whatever a frame makes us put must not wait for credit: the
   * credit could only come through a reader, perhaps this one. */
  dp_place_channel_enter_transport ();
  dp_place_channel_enter_forward (&none, &saved);

  if (header->flags & DP_FRAME_FLAG_FDS)
    {
      /* The descriptors came with the frame's first bytes, in order: this
       * frame's are the first ones not yet claimed, one per vector. */
      gsize entries_size = (gsize) header->aux * sizeof (DpHandleEntry);
      const guint8 *entries = payload + header->length - entries_size;

      for (guint i = 0; header->kind == DP_FRAME_DATA && i < header->aux; i++)
        {
          DpHandleEntry entry;
          memcpy (&entry, entries + i * sizeof entry, sizeof entry);
          if (GUINT32_FROM_LE (entry.kind) == DP_HANDLE_ENTRY_VECTOR)
            n_fds++;
        }
      if (n_fds == 0 || n_fds > self->fds->len)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL,
                       "frame wants %u descriptors, %u came", n_fds, self->fds->len);
          dp_place_channel_leave_forward (&saved);
          dp_place_channel_leave_transport ();
          return FALSE;
        }
      fds = g_memdup2 (self->fds->data, n_fds * sizeof (int));
      g_array_remove_range (self->fds, 0, n_fds);
    }

  switch (header->kind)
    {
    case DP_FRAME_DATA:
      ok = dispatch_data (self, header, payload, payload_bytes, fds, n_fds, error);
      break;

    case DP_FRAME_CLOSE:
      ok = dispatch_close (self, header, payload, error);
      break;

    case DP_FRAME_TAKE:
      ok = dispatch_take (self, header, error);
      break;

    case DP_FRAME_CREDIT:
      ok = dispatch_credit (self, header, error);
      break;

    default:
      {
        g_autoptr(GVariant) message = NULL;

        if (header->type_length > 0 &&
            (message = decode_message (self, header, payload, payload_bytes, 0, error)) == NULL)
          {
            ok = FALSE;
            break;
          }
        if (message != NULL && dp_message_has_handles (message))
          {
            g_set_error_literal (error, DP_ERROR, DP_ERROR_PROTOCOL, "handles in a control frame");
            ok = FALSE;
            break;
          }
        ok = self->control_handler != NULL &&
             self->control_handler (self, header->kind, header->channel, header->aux,
                                    message, self->control_data);
        if (!ok && (error == NULL || *error == NULL))
          g_set_error (error, DP_ERROR, DP_ERROR_PROTOCOL, "unexpected frame of kind %u",
                       header->kind);
      }
    }

  for (guint i = 0; i < n_fds; i++)
    if (fds[i] >= 0)
      close (fds[i]);

  dp_place_channel_leave_forward (&saved);
  dp_place_channel_leave_transport ();
  return ok;
}

/* Reads the socket and dispatches every complete frame. Without
 * @waiting or @credit_wait, reads what is there without blocking; with
 * one, reads — blocking if @block — until @waiting has something, or the
 * put of @credit_wait may go. Called with read_lock held. Returns %FALSE
 * once the connection is closed. */
static gboolean
drain (DpSocketConnection *self,
       DpPlaceChannel     *waiting,
       const CreditWait   *credit_wait,
       gboolean            block)
{
  g_autoptr(GError) error = NULL;
  union {
    struct cmsghdr header;
    char buffer[CMSG_SPACE (sizeof (int) * MAX_FDS_PER_READ)];
  } control;

  for (;;)
    {
      struct iovec vector;
      struct msghdr message = { 0 };
      ssize_t received;

      /* Parse what is buffered. */
      while (!self->in_big && self->rlen - self->rpos >= DP_FRAME_HEADER_SIZE)
        {
          DpFrameHeader header;
          gsize available;

          dp_frame_header_decode (self->rbuf + self->rpos, &header);
          if (!dp_frame_header_check (&header, self->frame_limit, &error))
            goto protocol_error;

          available = self->rlen - self->rpos - DP_FRAME_HEADER_SIZE;
          if (available >= header.length)
            {
              const guint8 *payload = self->rbuf + self->rpos + DP_FRAME_HEADER_SIZE;

              /* The frame stays in the read buffer while it is dispatched:
               * nothing reads the socket meanwhile. */
              self->rpos += DP_FRAME_HEADER_SIZE + header.length;
              if (!dispatch_frame (self, &header, payload, NULL, &error))
                goto protocol_error;
              continue;
            }

          if (header.length >= BIG_FRAME_SIZE ||
              DP_FRAME_HEADER_SIZE + header.length > READ_BUFFER_SIZE)
            {
              /* Read the rest straight into the payload's own buffer. */
              self->big_header = header;
              self->big = g_malloc (MAX (header.length, 1));
              memcpy (self->big, self->rbuf + self->rpos + DP_FRAME_HEADER_SIZE, available);
              self->big_have = available;
              self->rpos = self->rlen = 0;
              self->in_big = TRUE;
            }
          break;
        }

      if (self->in_big && self->big_have == self->big_header.length)
        {
          g_autoptr(GBytes) payload = g_bytes_new_take (self->big, self->big_header.length);
          DpFrameHeader header = self->big_header;

          self->big = NULL;
          self->in_big = FALSE;
          if (!dispatch_frame (self, &header, g_bytes_get_data (payload, NULL), payload, &error))
            goto protocol_error;
          continue;
        }

      if (waiting != NULL && dp_place_channel_is_ready (waiting))
        return TRUE;
      if (credit_wait != NULL && credit_wait_done (self, credit_wait))
        return TRUE;

      if (!self->in_big)
        {
          /* Keep the unparsed tail at the start of the buffer. */
          if (self->rpos > 0)
            {
              memmove (self->rbuf, self->rbuf + self->rpos, self->rlen - self->rpos);
              self->rlen -= self->rpos;
              self->rpos = 0;
            }
          vector.iov_base = self->rbuf + self->rlen;
          vector.iov_len = READ_BUFFER_SIZE - self->rlen;
        }
      else
        {
          vector.iov_base = self->big + self->big_have;
          vector.iov_len = self->big_header.length - self->big_have;
        }

      message.msg_iov = &vector;
      message.msg_iovlen = 1;
      if (self->unix_socket)
        {
          message.msg_control = control.buffer;
          message.msg_controllen = sizeof control.buffer;
        }
      received = recvmsg (self->fd, &message, MSG_CMSG_CLOEXEC | (block ? 0 : MSG_DONTWAIT));
      if (received < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          /* Nothing more now, or a blocking read's timeout: the caller
           * decides whether to wait on. */
          if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)
            return TRUE;
          g_set_error (&error, DP_ERROR, DP_ERROR_PEER_DIED, "connection lost: %s",
                       g_strerror (saved_errno));
          goto lost;
        }

      if (message.msg_controllen > 0)
        for (struct cmsghdr *cmsg = CMSG_FIRSTHDR (&message); cmsg != NULL;
             cmsg = CMSG_NXTHDR (&message, cmsg))
          if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
            {
              guint n = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (int);
              g_array_append_vals (self->fds, CMSG_DATA (cmsg), n);
            }
      if (message.msg_flags & MSG_CTRUNC)
        {
          g_set_error_literal (&error, DP_ERROR, DP_ERROR_PROTOCOL,
                               "peer sent more descriptors than a frame may carry");
          goto protocol_error;
        }
      /* A read brings at most one sendmsg()'s descriptors, and a frame
       * claims them before the next can come: more waiting than two
       * frames' worth is a peer hoarding our descriptor table. */
      if (self->fds->len > 2 * MAX_FDS_PER_READ)
        {
          g_set_error (&error, DP_ERROR, DP_ERROR_PROTOCOL,
                       "peer sent %u descriptors that no frame claims", self->fds->len);
          goto protocol_error;
        }

      if (received == 0)
        {
          if (self->in_big || self->rlen > self->rpos)
            {
              g_set_error_literal (&error, DP_ERROR, DP_ERROR_PROTOCOL,
                                   "connection closed in the middle of a frame");
              goto protocol_error;
            }
          g_set_error_literal (&error, DP_ERROR, DP_ERROR_PEER_DIED, "connection closed by peer");
          goto lost;
        }
      if (self->in_big)
        self->big_have += received;
      else
        self->rlen += received;
    }

protocol_error:
  g_warning ("Closing connection: %s", error->message);
lost:
  {
    g_autoptr(GError) reason = NULL;

    if (g_error_matches (error, DP_ERROR, DP_ERROR_PROTOCOL))
      reason = g_error_new (DP_ERROR, DP_ERROR_PEER_DIED, "Connection closed: peer broke the protocol: %s",
                            error->message);
    else
      reason = g_error_new (DP_ERROR, DP_ERROR_PEER_DIED, "%s", error->message);
    close_internal (self, reason);
  }
  return FALSE;
}

static void
wake_background (DpSocketConnection *self)
{
  guint64 one = 1;

  if (write (self->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    g_warning ("Cannot wake the reader: %s", g_strerror (errno));
}

/* Makes the calling thread the connection's direct reader, unless another
 * reads directly already (then it will let the background reader take
 * over at once when it is done, for whoever waits). */
G_ALWAYS_INLINE static inline gboolean
reading_claim (DpSocketConnection *self)
{
  g_mutex_lock (&self->state_lock);
  if (self->closed || self->direct_reading || !self->started)
    {
      if (self->direct_reading)
        self->getters_waiting = TRUE;
      g_mutex_unlock (&self->state_lock);
      return FALSE;
    }
  self->direct_reading = TRUE;
  if (self->background_polling)
    wake_background (self);
  g_mutex_unlock (&self->state_lock);
  return TRUE;
}

G_ALWAYS_INLINE static inline void
reading_release (DpSocketConnection *self)
{
  g_mutex_lock (&self->state_lock);
  self->direct_reading = FALSE;
  if (self->getters_waiting)
    {
      /* Other gets sleep, counting on someone to read their messages: the
       * background reader, now, with no grace period. */
      self->getters_waiting = FALSE;
      self->reserved_until = 0;
      g_cond_broadcast (&self->state_cond);
    }
  else
    {
      self->reserved_until = g_get_monotonic_time () + DIRECT_READER_GRACE_USEC;
      /* Only a background reader waiting for us to finish needs waking;
       * one in its grace period wakes by itself. */
      if (self->background_waiting)
        g_cond_broadcast (&self->state_cond);
    }
  g_mutex_unlock (&self->state_lock);
}

/* A getter about to sleep on one of our endpoints reads the socket itself.
 * Returns %TRUE if it may have progressed (the get looks again), %FALSE if
 * another thread reads already (the get waits to be woken). */
static gboolean
direct_read (DpSocketConnection *self,
             DpPlaceChannel     *endpoint,
             gboolean            only_source,
             gint64              end_time)
{
  DpPlace *place = dp_place_get_current ();
  gboolean progressed = FALSE;

  if (!reading_claim (self))
    return FALSE;

  g_mutex_lock (&self->read_lock);
  for (;;)
    {
      struct pollfd pfds[2] = { { self->fd, POLLIN, 0 }, { -1, POLLIN, 0 } };
      int timeout_ms = RECEIVE_TIMEOUT_MS;

      /* Without a deadline, block in the read itself: the one system call
       * a reply costs. That is safe for a proxy, which only this
       * connection feeds, and for a place's channel until something else
       * feeds it during such a read (the inbox then says it is mixed, and
       * we poll the connection and the endpoint's wake-up together). */
      if (end_time < 0 && (only_source || dp_place_channel_begin_block (endpoint)))
        {
          gboolean open = drain (self, endpoint, NULL, TRUE);

          if (!only_source)
            dp_place_channel_end_block (endpoint);
          if (!open || dp_place_channel_is_ready (endpoint) ||
              (place != NULL && dp_place_is_killed (place)))
            {
              progressed = TRUE;
              break;
            }
          continue;
        }

      if (!drain (self, endpoint, NULL, FALSE) || dp_place_channel_is_ready (endpoint) ||
          (place != NULL && dp_place_is_killed (place)))
        {
          progressed = TRUE;
          break;
        }
      if (end_time >= 0)
        {
          gint64 now = g_get_monotonic_time ();

          if (now >= end_time)
            {
              progressed = TRUE;
              break;
            }
          timeout_ms = MIN (timeout_ms, (end_time - now + 999) / 1000);
        }

      pfds[1].fd = dp_place_channel_begin_poll (endpoint);
      if (pfds[1].fd < 0)
        {
          progressed = TRUE;
          break;
        }
      if (poll (pfds, 2, timeout_ms) < 0 && errno != EINTR)
        {
          dp_place_channel_end_poll (endpoint);
          break;
        }
      dp_place_channel_end_poll (endpoint);
    }
  g_mutex_unlock (&self->read_lock);

  reading_release (self);
  return progressed;
}

/* A put about to wait for credit reads the connection itself, as a get
 * about to sleep does: the credit comes straight to the thread that wants
 * it, rather than through the background reader (which, after another
 * thread's direct read, also leaves the socket alone for a while). Reads
 * until the put may go, the channel or the connection dies, or the
 * calling place is killed. Returns %FALSE if another thread reads already
 * (the put then waits to be woken). */
static gboolean
credit_read (DpSocketConnection *self,
             Flow               *flow,
             gsize               cost)
{
  DpPlace *place = dp_place_get_current ();
  CreditWait wait = { flow, cost };

  if (!reading_claim (self))
    return FALSE;

  g_mutex_lock (&self->read_lock);
  /* Blocking reads give up every RECEIVE_TIMEOUT_MS, so a kill is seen. */
  while (drain (self, NULL, &wait, TRUE) && !credit_wait_done (self, &wait) &&
         !(place != NULL && dp_place_is_killed (place)))
    ;
  g_mutex_unlock (&self->read_lock);

  reading_release (self);
  return TRUE;
}

static gboolean
proxy_read (DpPlaceChannel *endpoint,
            gint64          end_time,
            gpointer        data)
{
  ChannelLink *link = data;

  /* Only this connection delivers to a proxy. */
  return direct_read (link->connection, endpoint, TRUE, end_time);
}

/* For the local other end of a bound endpoint: a place whose channel is
 * bridged to this connection reads its messages off the socket itself. */
static gboolean
bound_peer_read (DpPlaceChannel *waiting,
                 gint64          end_time,
                 gpointer        data)
{
  /* A place's own channel also gets puts from this process. */
  return direct_read (DP_SOCKET_CONNECTION (data), waiting, FALSE, end_time);
}

static gpointer
background_reader (gpointer data)
{
  DpSocketConnection *self = data;

  for (;;)
    {
      struct pollfd pfds[2] = {
        { self->fd, POLLIN, 0 },
        { self->wake_fd, POLLIN, 0 },
      };

      g_mutex_lock (&self->state_lock);
      for (;;)
        {
          gint64 now = g_get_monotonic_time ();

          if (self->closed)
            break;
          if (self->direct_reading)
            {
              self->background_waiting = TRUE;
              g_cond_wait (&self->state_cond, &self->state_lock);
              self->background_waiting = FALSE;
            }
          else if (self->reserved_until > now)
            g_cond_wait_until (&self->state_cond, &self->state_lock, self->reserved_until);
          else
            break;
        }
      if (self->closed)
        {
          g_mutex_unlock (&self->state_lock);
          break;
        }
      self->background_polling = TRUE;
      g_mutex_unlock (&self->state_lock);

      if (poll (pfds, 2, -1) < 0 && errno != EINTR)
        {
          g_warning ("poll: %s", g_strerror (errno));
          break;
        }

      g_mutex_lock (&self->state_lock);
      self->background_polling = FALSE;
      g_mutex_unlock (&self->state_lock);

      if (pfds[1].revents & POLLIN)
        {
          guint64 count;
          if (read (self->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
            g_warning ("eventfd: %s", g_strerror (errno));
        }
      if (pfds[0].revents != 0 && g_mutex_trylock (&self->read_lock))
        {
          gboolean open = drain (self, NULL, NULL, FALSE);
          g_mutex_unlock (&self->read_lock);
          if (!open)
            break;
        }
    }

  g_object_unref (self);
  return NULL;
}

/**
 * dp_socket_connection_start:
 * @self: a connection
 *
 * Starts reading. Open the channels the two sides agreed on first, so no
 * message for them arrives before they exist.
 */
void
dp_socket_connection_start (DpSocketConnection *self)
{
  g_return_if_fail (DP_IS_SOCKET_CONNECTION (self));

  g_mutex_lock (&self->state_lock);
  if (!self->started)
    {
      self->started = TRUE;
      self->reader_thread = g_thread_new ("dp-connection", background_reader, g_object_ref (self));
      g_thread_unref (self->reader_thread);
    }
  g_mutex_unlock (&self->state_lock);
}

static void
close_internal (DpSocketConnection *self,
                const GError       *reason)
{
  g_autoptr(GPtrArray) links = NULL;
  g_autoptr(GError) owned_reason = NULL;
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->state_lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->state_lock);
      return;
    }
  self->closed = TRUE;
  if (reason == NULL)
    reason = owned_reason = g_error_new_literal (DP_ERROR, DP_ERROR_PEER_DIED, "Connection closed");
  if (self->reason_func != NULL)
    {
      GError *better = self->reason_func (self, reason, self->reason_data);
      if (better != NULL)
        {
          g_clear_error (&owned_reason);
          reason = owned_reason = better;
        }
    }
  self->close_reason = g_error_copy (reason);
  g_cond_broadcast (&self->state_cond);
  g_mutex_unlock (&self->state_lock);

  /* Puts waiting for room in the send queue give up. */
  g_mutex_lock (&self->queue_lock);
  g_cond_broadcast (&self->queue_cond);
  g_mutex_unlock (&self->queue_lock);

  g_debug ("connection closed: %s", reason->message);

  /* Wake every reader: the background one in poll(), direct ones too. */
  g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
  wake_background (self);

  g_object_ref (self);

  links = g_ptr_array_new ();
  g_mutex_lock (&self->channels_lock);
  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ChannelLink *link = value;
      g_object_ref (link->endpoint);
      g_ptr_array_add (links, link);
    }
  g_hash_table_remove_all (self->channels);
  g_mutex_unlock (&self->channels_lock);

  for (guint i = 0; i < links->len; i++)
    {
      ChannelLink *link = g_ptr_array_index (links, i);
      DpPlaceChannel *endpoint = link->endpoint;

      if (link->exported)
        {
          if (link->taken)
            {
              link->taken = FALSE;
              dp_place_channel_unredirect (endpoint);
              dp_place_channel_close_with_reason (endpoint, reason);
            }
          g_object_unref (endpoint);
          export_release (self, link, reason);
        }
      else
        {
          link->remote_closed = TRUE;
          dp_place_channel_peer_closed (endpoint, reason);
          flow_kill (self, link->flow, reason);
          g_object_unref (endpoint);
        }
    }

  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, reason);
  g_object_unref (self);
}

/**
 * dp_socket_connection_close:
 * @self: a connection
 * @reason: (nullable): why, for the channels that die with it
 *
 * Closes the connection: every channel on it dies with @reason.
 */
void
dp_socket_connection_close (DpSocketConnection *self,
                            const GError       *reason)
{
  g_return_if_fail (DP_IS_SOCKET_CONNECTION (self));

  close_internal (self, reason);
}
