/* ndp-qsort.h: the dissertation's nested data parallel quicksort
 * (§4.3.4) as an NDP module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dp-ndp.h>

G_BEGIN_DECLS

/* The module, found as ndp-qsort.so in the plugin directories, and its
 * procedures' addresses. */
#define NDP_QSORT_MODULE "ndp-qsort"
#define NDP_PARALLEL_QSORT NDP_QSORT_MODULE ":ndp_parallel_qsort"
#define NDP_PARALLEL_QSORT_VECTOR NDP_QSORT_MODULE ":ndp_parallel_qsort_vector"

G_MODULE_EXPORT GVariant *ndp_parallel_qsort        (DpNdpGroup  *group,
                                                     GVariant    *l,
                                                     GError     **error);
G_MODULE_EXPORT GVariant *ndp_parallel_qsort_vector (DpNdpGroup  *group,
                                                     GVariant    *data,
                                                     GError     **error);
G_MODULE_EXPORT GVariant *ndp_serial_qsort          (GVariant    *l,
                                                     GError     **error);
G_MODULE_EXPORT int       ndp_compare_int64         (const void  *a,
                                                     const void  *b);

G_END_DECLS
