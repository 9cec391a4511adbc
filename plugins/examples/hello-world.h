/* hello-world.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_MODULE_EXPORT void     hello_world_place (DpChannel *ch);
G_MODULE_EXPORT DpPlace *hello_world       (void);
