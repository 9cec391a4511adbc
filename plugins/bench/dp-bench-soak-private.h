/* dp-bench-soak-private.h: what `dplaces bench soak` and its worker
 * places say to each other
 *
 * The host (tools/dp-bench-soak.c) and the worker place
 * (plugins/bench/dplaces-bench-soak.c) both include it, so the message
 * types and the payloads are written once.
 *
 * A *stream* is one connection from one incarnation of a worker (the
 * sender) to a named worker on another node (the receiver): the sender
 * numbers its messages 1, 2, 3 … and the receiver checks that they come
 * in that order, each once, intact. A stream's key names the sender's
 * incarnation (a serial the host hands out, one per start of any worker),
 * the peer and the attempt, so a sender that connects again after its
 * peer died starts a new stream.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Worker → host, on the worker's channel. */
#define SOAK_HELLO_TYPE "(sit)"       /* ("hello", pid, nonce): a new incarnation */
/* ("report" | "drained" | "final", serial, outgoing, incoming):
 * outgoing (key, receiver serial, sent, acknowledged) per stream it sent
 * on; incoming (key, received, gaps, bad) per stream it received. */
#define SOAK_REPORT_TYPE "(sua(tutt)a(tttt))"

/* Host → worker. */
#define SOAK_CONFIG_TYPE "(stua(sqs))" /* ("config", nonce, serial, peers: host, port, name) */
#define SOAK_COMMAND_TYPE "(s)"       /* ("drain") or ("report") */

/* Sender → receiver, through a connection to the named receiver. */
#define SOAK_DATA_TYPE "(ttay)"       /* (key, seq, payload) */
#define SOAK_CONTROL_TYPE "(st)"      /* ("open" | "flush", key): acknowledge at once */

/* Receiver → sender, on the connection's reply channel. */
#define SOAK_ACK_TYPE "(ut)"          /* (receiver serial, messages received so far) */

/* A stream has at most this many messages not yet acknowledged; the
 * receiver acknowledges every SOAK_ACK_EVERY. Keeps every queue bounded
 * whatever the speed of either end. */
#define SOAK_WINDOW 64
#define SOAK_ACK_EVERY 16

/* Every SOAK_BIG_EVERY-th message is 16 to 40 KiB; the others 8 to 63
 * bytes. */
#define SOAK_BIG_EVERY 64

static inline guint64
soak_stream_key (guint32 serial,
                 guint   slot,
                 guint32 attempt)
{
  return ((guint64) serial << 32) | ((guint64) (slot & 0xff) << 24) | (attempt & 0xffffff);
}

static inline guint32
soak_stream_key_serial (guint64 key)
{
  return (guint32) (key >> 32);
}

static inline gsize
soak_payload_size (guint64 seq)
{
  if (seq % SOAK_BIG_EVERY == 0)
    return 16 * 1024 + (seq / SOAK_BIG_EVERY % 4) * 8 * 1024;
  return 8 + seq % 56;
}

/* Byte @i of message @seq of stream @key. */
static inline guint8
soak_payload_byte (guint64 key,
                   guint64 seq,
                   gsize   i)
{
  return (guint8) (key * 31 + seq * 131 + i * 7);
}

G_END_DECLS
