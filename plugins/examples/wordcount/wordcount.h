/* wordcount.h: the seeds' word count (dissertation §4.3.3) as a
 * MapReduce module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces-mapreduce.h>

G_BEGIN_DECLS

/* The module, found as wordcount.so in the plugin directories, and its
 * procedures' addresses. */
#define WORDCOUNT_MODULE "wordcount"
#define WORDCOUNT_MAPPER WORDCOUNT_MODULE ":mapper"
#define WORDCOUNT_REDUCER WORDCOUNT_MODULE ":reducer"
#define WORDCOUNT_OUTPUTER WORDCOUNT_MODULE ":outputer"

G_MODULE_EXPORT gboolean  mapper   (GVariant            *task,
                                    DpMapReduceEmitter  *emitter,
                                    GError             **error);
G_MODULE_EXPORT GVariant *reducer  (GVariant            *key,
                                    GVariant            *values,
                                    GError             **error);
G_MODULE_EXPORT GVariant *outputer (GVariant            *result,
                                    GError             **error);

G_END_DECLS
