/* dplaces-mapreduce.h: MapReduce over distributed places
 *
 * The seeds' racket/place/distributed/map-reduce in C: worker places on
 * nodes (make-map-reduce-workers), and map-reduce with a mapper, a
 * reducer and optional sorter, combiner and outputer, each named by a
 * procedure address `MODULE:SYMBOL`.
 *
 * Link with libdplaces-mapreduce.so, installed in the plugin directory
 * (it is the `mapreduce` service plugin too).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define DPLACES_MAPREDUCE_INSIDE

#include <dplaces/dplaces.h>

#include "dp-map-reduce-macros.h"
#include "dp-map-reduce-procedures.h"
#include "dp-map-reduce-workers.h"
#include "dp-map-reduce-job.h"

#undef DPLACES_MAPREDUCE_INSIDE
