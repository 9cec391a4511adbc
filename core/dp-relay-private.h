/* dp-relay-private.h: two channels joined end to end by a main loop
 *
 * A relay moves every message that arrives on one channel to the other,
 * both ways, with one channel GSource on each, on the main context it is
 * given. When either side fails, the other is closed with the same
 * reason, so a get at the far end says why (a refused connection, a dead
 * node). The message router uses it between a requester's channel and a
 * connection to a named place; a processes place's creator uses it when
 * the place asks it to connect somewhere.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-channel.h"

G_BEGIN_DECLS

typedef struct _DpRelay DpRelay;

DpRelay  *dp_relay_new     (DpChannel    *a,
                            DpChannel    *b,
                            GMainContext *context);
DpRelay  *dp_relay_ref     (DpRelay      *relay);
void      dp_relay_unref   (DpRelay      *relay);
void      dp_relay_stop    (DpRelay      *relay,
                            const GError *reason);
gboolean  dp_relay_is_done (DpRelay      *relay);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpRelay, dp_relay_unref)

G_END_DECLS
