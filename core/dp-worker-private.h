/* dp-worker-private.h: the library's background main context
 *
 * Work that must go on whether or not anyone runs a main loop — child
 * watches, forwarding a node's output — runs on one context of the
 * library's own, in a thread of its own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GMainContext *dp_worker_context (void);
void          dp_worker_invoke  (GSourceFunc    func,
                                 gpointer       data,
                                 GDestroyNotify destroy);

G_END_DECLS
