/* dp-map-reduce-procedures.h: what a mapper, reducer, combiner, sorter
 * and outputer are, and how a mapper emits its pairs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(DPLACES_MAPREDUCE_INSIDE) && !defined(DP_MAPREDUCE_COMPILATION)
#error "Only <dplaces/dplaces-mapreduce.h> can be included directly."
#endif

#include <glib.h>

#include "dp-map-reduce-macros.h"

G_BEGIN_DECLS

/**
 * DpMapReduceEmitter:
 *
 * Where a [callback@Dp.MapReduceMapper] puts its key–value pairs: the
 * seeds' mapper returns a list of pairs, a C mapper emits them one by one
 * with [func@Dp.map_reduce_emit] (or a whole list with
 * [func@Dp.map_reduce_emit_pairs]). Every key of one mapper's output has
 * one type, every value one type.
 *
 * The emitter groups the pairs by key as they come, in a compact buffer,
 * without making a `GVariant` of each pair: that is what lets a worker
 * count a million words in a few tens of milliseconds. It is valid only
 * during the mapper's call.
 */
typedef struct _DpMapReduceEmitter DpMapReduceEmitter;

/**
 * DpMapReduceMapper:
 * @task: one task: a list of key–value pairs, such as `[(0, 'w0.txt')]`
 * @emitter: where to put the pairs it maps the task to
 * @error: return location for a #GError
 *
 * The seeds' mapper, exported by a module and named by a procedure
 * address `MODULE:SYMBOL`. It runs in a worker place. The framework sorts
 * what it emits by key and coalesces the values of each key into one list.
 *
 * Returns: %TRUE, or %FALSE with @error set if the task cannot be mapped
 *   (the map-reduce call then fails with @error)
 */
typedef gboolean (*DpMapReduceMapper) (GVariant            *task,
                                       DpMapReduceEmitter  *emitter,
                                       GError             **error);

/**
 * DpMapReduceReducer:
 * @key: a key
 * @values: its values, an array (type `aV` for values of type `V`)
 * @error: return location for a #GError
 *
 * The seeds' reducer and combiner, exported by a module. The seeds'
 * reducer maps a list of `(key, values)` pairs to a list of `(key,
 * (value))` pairs, key by key; a C reducer is that loop's body: it gets
 * one key and its values and returns the reduced values, usually an
 * array of one.
 *
 * The framework calls the reducer for a key whenever values of it from
 * different tasks or workers meet — and, without a combiner, on each
 * task's output for keys with more than one value — so it must accept
 * its own output among its input, as a sum does (Hadoop asks the same of
 * a combiner). A key with one value is not reduced. A combiner is called
 * on each task's output, on keys with more than one value, on the worker
 * that mapped it; what it returns must be acceptable to the reducer, and
 * stands as the key's values if they never meet others.
 *
 * Returns: (transfer full): the reduced values, of the type of @values
 *   (an empty array drops the key), or %NULL with @error set
 */
typedef GVariant * (*DpMapReduceReducer) (GVariant  *key,
                                          GVariant  *values,
                                          GError   **error);

/**
 * DpMapReduceSorter:
 * @a: a key
 * @b: another key, of the same type
 *
 * The order of keys (the seeds' `#:sorter`, a less-than there; a
 * comparison here, as `GCompareFunc`). Keys that compare equal are one
 * key: their values are coalesced. The default is
 * [func@Dp.map_reduce_default_sorter].
 *
 * Returns: negative if @a comes first, 0 if they are the same key,
 *   positive if @b comes first
 */
typedef gint (*DpMapReduceSorter) (GVariant *a,
                                   GVariant *b);

/**
 * DpMapReduceOutputer:
 * @result: the final list of `(key, values)` pairs, type `a(KaV)`
 * @error: return location for a #GError
 *
 * The seeds' `#:outputer`: runs once, in the process that called
 * map-reduce, on the final result. What it returns is what map-reduce
 * returns; if it returns %NULL without setting @error, map-reduce returns
 * @result (Racket's `(or (outputer result) result)`).
 *
 * Returns: (transfer full) (nullable): the value map-reduce returns
 */
typedef GVariant * (*DpMapReduceOutputer) (GVariant  *result,
                                           GError   **error);

DP_MAPREDUCE_AVAILABLE_IN_ALL
gboolean  dp_map_reduce_emit               (DpMapReduceEmitter  *emitter,
                                            GVariant            *key,
                                            GVariant            *value);
DP_MAPREDUCE_AVAILABLE_IN_ALL
gboolean  dp_map_reduce_emit_string        (DpMapReduceEmitter  *emitter,
                                            const char          *key,
                                            gssize               length,
                                            GVariant            *value);
DP_MAPREDUCE_AVAILABLE_IN_ALL
gboolean  dp_map_reduce_emit_pairs         (DpMapReduceEmitter  *emitter,
                                            GVariant            *pairs);

DP_MAPREDUCE_AVAILABLE_IN_ALL
gint      dp_map_reduce_default_sorter     (GVariant            *a,
                                            GVariant            *b);

G_END_DECLS
