/* test-run.c: a program run to its end, as a user runs it, with a deadline
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdarg.h>

#include "test-common.h"
#include "test-nodes.h"
#include "test-run.h"

typedef struct {
  TestRun *run;
  gboolean done;
  GError *error;
} Communication;

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Communication *communication = data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &communication->run->out,
                                        &communication->run->err, &communication->error);
  communication->done = TRUE;
}

/**
 * test_run_in:
 * @cwd: (nullable): the folder to run it in; %NULL for this process's
 * @argv: the program and its arguments
 * @env: (nullable): NAME, VALUE pairs to set in its environment, then %NULL
 * @timeout_ms: how long it may take, in an ordinary build (a sanitizer
 *   build's deadline is test_timeout_multiplier() times longer)
 *
 * Runs @argv to its end, or kills it at the deadline, and collects what
 * it wrote. Notes how it ended and its output, for the test's log.
 *
 * Returns: (transfer full): what it did
 */
TestRun *
test_run_in (const char         *cwd,
             const char * const *argv,
             const char * const *env,
             guint               timeout_ms)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  TestRun *run = g_new0 (TestRun, 1);
  Communication communication = { run, FALSE, NULL };
  gint64 start;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);

  g_main_context_push_thread_default (context);
  start = g_get_monotonic_time ();
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, &communication);
  if (!test_iterate_until (context, &communication.done,
                           (guint) (test_timeout_multiplier () * timeout_ms)))
    {
      run->timed_out = TRUE;
      g_subprocess_force_exit (process);
      g_assert_true (test_iterate_until (context, &communication.done, TEST_WAIT_USEC / 1000));
    }
  run->seconds = test_seconds_since (start);
  g_main_context_pop_thread_default (context);

  g_assert_no_error (communication.error);
  run->exited = g_subprocess_get_if_exited (process);
  run->status = run->exited ? g_subprocess_get_exit_status (process) : -1;

  test_note ("%s%s%s: %s with status %d after %.3f s", argv[0], argv[1] != NULL ? " " : "",
             argv[1] != NULL ? argv[1] : "", run->timed_out ? "killed" : run->exited ? "exited" : "died",
             run->status, run->seconds);
  if (run->out != NULL && run->out[0] != '\0')
    test_note ("its stdout:\n%s", run->out);
  if (run->err != NULL && run->err[0] != '\0')
    test_note ("its stderr:\n%s", run->err);
  return run;
}

/**
 * test_run:
 * @argv: the program and its arguments
 * @env: (nullable): NAME, VALUE pairs to set in its environment, then %NULL
 * @timeout_ms: how long it may take, in an ordinary build
 *
 * [func@test_run_in] in this process's folder.
 *
 * Returns: (transfer full): what it did
 */
TestRun *
test_run (const char * const *argv,
          const char * const *env,
          guint               timeout_ms)
{
  return test_run_in (NULL, argv, env, timeout_ms);
}

/**
 * test_run_dplaces:
 * @first_arg: the first argument of `dplaces`
 * @...: the others, then %NULL
 *
 * Runs the build's `dplaces` ([func@test_dplaces_bin]) with those
 * arguments, for at most TEST_RUN_MS.
 *
 * Returns: (transfer full): what it did
 */
TestRun *
test_run_dplaces (const char *first_arg,
                  ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) test_dplaces_bin ());
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  return test_run ((const char * const *) argv->pdata, NULL, TEST_RUN_MS);
}

/**
 * test_run_program:
 * @variable: the environment variable naming the program (one of the
 *   build's, which the suite's meson.build sets)
 * @args: (nullable): its arguments, then %NULL
 * @env: (nullable): NAME, VALUE pairs to set in its environment, then %NULL
 * @timeout_ms: how long it may take, in an ordinary build
 *
 * [func@test_run] of the program $@variable.
 *
 * Returns: (transfer full): what it did
 */
TestRun *
test_run_program (const char         *variable,
                  const char * const *args,
                  const char * const *env,
                  guint               timeout_ms)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) test_getenv (variable));
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  return test_run ((const char * const *) argv->pdata, env, timeout_ms);
}

/* Asserts @run ended by itself, exiting with @status. */
void
test_run_assert_status (TestRun *run,
                        gint     status)
{
  g_assert_false (run->timed_out);
  g_assert_true (run->exited);
  g_assert_cmpint (run->status, ==, status);
}

void
test_run_free (TestRun *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}
