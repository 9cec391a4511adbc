/* test-run.h: a program run to its end, as a user runs it, with a deadline
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The deadline of test_run_dplaces(), and the one to give test_run() when
 * nothing else fits. */
#define TEST_RUN_MS 60000

/**
 * TestRun:
 * @timed_out: it did not end by its deadline, and was killed
 * @exited: it exited (rather than died of a signal)
 * @status: its exit status, or -1 when it did not exit
 * @seconds: how long it ran
 * @out: (nullable): everything it wrote on its standard output
 * @err: (nullable): everything it wrote on its standard error
 *
 * What [func@test_run] saw of a program.
 */
typedef struct {
  gboolean timed_out;
  gboolean exited;
  gint status;
  gdouble seconds;
  char *out;
  char *err;
} TestRun;

TestRun *test_run               (const char * const *argv,
                                 const char * const *env,
                                 guint               timeout_ms);
TestRun *test_run_in            (const char         *cwd,
                                 const char * const *argv,
                                 const char * const *env,
                                 guint               timeout_ms);
TestRun *test_run_program       (const char         *variable,
                                 const char * const *args,
                                 const char * const *env,
                                 guint               timeout_ms);
TestRun *test_run_dplaces       (const char         *first_arg,
                                 ...) G_GNUC_NULL_TERMINATED;
void     test_run_assert_status (TestRun            *run,
                                 gint                status);
void     test_run_free          (TestRun            *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestRun, test_run_free)

G_END_DECLS
