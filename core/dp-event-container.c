/* dp-event-container.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-event-container.h"

/**
 * DpEventContainer:
 *
 * An object a message router waits on: the seeds' `event-container<%>`.
 */

G_DEFINE_INTERFACE (DpEventContainer, dp_event_container, G_TYPE_OBJECT)

static void
dp_event_container_default_init (DpEventContainerInterface *iface)
{
}

/**
 * dp_event_container_register:
 * @self: an event container
 * @events: (element-type GLib.Source) (transfer none): the sources gathered
 *   so far
 *
 * Asks @self for the sources it wants waited on (the seeds' `register`).
 * The router attaches them to its main context when its loop starts.
 *
 * Returns: (element-type GLib.Source) (transfer none): @events, with the
 *   container's sources appended
 */
GPtrArray *
dp_event_container_register (DpEventContainer *self,
                             GPtrArray        *events)
{
  g_return_val_if_fail (DP_IS_EVENT_CONTAINER (self), events);
  g_return_val_if_fail (events != NULL, NULL);

  return DP_EVENT_CONTAINER_GET_IFACE (self)->register_events (self, events);
}
