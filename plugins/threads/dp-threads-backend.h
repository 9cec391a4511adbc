/* dp-threads-backend.h: places as threads of this process
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define DP_TYPE_THREADS_BACKEND (dp_threads_backend_get_type ())
G_DECLARE_FINAL_TYPE (DpThreadsBackend, dp_threads_backend, DP, THREADS_BACKEND, GObject)

void dp_threads_backend_register (GTypeModule *module);

G_END_DECLS
