/* dp-place.h: a place, an isolated unit of computation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include <gio/gio.h>

#include "dp-channel.h"

G_BEGIN_DECLS

#define DP_TYPE_PLACE (dp_place_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DpPlace, dp_place, DP, PLACE, GObject)

/**
 * DpPlaceFunc:
 * @channel: the place's end of the channel its creator holds the other
 *   end of
 *
 * The function a place runs, exported by a module. When it returns the
 * place ends with status 0; [func@Dp.place_exit] ends it with another.
 */
typedef void (*DpPlaceFunc) (DpChannel *channel);

/**
 * DpPlaceThunk:
 *
 * A function exported by a module that creates a place itself (with
 * [func@Dp.dynamic_place] or [func@Dp.place]) and returns it: the seeds'
 * `#:thunk #t` mode.
 *
 * Returns: (transfer full): the new place, or %NULL if it failed
 */
typedef DpPlace * (*DpPlaceThunk) (void);

DP_AVAILABLE_IN_ALL
DpPlace    *dp_dynamic_place         (const char   *module,
                                      const char   *function,
                                      GError      **error);
DP_AVAILABLE_IN_ALL
DpPlace    *dp_place                 (DpPlaceFunc   function,
                                      GError      **error);
DP_AVAILABLE_IN_ALL
DpPlace    *dp_place_from_thunk      (const char   *module,
                                      const char   *function,
                                      GError      **error);

DP_AVAILABLE_IN_ALL
DpPlace    *dp_place_new             (const char   *module,
                                      const char   *function);
DP_AVAILABLE_IN_ALL
gboolean    dp_place_start           (DpPlace      *self,
                                      GError      **error);

DP_AVAILABLE_IN_ALL
const char *dp_place_get_module      (DpPlace      *self);
DP_AVAILABLE_IN_ALL
const char *dp_place_get_function    (DpPlace      *self);
DP_AVAILABLE_IN_ALL
const char *dp_place_get_name        (DpPlace      *self);
DP_AVAILABLE_IN_ALL
void        dp_place_set_name        (DpPlace      *self,
                                      const char   *name);
DP_AVAILABLE_IN_ALL
const char *dp_place_get_backend_name (DpPlace     *self);

DP_AVAILABLE_IN_ALL
gint        dp_place_wait            (DpPlace      *self);
DP_AVAILABLE_IN_ALL
void        dp_place_wait_async      (DpPlace      *self,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer      user_data);
DP_AVAILABLE_IN_ALL
gint        dp_place_wait_finish     (DpPlace      *self,
                                      GAsyncResult *result,
                                      GError      **error);
DP_AVAILABLE_IN_ALL
void        dp_place_kill            (DpPlace      *self);
DP_AVAILABLE_IN_ALL
gboolean    dp_place_has_exited      (DpPlace      *self);
DP_AVAILABLE_IN_ALL
gint        dp_place_get_exit_status (DpPlace      *self);
DP_AVAILABLE_IN_ALL
const char *dp_place_get_exit_reason (DpPlace      *self);

DP_AVAILABLE_IN_ALL
DpPlace    *dp_place_get_current     (void);
DP_AVAILABLE_IN_ALL
G_NORETURN
void        dp_place_exit            (gint          status);

DP_AVAILABLE_IN_ALL
guint       dp_processor_count       (void);

G_END_DECLS
