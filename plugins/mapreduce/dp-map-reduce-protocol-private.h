/* dp-map-reduce-protocol-private.h: what the controller and the worker
 * places say to each other
 *
 * Every request and reply is a tagged tuple whose second item is the
 * job's serial, so a worker kept across map-reduce calls cannot mix up
 * jobs: a reply with another serial is stale and dropped. Tables cross as
 * bare a(KaV) values, so they are written once, from their own buffer.
 *
 * Controller → worker, on the worker's place channel:
 *
 *   ('reset', job)                               (su)       → ('ready', job)
 *   ('map', job, task, value, mapper, combiner,  (suuvssss) → ('mapped', job, task, keys)
 *     reducer, sorter)                                         or ('failed', job, task, why)
 *   ('fetch', job, transfer, host, port, name,   (suusqsss) → ('merged', job, transfer, keys),
 *     reducer, sorter)                                         ('fetch-failed', job, transfer, why)
 *                                                              or ('failed', job, transfer, why)
 *   ('results', job, reducer, sorter)            (suss)     → its table: a(KaV), bare,
 *                                                              or ('failed', job, 0, why)
 *   ('stop', job)                                (su)       the place ends
 *
 * Worker → worker: the receiver connects to the source's named place and
 * sends it one end of a channel pair made for the transfer, so that
 * either side dying shows as the other's get failing — once the source
 * has read from its end; until then the receiver's connection to the
 * source's named place is what fails, and the receiver waits on both:
 *
 *   ('give', job, transfer, reducer, sorter,     (suussh)
 *     channel)
 *
 * then, on that channel — the two merge half the keys each, at once:
 *
 *   receiver → source   ('split', true, key)     (sbv)      keys from KEY on are the source's
 *                                                              to merge (false: none are)
 *   receiver → source   its keys from KEY on     a(KaV)
 *   source → receiver   its keys before KEY      a(KaV)
 *   source → receiver   both's keys from KEY on, a(KaV)
 *                         merged
 *
 * Either may send ('failed', job, transfer, why) instead: its reducer
 * failed; or the source serves another job now (the request's ended,
 * and the next one's reset reached the source first).
 *
 * A table too big for one frame (64 MiB) crosses in chunks: ('chunks',
 * n) — (su) — then n a(KaV) messages, each a run of its entries in order.
 *
 * A worker keeps each task's output as a table of its own and merges
 * them — reducing each key once — when it has many, or when its data is
 * asked for: that is why giving and results name the reducer and sorter.
 * Empty strings stand for absent procedures (no combiner, the default
 * sorter).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define DP_MR_RESET "reset"
#define DP_MR_MAP "map"
#define DP_MR_FETCH "fetch"
#define DP_MR_RESULTS "results"
#define DP_MR_STOP "stop"
#define DP_MR_GIVE "give"

#define DP_MR_READY "ready"
#define DP_MR_MAPPED "mapped"
#define DP_MR_MERGED "merged"
#define DP_MR_FETCH_FAILED "fetch-failed"
#define DP_MR_FAILED "failed"

#define DP_MR_SIMPLE_TYPE "(su)"
#define DP_MR_MAP_TYPE "(suuvssss)"
#define DP_MR_FETCH_TYPE "(suusqsss)"
#define DP_MR_GIVE_TYPE "(suussh)"
#define DP_MR_CHUNKS "chunks"
#define DP_MR_SPLIT "split"
#define DP_MR_SPLIT_TYPE "(sbv)"
#define DP_MR_RESULTS_TYPE "(suss)"
#define DP_MR_DONE_TYPE "(suuu)"
#define DP_MR_FAILED_TYPE "(suus)"
