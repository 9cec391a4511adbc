/* dp-place-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-place.h"
#include "dp-place-backend.h"

G_BEGIN_DECLS

/* A place that sleeps in a get or a sync says where, so that a kill can
 * wake it. begin fails with DP_ERROR_KILLED if the place is already dead. */
gboolean dp_place_begin_wait         (DpPlace        *self,
                                      GMutex         *mutex,
                                      GCond          *cond,
                                      GError        **error);
void     dp_place_end_wait           (DpPlace        *self);
gboolean dp_place_is_killed          (DpPlace        *self);

/* The control plane's per-place counters (dp_node_dup_status()). */
void     dp_place_count_traffic      (DpPlace        *self,
                                      gboolean        put,
                                      gsize           bytes);
gboolean dp_place_get_traffic        (DpPlace        *self,
                                      guint64        *n_got,
                                      guint64        *bytes_got,
                                      guint64        *n_put,
                                      guint64        *bytes_put);

/* The endpoints a place received in messages; they close when it ends. */
void     dp_place_adopt_endpoint     (DpPlace        *self,
                                      DpPlaceChannel *endpoint);
void     dp_place_release_endpoint   (DpPlace        *self,
                                      DpPlaceChannel *endpoint);

void     dp_place_set_backend        (DpPlace        *self,
                                      DpPlaceBackend *backend);
void     dp_place_set_creator_context (DpPlace       *self,
                                       GMainContext  *context);
void     dp_place_set_thread_creator_context (GMainContext *context);

G_END_DECLS
