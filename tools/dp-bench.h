/* dp-bench.h: `dplaces bench`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

int dp_bench_command (int    argc,
                      char **argv);

G_END_DECLS
