/* test-examples-run.c: the single-node examples of the dissertation's
 * Sec. 3.4 run as a user runs them —
 *
 *   dplaces run data/examples/{parallel-build,fork-join-phases,
 *                              cg-pipeline,mandelbrot}.ini
 *
 * as written (threads) and with 'processes' for the backend in their
 * message, and the C programs with --backend=threads and processes. Each
 * must exit 0 and print exactly what a serial computation predicts; the
 * Mandelbrot's PGM file must be the serial image.
 *
 * $DPLACES_BIN is the host binary, $DP_SOURCE_ROOT the source tree,
 * $DP_EXAMPLE_PROGRAMS the folder of the built programs
 * (tests/examples/meson.build sets them).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib/gstdio.h>

#include "cg-pipeline.h"
#include "examples-serial.h"
#include "fork-join-phases.h"
#include "mandelbrot.h"
#include "parallel-build.h"
#include "test-nodes.h"
#include "test-run.h"
#include "test-sandbox.h"

static char *tmp_dir;

/* Runs @argv in the test's folder and collects all. */
static TestRun *
run_in_tmp_dir (const char * const *argv)
{
  return test_run_in (tmp_dir, argv, NULL, TEST_RUN_MS);
}

/* The example's keyfile, with its message's backend replaced by @backend,
 * copied to the test's folder. */
static char *
keyfile_for (const char *example,
             const char *backend)
{
  g_autofree char *path = g_build_filename (tmp_dir, example, NULL);
  g_autofree char *text = test_read_example (example);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) edited = NULL;
  g_autofree char *quoted = g_strdup_printf ("'%s'", backend);

  edited = g_string_new (text);
  g_assert_nonnull (strstr (edited->str, "'backend': <'threads'>"));
  g_string_replace (edited, "'threads'", quoted, 0);
  g_assert_true (g_file_set_contents (path, edited->str, edited->len, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

static TestRun *
run_keyfile (const char *example,
             const char *backend)
{
  g_autofree char *keyfile = NULL;
  const char *argv[4] = { test_dplaces_bin (), "run", NULL, NULL };

  if (g_str_equal (backend, "threads"))
    /* The file as shipped. */
    keyfile = test_example_path (example);
  else
    keyfile = keyfile_for (example, backend);
  argv[2] = keyfile;

  return run_in_tmp_dir (argv);
}

static TestRun *
run_program (const char *program,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, g_build_filename (test_getenv ("DP_EXAMPLE_PROGRAMS"), program, NULL));
  va_start (args, program);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  return run_in_tmp_dir ((const char * const *) argv->pdata);
}

/* What the examples print, computed serially. */

static char *
expected_build (guint       n_jobs,
                guint       n_workers,
                const char *backend)
{
  g_autoptr(GPtrArray) jobs = parallel_build_make_jobs (n_jobs);
  g_autofree char *digest = NULL;

  serial_build (jobs);
  digest = parallel_build_digest (jobs);

  return g_strdup_printf ("parallel-build: built %u jobs, each exactly once, with %u %s workers; "
                          "results sha256 %s\n", n_jobs, n_workers, backend, digest);
}

static char *
expected_phases (guint       n,
                 guint       np,
                 const char *backend)
{
  g_autofree gint64 *grid = g_new (gint64, (gsize) n * n);
  gint64 checksum = serial_phases (grid, n);

  return g_strdup_printf ("fork-join-phases: 3 passes over a %ux%u grid with %u %s places, "
                          "checksum %" G_GINT64_FORMAT "\n", n, n, np, backend, checksum);
}

static char *
expected_pipeline (guint       n,
                   const char *backend)
{
  g_autofree gdouble *matrix = serial_pipeline (n);
  g_autofree char *text = cg_pipeline_format (matrix, n);

  return g_strdup_printf ("cg-pipeline: %ux%u through %u %s places, one per column:\n%s\n",
                          n, n, n, backend, text);
}

static void
assert_pgm_file (const char *path,
                 guint       n)
{
  g_autofree char *header = g_strdup_printf ("P5\n%u %u\n255\n", n, n);
  g_autofree char *contents = NULL;
  g_autofree guint8 *image = serial_mandelbrot (n);
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, strlen (header) + (gsize) n * n);
  g_assert_cmpmem (contents, strlen (header), header, strlen (header));
  g_assert_cmpmem (contents + strlen (header), (gsize) n * n, image, (gsize) n * n);
  g_assert_cmpint (g_unlink (path), ==, 0);
}

/* The keyfiles. */

static void
test_keyfile_parallel_build (gconstpointer backend)
{
  g_autoptr(TestRun) run = run_keyfile ("parallel-build.ini", backend);
  g_autofree char *expected = expected_build (40, dp_processor_count (), backend);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, expected);
}

static void
test_keyfile_fork_join_phases (gconstpointer backend)
{
  g_autoptr(TestRun) run = run_keyfile ("fork-join-phases.ini", backend);
  g_autofree char *expected = expected_phases (256, dp_processor_count (), backend);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, expected);
}

static void
test_keyfile_cg_pipeline (gconstpointer backend)
{
  g_autoptr(TestRun) run = run_keyfile ("cg-pipeline.ini", backend);
  g_autofree char *expected = expected_pipeline (5, backend);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, expected);
  /* The figure's first row. */
  g_assert_nonnull (strstr (run->out, "\n           0            1            9          144        21904\n"));
}

static void
test_keyfile_mandelbrot (gconstpointer backend)
{
  g_autoptr(TestRun) run = run_keyfile ("mandelbrot.ini", backend);
  g_autofree char *output = g_build_filename (tmp_dir, "mandelbrot.pgm", NULL);
  g_autofree char *expected = g_strdup_printf ("mandelbrot: wrote a 256x256 image to "
                                               "mandelbrot.pgm with %u %s places\n",
                                               dp_processor_count (), (const char *) backend);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, expected);
  assert_pgm_file (output, 256);
}

/* A bad option in the message is named, and the system still ends. */
static void
test_keyfile_bad_option (void)
{
  g_autofree char *keyfile = g_build_filename (tmp_dir, "bad-option.ini", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TestRun) run = NULL;
  const char *argv[] = { test_dplaces_bin (), "run", keyfile, NULL };
  const char *text =
    "[place mandelbrot]\n"
    "module=mandelbrot\n"
    "function=mandelbrot_main\n"
    "\n"
    "[timer main]\n"
    "after-seconds=0\n"
    "put=mandelbrot\n"
    "message={'colour': <'blue'>}\n"
    "print-reply=%s\n"
    "wait=mandelbrot\n";

  g_assert_true (g_file_set_contents (keyfile, text, -1, &error));
  g_assert_no_error (error);
  run = run_in_tmp_dir (argv);
  g_assert_cmpstr (run->out, ==, "mandelbrot: error: Unknown option “colour” "
                                 "(known: backend, places, size, output)\n");
  g_assert_nonnull (strstr (run->err, "Unknown option “colour”"));
}

/* The programs. */

static void
test_program_parallel_build (gconstpointer backend)
{
  g_autofree char *option = g_strdup_printf ("--backend=%s", (const char *) backend);
  g_autoptr(TestRun) run = run_program ("parallel-build", option, "--workers=3", "--jobs=30", NULL);
  g_autofree char *expected = expected_build (30, 3, backend);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, expected);
}

static void
test_program_fork_join_phases (gconstpointer backend)
{
  g_autofree char *option = g_strdup_printf ("--backend=%s", (const char *) backend);
  g_autoptr(TestRun) run = run_program ("fork-join-phases", option, "--places=3", "100", NULL);
  g_autofree char *expected = expected_phases (100, 3, backend);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, expected);
}

static void
test_program_cg_pipeline (gconstpointer backend)
{
  g_autofree char *option = g_strdup_printf ("--backend=%s", (const char *) backend);
  g_autoptr(TestRun) run = run_program ("cg-pipeline", option, "7", NULL);
  g_autofree char *expected = expected_pipeline (7, backend);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, expected);
}

static void
test_program_mandelbrot (gconstpointer backend)
{
  g_autofree char *option = g_strdup_printf ("--backend=%s", (const char *) backend);
  g_autoptr(TestRun) run = run_program ("mandelbrot", option, "--places=3", "97", "m.pgm", NULL);
  g_autofree char *output = g_build_filename (tmp_dir, "m.pgm", NULL);
  g_autofree char *expected = g_strdup_printf ("mandelbrot: wrote a 97x97 image to m.pgm "
                                               "with 3 %s places\n", (const char *) backend);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, expected);
  assert_pgm_file (output, 97);
}

static void
test_program_usage (void)
{
  g_autoptr(TestRun) run = run_program ("mandelbrot", "--places=2", NULL);

  g_assert_cmpint (run->status, ==, 2);
  g_assert_cmpstr (run->out, ==, "");
  g_assert_nonnull (strstr (run->err, "N OUTPUT.pgm"));
}

int
main (int   argc,
      char *argv[])
{
  static const char *backends[] = { "threads", "processes" };
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("dplaces-examples-XXXXXX", &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    {
      const char *backend = backends[i];
      struct {
        const char *name;
        GTestDataFunc func;
      } cases[] = {
        { "keyfile/parallel-build", test_keyfile_parallel_build },
        { "keyfile/fork-join-phases", test_keyfile_fork_join_phases },
        { "keyfile/cg-pipeline", test_keyfile_cg_pipeline },
        { "keyfile/mandelbrot", test_keyfile_mandelbrot },
        { "program/parallel-build", test_program_parallel_build },
        { "program/fork-join-phases", test_program_fork_join_phases },
        { "program/cg-pipeline", test_program_cg_pipeline },
        { "program/mandelbrot", test_program_mandelbrot },
      };

      for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
        {
          g_autofree char *path = g_strdup_printf ("/examples/%s/%s", cases[k].name, backend);

          g_test_add_data_func (path, backend, cases[k].func);
        }
    }
  g_test_add_func ("/examples/keyfile/bad-option", test_keyfile_bad_option);
  g_test_add_func ("/examples/program/usage", test_program_usage);

  status = g_test_run ();

  test_remove_tree (tmp_dir);
  g_free (tmp_dir);

  return status;
}
