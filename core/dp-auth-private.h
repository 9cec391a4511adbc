/* dp-auth-private.h: the shared cookie, and proving we hold it
 *
 * Before any other frame, both sides of a node connection prove they hold
 * the same cookie, as Erlang's distribution does, without sending it:
 *
 *   each side sends HELLO (magic, lowest and highest wire version it
 *   speaks, a 32-byte random nonce, its name);
 *   each side sends AUTH: HMAC-SHA256 (cookie, role ‖ peer nonce ‖ own
 *   nonce), role being 'C' for the side that connected, 'S' for the one
 *   that accepted — so an answer cannot be reflected back;
 *   each side checks the other's AUTH.
 *
 * A wrong cookie, a garbage first frame, a frame of another kind, an
 * oversized or truncated frame, or silence past the timeout fails the
 * handshake; the caller closes the socket and logs why. The handshake is
 * driven by the socket's readiness on a main context, so a node serves
 * any number of handshakes from its loop, stalled ones included, without
 * a thread each; dp_auth_handshake() is the same on a context of its own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "dp-cookie.h"

G_BEGIN_DECLS

#define DP_COOKIE_MIN_LENGTH 16
#define DP_HANDSHAKE_TIMEOUT_SECONDS 10

gboolean  dp_auth_handshake        (GSocket              *socket,
                                    GBytes               *cookie,
                                    gboolean              initiator,
                                    const char           *own_name,
                                    char                **out_peer_name,
                                    GError              **error);
void      dp_auth_handshake_async  (GSocket              *socket,
                                    GBytes               *cookie,
                                    gboolean              initiator,
                                    const char           *own_name,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
char     *dp_auth_handshake_finish (GAsyncResult         *result,
                                    GError              **error);

G_END_DECLS
