/* dp-map-reduce-macros.h: symbol visibility of the mapreduce API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_MAPREDUCE_INSIDE) && !defined(DP_MAPREDUCE_COMPILATION)
#error "Only <dplaces/dplaces-mapreduce.h> can be included directly."
#endif

#include <glib.h>

/* libdplaces-mapreduce is built with hidden visibility; what its public
 * headers declare with this is exported. */
#if defined(DP_MAPREDUCE_COMPILATION)
#define DP_MAPREDUCE_AVAILABLE_IN_ALL __attribute__((visibility ("default"))) extern
#else
#define DP_MAPREDUCE_AVAILABLE_IN_ALL extern
#endif
