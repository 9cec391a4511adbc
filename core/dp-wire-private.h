/* dp-wire-private.h: frames on the wire between processes and nodes
 *
 * Every frame is a 16-byte header and a payload of at most the
 * connection's frame limit:
 *
 *   offset  size  field
 *        0     4  payload length (little-endian), not counting the header
 *        4     1  kind (DpFrameKind)
 *        5     1  flags (DP_FRAME_FLAG_*)
 *        6     2  length of the GVariant type string in the payload, or 0
 *        8     4  channel id the frame is about, or 0
 *       12     4  aux: DATA frames — how many handle entries follow the
 *                 message; other kinds — kind-specific
 *
 * A payload that carries a message is laid out as
 *
 *   type string | pad to 8 | message data (GVariant serialized form) |
 *   handle entries (16 bytes each)
 *
 * so the receiver can wrap the data in a GVariant without copying it. A
 * handle entry turns a `h` value in the message (an index into the entries)
 * into a channel (its id on this connection) or a shared vector (a file
 * descriptor passed alongside, for Unix sockets). schemas/wire.md documents
 * the protocol for people.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DP_FRAME_HEADER_SIZE 16
#define DP_WIRE_VERSION 1
#define DP_WIRE_MAGIC "DPLACES"

/* 64 MiB unless a connection says otherwise. */
#define DP_FRAME_DEFAULT_LIMIT (64u * 1024 * 1024)

/* The longest message type string a receiver takes, in bytes; a sender
 * refuses a longer one (DP_ERROR_INVALID_MESSAGE) rather than have the
 * receiver close the connection. */
#define DP_MESSAGE_TYPE_MAX 255

typedef enum {
  /* Handshake, before anything else. */
  DP_FRAME_HELLO          = 1,   /* (magic, version, nonce, node name) */
  DP_FRAME_AUTH           = 2,   /* HMAC of the peer's nonce */
  DP_FRAME_WELCOME        = 3,   /* authentication passed */

  /* Channels. */
  DP_FRAME_DATA           = 10,  /* a message on channel id */
  DP_FRAME_CLOSE          = 11,  /* channel id's other side is gone; payload: reason (s);
                                  * aux: its code (dp_close_code_encode()) */
  DP_FRAME_TAKE           = 12,  /* the receiver of channel id reads it: send its inbox */

  /* The message router's requests (distributed places). */
  DP_FRAME_NEW_PLACE      = 20,
  DP_FRAME_NEW_CONNECTION = 21,
  DP_FRAME_PLACE_DIED     = 22,
  DP_FRAME_LOG            = 23,
  DP_FRAME_EXIT           = 24,
  DP_FRAME_SPAWN_PROCESS  = 25,
  DP_FRAME_NEW_NODE       = 26,
  DP_FRAME_SET_OWNER      = 27,
  DP_FRAME_NEW_CHANNEL    = 28,
  DP_FRAME_REPLY          = 29,

  /* From a place of the processes backend to its creator. */
  DP_FRAME_CONNECT_TO     = 30,  /* connect channel id to a named place elsewhere */

  /* A barrier: answered on channel id once every request before it is done. */
  DP_FRAME_SYNC           = 31,

  /* The control plane: answered on channel id with the node's status. */
  DP_FRAME_STATUS         = 32,

  /* Flow control: the sender of this frame consumed aux more bytes of
   * what came on channel id; no payload. */
  DP_FRAME_CREDIT         = 33,
} DpFrameKind;

/* The payloads of the router's frames (GVariant types). */
#define DP_NEW_PLACE_TYPE      "(ussss)"   /* exec, module, function, name, backend */
#define DP_NEW_CONNECTION_TYPE "(ssv)"     /* name, mode, src-id */
#define DP_PLACE_DIED_TYPE     "(is)"      /* completion value, how it ended */
#define DP_LOG_TYPE            "(ss)"      /* severity, message */
#define DP_NEW_NODE_TYPE       "(sqb)"     /* host, port, solo */
#define DP_CONNECT_TO_TYPE     "(sqs)"     /* host, port, name */

/* What one DATA frame counts against its channel's window, besides its
 * payload: both sides must count the same, the receiver crediting back
 * what the sender counted. */
#define DP_FLOW_MESSAGE_COST 128

/* NEW_CONNECTION modes. connect: each message reaches the named place as
 * (message, reply), through a DpConnection. channel: the named place gets
 * one message ('channel-connect', src-id, channel) and then the channel's
 * messages as they are (Racket's 'channel-connect). */
#define DP_CONNECTION_MODE_CONNECT "connect"
#define DP_CONNECTION_MODE_CHANNEL "channel"

typedef enum {
  DP_FRAME_FLAG_FDS = 1 << 0,    /* file descriptors came with the frame */
  /* DATA: its sender has a quarter of its window or more in flight on the channel:
   * credit back as soon as this message is consumed, not in a batch. */
  DP_FRAME_FLAG_CREDIT = 1 << 1,
  /* DATA: sent past its channel's window without waiting for credit — a
   * message handed on for another sender, or one that waited in an inbox
   * until the channel went to the wire. The receiver holds the others to
   * the window (a peer that ignores credit is closed), not these. */
  DP_FRAME_FLAG_OVERDRAFT = 1 << 2,
} DpFrameFlags;

typedef struct {
  guint32 length;
  guint8 kind;
  guint8 flags;
  guint16 type_length;
  guint32 channel;
  guint32 aux;
} DpFrameHeader;

typedef enum {
  DP_HANDLE_ENTRY_CHANNEL = 1,   /* id: channel id on this connection */
  DP_HANDLE_ENTRY_VECTOR  = 2,   /* id: index of the fd; extra: kind << 56 | length */
} DpHandleEntryKind;

typedef struct {
  guint32 kind;
  guint32 id;
  guint64 extra;
} DpHandleEntry;

void      dp_frame_header_encode (const DpFrameHeader *header,
                                  guint8               out[DP_FRAME_HEADER_SIZE]);
void      dp_frame_header_decode (const guint8         in[DP_FRAME_HEADER_SIZE],
                                  DpFrameHeader       *header);
gboolean  dp_frame_header_check  (const DpFrameHeader *header,
                                  guint32              limit,
                                  GError             **error);

gboolean  dp_message_has_handles (GVariant            *message);

/* CLOSE's aux: 0, or the reason's code in the DP_ERROR domain plus one, so
 * that a peer that sends none (0) says nothing. The receiver keeps the
 * codes that say why a channel's other end is not there — CLOSED,
 * PEER_DIED, NOT_FOUND, REFUSED —; any other, or none, is PEER_DIED, and
 * a CLOSE without a reason (empty text) has none, whatever its aux. */
guint32   dp_close_code_encode   (const GError        *reason);
GError   *dp_close_reason_decode (const char          *text,
                                  guint32              aux);

/* Calls @map for every handle in @message, depth first, and returns a
 * message with each handle replaced by what @map returned (or @message
 * itself, referenced, when nothing changed). */
typedef gboolean (*DpHandleMapFunc) (gint32    handle,
                                     gint32   *mapped,
                                     gpointer  user_data,
                                     GError  **error);
GVariant *dp_message_map_handles (GVariant            *message,
                                  DpHandleMapFunc      map,
                                  gpointer             user_data,
                                  GError             **error);

static inline gsize
dp_align8 (gsize n)
{
  return (n + 7) & ~(gsize) 7;
}

G_END_DECLS
