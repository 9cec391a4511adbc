/* dplaces.h: distributed places for C, on GLib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define DPLACES_INSIDE

#include "dp-version-macros.h"
#include "dp-version.h"
#include "dp-error.h"
#include "dp-enum-types.h"
#include "dp-message.h"
#include "dp-channel.h"
#include "dp-place-channel.h"
#include "dp-shared-vector.h"
#include "dp-socket-connection.h"
#include "dp-spawned-process.h"
#include "dp-supervise-process.h"
#include "dp-typed-channel.h"
#include "dp-event-container.h"
#include "dp-after-seconds.h"
#include "dp-every-seconds.h"
#include "dp-restart-strategy.h"
#include "dp-restarter.h"
#include "dp-place.h"
#include "dp-place-backend.h"
#include "dp-transport.h"
#include "dp-launcher.h"
#include "dp-remote-connection.h"
#include "dp-remote-node.h"
#include "dp-connection.h"
#include "dp-node.h"
#include "dp-message-router.h"
#include "dp-monitor.h"
#include "dp-place-socket-bridge.h"
#include "dp-cookie.h"
#include "dp-plugin-registry.h"
#include "dp-config.h"
#include "dp-service.h"
#include "dp-system.h"

#undef DPLACES_INSIDE
