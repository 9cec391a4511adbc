/* fuzz-connection.h: a DpSocketConnection fed hostile bytes
 *
 * The frame and message harnesses play a peer: what they write on one end
 * of a Unix socket pair is read by a real DpSocketConnection on the other,
 * with its real reader thread, exactly as a node reads another node (or a
 * processes place its creator). Before the bytes arrive the connection has
 * channels in each of the states a peer can address:
 *
 *   FUZZ_CHANNEL_FIRST   channel 1, agreed in advance: a proxy (a place's
 *                        own channel, for the processes backend)
 *   fuzz_channel_export  a local channel this side sent in a message on
 *                        channel 1, so exported: the peer may DATA, TAKE
 *                        and CLOSE it
 *   fuzz_channel_bound   a local endpoint bound to an id of the peer's
 *                        numbering, as NEW_PLACE binds a place
 *
 * After the peer's side is shut, the connection closes; then the harness
 * reads every message that reached any channel as a place would — taking
 * the channels and shared vectors out of them, reading those too — and
 * closes everything. Then nothing may be left: the handle table is as
 * before and the connection is finalized, else the harness fails (a
 * channel or vector a peer can make us keep forever is a leak).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FUZZ_CHANNEL_FIRST 1

/* Ids are numbered by the side that makes them: bit 31 is set on the ids
 * of the side that did not open the connection. */
static inline guint32
fuzz_channel_export (gboolean initiator)
{
  return initiator ? 2 : 0x80000002u;
}

static inline guint32
fuzz_channel_bound (gboolean initiator)
{
  return initiator ? 0x80000003u : 3;
}

/* The shared-memory files a peer may send along with the first byte. */
#define FUZZ_MAX_FDS 4
#define FUZZ_FD_SIZE 4096

/* Feeds @data to a connection as its peer's bytes, with @n_fds memfds
 * (FUZZ_FD_SIZE bytes each) passed alongside the first byte. @initiator:
 * whether the connection plays the side that opened it. Returns how many
 * messages reached channel FUZZ_CHANNEL_FIRST. */
guint fuzz_connection_run (const guint8 *data,
                           gsize         size,
                           gboolean      initiator,
                           guint         n_fds);

G_END_DECLS
