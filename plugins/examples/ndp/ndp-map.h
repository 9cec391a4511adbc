/* ndp-map.h: a nested data parallel map over an array, as an NDP module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dp-ndp.h>

G_BEGIN_DECLS

/* The module, found as ndp-map.so in the plugin directories, and its
 * procedures' addresses. */
#define NDP_MAP_MODULE "ndp-map"
#define NDP_PARALLEL_MAP NDP_MAP_MODULE ":ndp_parallel_map"
#define NDP_MAP_SQUARE NDP_MAP_MODULE ":square"
#define NDP_MAP_COLLATZ_STEPS NDP_MAP_MODULE ":collatz_steps"

/**
 * NdpMapFunc:
 * @x: an element
 *
 * What ndp_parallel_map() applies to each element, named by its address
 * `MODULE:SYMBOL`.
 *
 * Returns: the element's image
 */
typedef gint64 (*NdpMapFunc) (gint64 x);

G_MODULE_EXPORT GVariant *ndp_parallel_map (DpNdpGroup  *group,
                                            GVariant    *data,
                                            GError     **error);
G_MODULE_EXPORT gint64    square           (gint64       x);
G_MODULE_EXPORT gint64    collatz_steps    (gint64       x);

G_END_DECLS
