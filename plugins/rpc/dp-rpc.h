/* dp-rpc.h: RPC servers on places — the seeds' define-remote-server,
 * define-named-remote-server, define-rpc, define-cast, define-state and
 * log-to-parent
 *
 * The API of libdplaces-rpc (pkg-config dplaces-rpc-1.0), which is also
 * the `rpc` plugin. dplaces-codegen generates typed client stubs and server
 * skeletons on top of it from schemas/NAME.rpc.json interface files.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

#define DPLACES_RPC_INSIDE

#include "dp-rpc-version-macros.h"
#include "dp-rpc-error.h"
#include "dp-rpc-client.h"
#include "dp-rpc-server.h"
#include "dp-rpc-directory.h"

#undef DPLACES_RPC_INSIDE
