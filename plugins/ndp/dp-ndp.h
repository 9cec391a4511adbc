/* dp-ndp.h: nested data parallelism over distributed places (the
 * dissertation's §4.3.4: ndp-get-node, ndp-send-work, ndp-get-result,
 * ndp-return-node)
 *
 *   #include <dplaces/dp-ndp.h>      link libdplaces-ndp (its plugin dir)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define DP_NDP_INSIDE

#include <dplaces/dplaces.h>

#include "dp-ndp-macros.h"
#include "dp-ndp-group.h"

#undef DP_NDP_INSIDE
