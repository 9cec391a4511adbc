/* examples-serial.h: what the single-node examples compute, computed
 * serially, for the tests to hold their results against
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void     serial_build      (GPtrArray *jobs);
gint64   serial_phases     (gint64    *grid,
                            guint      n);
gdouble *serial_pipeline   (guint      n);
guint8  *serial_mandelbrot (guint      n);

G_END_DECLS
