/* dp-version-macros.h: symbol visibility of the public API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include <glib.h>

/* libdplaces is built with hidden visibility; what its public headers
 * declare with this is exported. */
#define DP_AVAILABLE_IN_ALL _DP_EXTERN

#if defined(DPLACES_COMPILATION)
#define _DP_EXTERN __attribute__((visibility ("default"))) extern
#else
#define _DP_EXTERN extern
#endif
