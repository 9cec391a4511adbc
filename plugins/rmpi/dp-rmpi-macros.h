/* dp-rmpi-macros.h: symbol visibility of the rmpi plugin's C API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DP_RMPI_INSIDE) && !defined(DP_RMPI_COMPILATION)
#error "Only <dplaces/dp-rmpi.h> can be included directly."
#endif

#include <glib.h>

/* libdplaces-rmpi is built with hidden visibility; what its public headers
 * declare with this is exported, for the place modules that link it. */
#if defined(DP_RMPI_COMPILATION)
#define DP_RMPI_AVAILABLE_IN_ALL __attribute__((visibility ("default"))) extern
#else
#define DP_RMPI_AVAILABLE_IN_ALL extern
#endif
