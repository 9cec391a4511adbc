/* dp-ndp-macros.h: symbol visibility of the ndp plugin's C API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DP_NDP_INSIDE) && !defined(DP_NDP_COMPILATION)
#error "Only <dplaces/dp-ndp.h> can be included directly."
#endif

#include <glib.h>

/* libdplaces-ndp is built with hidden visibility; what its public headers
 * declare with this is exported, for the programs and place modules that
 * link it. */
#if defined(DP_NDP_COMPILATION)
#define DP_NDP_AVAILABLE_IN_ALL __attribute__((visibility ("default"))) extern
#else
#define DP_NDP_AVAILABLE_IN_ALL extern
#endif
