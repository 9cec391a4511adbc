/* dp-rpc-version-macros.h: symbol visibility of the rpc plugin's API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_RPC_INSIDE) && !defined(DPLACES_RPC_COMPILATION)
#error "Only <dplaces/dp-rpc.h> can be included directly."
#endif

#include <glib.h>

/* libdplaces-rpc is built with hidden visibility; what its public headers
 * declare with this is exported. */
#define DP_RPC_AVAILABLE_IN_ALL _DP_RPC_EXTERN

#if defined(DPLACES_RPC_COMPILATION)
#define _DP_RPC_EXTERN __attribute__((visibility ("default"))) extern
#else
#define _DP_RPC_EXTERN extern
#endif
