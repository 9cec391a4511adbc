/* dp-remote-connection-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dp-place-channel.h"
#include "dp-remote-connection.h"

G_BEGIN_DECLS

DpRemoteConnection *dp_remote_connection_new         (DpRemoteNode       *node,
                                                      DpPlaceChannel     *endpoint,
                                                      guint32             channel_id,
                                                      const char         *name);
guint32             dp_remote_connection_get_channel_id (DpRemoteConnection *self);
gint                dp_remote_connection_compare_launch (gconstpointer       a,
                                                         gconstpointer       b);
void                dp_remote_connection_report_exit (DpRemoteConnection *self,
                                                      gint                status,
                                                      const char         *reason);
void                dp_remote_connection_finish      (DpRemoteConnection *self,
                                                      gint                status,
                                                      const char         *reason);
void                dp_remote_connection_node_lost   (DpRemoteConnection *self,
                                                      const char         *reason,
                                                      gboolean            coming_back,
                                                      gboolean            quietly);
void                dp_remote_connection_emit        (DpRemoteConnection *self,
                                                      const char         *kind,
                                                      GVariant           *extra);
guint               dp_remote_connection_get_launch  (DpRemoteConnection *self);

/* Supervision: starting the place again. */
typedef struct _DpSupervisor DpSupervisor;

void                dp_remote_connection_set_request (DpRemoteConnection *self,
                                                      guint               kind,
                                                      GVariant           *request);
GVariant           *dp_remote_connection_dup_request (DpRemoteConnection *self,
                                                      guint              *out_kind);
gboolean            dp_remote_connection_is_down     (DpRemoteConnection *self);
void                dp_remote_connection_set_initial_message (DpRemoteConnection *self,
                                                              GVariant           *message);
GVariant           *dp_remote_connection_dup_initial_message (DpRemoteConnection *self);
void                dp_remote_connection_set_supervisor (DpRemoteConnection *self,
                                                         DpSupervisor       *supervisor);
DpSupervisor       *dp_remote_connection_dup_supervisor (DpRemoteConnection *self);
void                dp_remote_connection_replace_endpoint (DpRemoteConnection *self,
                                                           DpPlaceChannel     *endpoint,
                                                           guint32             channel_id);

G_END_DECLS
