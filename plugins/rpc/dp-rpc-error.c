/* dp-rpc-error.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dplaces/dplaces.h>

#include "dp-rpc-error.h"

G_DEFINE_QUARK (dp-rpc-error-quark, dp_rpc_error)
