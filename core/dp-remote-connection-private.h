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
void                dp_remote_connection_report_exit (DpRemoteConnection *self,
                                                      gint                status,
                                                      const char         *reason);

G_END_DECLS
