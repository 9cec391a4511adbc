/* dp-error.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-error.h"

G_DEFINE_QUARK (dp-error-quark, dp_error)
