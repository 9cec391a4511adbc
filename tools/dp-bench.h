/* dp-bench.h: `dplaces bench`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

int  dp_bench_command (int    argc,
                       char **argv);

/* Places the benchmarks run, exported from the dplaces binary itself so
 * that the processes backend's children find them. */
G_MODULE_EXPORT void dp_bench_echo (DpChannel *channel);

G_END_DECLS
