/* dp-place-backend.h: how places run — the interface backend plugins implement
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include "dp-place.h"
#include "dp-place-channel.h"

G_BEGIN_DECLS

/**
 * DP_PLACE_BACKEND_EXTENSION_POINT_NAME:
 *
 * The extension point place backend plugins implement
 * [iface@Dp.PlaceBackend] under.
 */
#define DP_PLACE_BACKEND_EXTENSION_POINT_NAME "dplaces-place-backend"

#define DP_TYPE_PLACE_BACKEND (dp_place_backend_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (DpPlaceBackend, dp_place_backend, DP, PLACE_BACKEND, GObject)

/**
 * DpPlaceBackendInterface:
 * @launch: starts @place running: gives it its endpoint with
 *   dp_place_set_endpoint(), and arranges for dp_place_report_exit() when it
 *   ends. Returns %FALSE with @error set if the place cannot start.
 * @kill: ends @place now; the backend reports the exit (status 1).
 * @exit_current: ends the place the calling code runs in, with @status;
 *   does not return.
 *
 * A way of running places: the `threads` plugin runs each in a thread of
 * this process, the `processes` plugin each in a child process. The
 * backend's writable properties are the keys a `[place]` group of a
 * keyfile may set for it.
 */
struct _DpPlaceBackendInterface
{
  GTypeInterface parent_iface;

  gboolean (*launch)       (DpPlaceBackend *self,
                            DpPlace        *place,
                            GError        **error);
  void     (*kill)         (DpPlaceBackend *self,
                            DpPlace        *place);
  void     (*exit_current) (DpPlaceBackend *self,
                            DpPlace        *place,
                            gint            status);

  /*< private >*/
  gpointer padding[8];
};

DP_AVAILABLE_IN_ALL
gboolean     dp_place_backend_launch (DpPlaceBackend *self,
                                      DpPlace        *place,
                                      GError        **error);
DP_AVAILABLE_IN_ALL
void         dp_place_backend_kill   (DpPlaceBackend *self,
                                      DpPlace        *place);

/* For backend implementations. */
DP_AVAILABLE_IN_ALL
void         dp_place_set_endpoint   (DpPlace        *place,
                                      DpPlaceChannel *endpoint);
DP_AVAILABLE_IN_ALL
void         dp_place_enter          (DpPlace        *place);
DP_AVAILABLE_IN_ALL
void         dp_place_leave          (DpPlace        *place);
DP_AVAILABLE_IN_ALL
void         dp_place_report_exit    (DpPlace        *place,
                                      gint            status,
                                      const char     *reason);
DP_AVAILABLE_IN_ALL
DpPlaceFunc  dp_place_resolve_function (DpPlace      *place,
                                        GError      **error);

G_END_DECLS
