/* dp-event-container.h: anything a message router waits on
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include <glib-object.h>

G_BEGIN_DECLS

#define DP_TYPE_EVENT_CONTAINER (dp_event_container_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (DpEventContainer, dp_event_container, DP, EVENT_CONTAINER, GObject)

/**
 * DpEventContainerInterface:
 * @register_events: appends the [struct@GLib.Source]s the container wants
 *   the loop to wait on to @events (transfer full each) and returns @events
 *
 * The seeds' `event-container<%>`: everything handed to a message router
 * — timers, nodes, places, connections, spawned processes — says what it
 * waits on by giving the router its sources.
 */
struct _DpEventContainerInterface
{
  GTypeInterface parent_iface;

  GPtrArray * (*register_events) (DpEventContainer *self,
                                  GPtrArray        *events);

  /*< private >*/
  gpointer padding[8];
};

DP_AVAILABLE_IN_ALL
GPtrArray *dp_event_container_register (DpEventContainer *self,
                                        GPtrArray        *events);

G_END_DECLS
