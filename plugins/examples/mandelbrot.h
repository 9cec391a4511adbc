/* mandelbrot.h: the dissertation's shared-memory Mandelbrot (Fig. 3.4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define MANDELBROT_MODULE "mandelbrot"

G_MODULE_EXPORT void mandelbrot_place (DpChannel *ch);
G_MODULE_EXPORT void mandelbrot_main  (DpChannel *ch);

G_GNUC_INTERNAL
guint8          mandelbrot_point     (guint        x,
                                      guint        y,
                                      guint        n);
G_GNUC_INTERNAL
DpSharedVector *mandelbrot_run       (guint        np,
                                      guint        n,
                                      const char  *backend,
                                      GError     **error);
G_GNUC_INTERNAL
GBytes         *mandelbrot_pgm       (DpSharedVector *image,
                                      guint        n);

G_END_DECLS
