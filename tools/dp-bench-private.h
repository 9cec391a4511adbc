/* dp-bench-private.h: what the benchmark scenarios share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <sys/types.h>

#include <json-glib/json-glib.h>

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define SMALL_ROUNDS 4000
#define MIB_ROUNDS 200
#define BULK_MESSAGES 64
#define BATCHES 7
#define MIB (1024 * 1024)

/* The places the benchmarks run live in the dplaces-bench module, found in
 * the plugin directories on every node. */
#define BENCH_MODULE "dplaces-bench"

double    dp_bench_median           (double      *values,
                                     guint        n);
double    dp_bench_time_round_trips (DpChannel   *channel,
                                     GVariant    *message,
                                     guint        rounds,
                                     GError     **error);
double    dp_bench_round_trip_batch (DpChannel   *channel,
                                     GVariant    *message,
                                     guint        rounds,
                                     GError     **error);
GVariant *dp_bench_small_message    (void);
GVariant *dp_bench_mib_message      (void);
void      dp_bench_print_json       (JsonBuilder *builder);
void      dp_bench_add_double       (JsonBuilder *builder,
                                     const char  *name,
                                     double       value);
guint64   dp_bench_next_random      (guint64     *state);

/* The physical reference: raw loopback TCP to another process
 * (dp-bench-raw-tcp.c). */
typedef struct {
  int fd;
  pid_t pid;
  gsize small_size;
} DpBenchRawPeer;

gboolean  dp_bench_raw_peer_start   (DpBenchRawPeer *peer,
                                     gsize           small_size);
void      dp_bench_raw_peer_stop    (DpBenchRawPeer *peer);
double    dp_bench_raw_round_trips  (DpBenchRawPeer *peer,
                                     guint           rounds);
double    dp_bench_raw_mib_transfer (DpBenchRawPeer *peer,
                                     guint           n_mib);

/* The scenarios. */
int       dp_bench_rmpi             (int argc, char **argv);
int       dp_bench_channel          (int          argc,
                                     char       **argv);
int       dp_bench_tcp              (int          argc,
                                     char       **argv);
int       dp_bench_spawn            (int          argc,
                                     char       **argv);
int       dp_bench_rpc              (int          argc,
                                     char       **argv);
int       dp_bench_wordcount        (int          argc,
                                     char       **argv);
int       dp_bench_qsort            (int          argc,
                                     char       **argv);
int       dp_bench_soak             (int          argc,
                                     char       **argv);
int       dp_bench_restart          (int          argc,
                                     char       **argv);

G_END_DECLS
