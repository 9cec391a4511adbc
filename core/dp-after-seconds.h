/* dp-after-seconds.h: run something once, some seconds after the loop starts
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

/**
 * DpTimerFunc:
 * @user_data: the data given with the function
 *
 * The body of an [class@Dp.AfterSeconds] or [class@Dp.EverySeconds].
 */
typedef void (*DpTimerFunc) (gpointer user_data);

#define DP_TYPE_AFTER_SECONDS (dp_after_seconds_get_type ())
DP_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (DpAfterSeconds, dp_after_seconds, DP, AFTER_SECONDS, GObject)

/**
 * DpAfterSecondsClass:
 * @fire: runs the body; the default calls the function given at
 *   construction
 *
 * Subclasses such as restart strategies override @fire.
 */
struct _DpAfterSecondsClass
{
  GObjectClass parent_class;

  void (*fire) (DpAfterSeconds *self);

  /*< private >*/
  gpointer padding[8];
};

DP_AVAILABLE_IN_ALL
DpAfterSeconds *dp_after_seconds_new         (gdouble         seconds,
                                              DpTimerFunc     func,
                                              gpointer        user_data,
                                              GDestroyNotify  destroy);
DP_AVAILABLE_IN_ALL
gdouble         dp_after_seconds_get_seconds (DpAfterSeconds *self);

G_END_DECLS
