/* dp-error.h: the libdplaces error domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_INSIDE) && !defined(DPLACES_COMPILATION)
#error "Only <dplaces/dplaces.h> can be included directly."
#endif

#include "dp-version-macros.h"
#include <glib.h>

G_BEGIN_DECLS

/**
 * DP_ERROR:
 *
 * Error domain for libdplaces. Errors in this domain are from the
 * [enum@Dp.Error] enumeration.
 */
#define DP_ERROR (dp_error_quark ())

/**
 * DpError:
 * @DP_ERROR_FAILED: a failure with no more specific code
 * @DP_ERROR_CLOSED: the channel was closed, or its other end was
 * @DP_ERROR_PEER_DIED: the place, process or node on the other side died
 * @DP_ERROR_KILLED: the place making the call was killed
 * @DP_ERROR_NOT_FOUND: a module, symbol, plugin, place or name does not exist
 * @DP_ERROR_INVALID_MESSAGE: a message that cannot be sent or decoded
 * @DP_ERROR_CONFIG: a keyfile that does not match the schema
 * @DP_ERROR_PROTOCOL: a peer broke the wire protocol
 * @DP_ERROR_AUTH: a peer failed authentication
 * @DP_ERROR_TIMED_OUT: an operation with a deadline ran out of time
 * @DP_ERROR_REFUSED: a request was refused by policy
 *
 * Error codes in the %DP_ERROR domain.
 */
typedef enum {
  DP_ERROR_FAILED,
  DP_ERROR_CLOSED,
  DP_ERROR_PEER_DIED,
  DP_ERROR_KILLED,
  DP_ERROR_NOT_FOUND,
  DP_ERROR_INVALID_MESSAGE,
  DP_ERROR_CONFIG,
  DP_ERROR_PROTOCOL,
  DP_ERROR_AUTH,
  DP_ERROR_TIMED_OUT,
  DP_ERROR_REFUSED,
} DpError;

DP_AVAILABLE_IN_ALL
GQuark dp_error_quark (void);

DP_AVAILABLE_IN_ALL
GQuark dp_error_domain_lookup (const char *name);

G_END_DECLS
