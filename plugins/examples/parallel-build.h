/* parallel-build.h: the dissertation's parallel build (Fig. 3.1)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

#define PARALLEL_BUILD_MODULE "parallel-build"

G_MODULE_EXPORT void parallel_build_worker (DpChannel *ch);
G_MODULE_EXPORT void parallel_build_main   (DpChannel *ch);

/* A file to compile, and what became of it. */
typedef struct {
  char *name;               /* job-007.calc */
  char *source;
  /* Filled in by the build: */
  guint times_built;        /* 1 when all went well */
  gint64 value;             /* what the compiled program computes */
  char *object_checksum;    /* SHA-256 of the compiled code */
  char *error;              /* why it did not compile, or NULL */
  guint worker;             /* which worker built it */
} BuildJob;

G_GNUC_INTERNAL
GPtrArray *parallel_build_make_jobs (guint        n_jobs);
G_GNUC_INTERNAL
gboolean   parallel_build_run       (GPtrArray   *jobs,
                                     guint        n_workers,
                                     const char  *backend,
                                     GError     **error);
G_GNUC_INTERNAL
char      *parallel_build_digest    (GPtrArray   *jobs);

/* The compiler the workers run: a tiny expression language
 *
 *   v0 = (3 + 41) * 7;
 *   v1 = v0 * v0 - 12;
 *   v1 - v0
 *
 * compiled to stack-machine code, which calc_run() runs (64-bit integers
 * that wrap around). */
G_GNUC_INTERNAL
GBytes    *calc_compile             (const char  *source,
                                     GError     **error);
G_GNUC_INTERNAL
gboolean   calc_run                 (GBytes      *object,
                                     gint64      *out_value,
                                     GError     **error);

G_END_DECLS
