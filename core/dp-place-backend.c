/* dp-place-backend.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-place-backend.h"

/**
 * DpPlaceBackend:
 *
 * A way of running places, implemented by a plugin under the
 * %DP_PLACE_BACKEND_EXTENSION_POINT_NAME extension point and chosen per
 * place with the `backend=` key or the [property@Dp.Place:backend]
 * property.
 */

G_DEFINE_INTERFACE (DpPlaceBackend, dp_place_backend, G_TYPE_OBJECT)

static void
dp_place_backend_default_init (DpPlaceBackendInterface *iface)
{
}

/**
 * dp_place_backend_launch:
 * @self: a backend
 * @place: a place not yet running
 * @error: return location for a #GError
 *
 * Starts @place. Called by [method@Dp.Place.start].
 *
 * Returns: %TRUE if @place runs
 */
gboolean
dp_place_backend_launch (DpPlaceBackend  *self,
                         DpPlace         *place,
                         GError         **error)
{
  g_return_val_if_fail (DP_IS_PLACE_BACKEND (self), FALSE);
  g_return_val_if_fail (DP_IS_PLACE (place), FALSE);

  return DP_PLACE_BACKEND_GET_IFACE (self)->launch (self, place, error);
}

/**
 * dp_place_backend_kill:
 * @self: a backend
 * @place: a place it runs
 *
 * Ends @place. Called by [method@Dp.Place.kill].
 */
void
dp_place_backend_kill (DpPlaceBackend *self,
                       DpPlace        *place)
{
  g_return_if_fail (DP_IS_PLACE_BACKEND (self));
  g_return_if_fail (DP_IS_PLACE (place));

  DP_PLACE_BACKEND_GET_IFACE (self)->kill (self, place);
}
