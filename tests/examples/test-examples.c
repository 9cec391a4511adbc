/* test-examples.c: the single-node examples of the dissertation's Sec. 3.4,
 * through their C API, against serial computations, with the threads and
 * the processes backend:
 *
 *   parallel build (Fig. 3.1)  every job built exactly once, by one of the
 *                              workers, with the value and object code a
 *                              serial compile gives
 *   fork-join (Fig. 3.2)       CGfor + CGBarrier passes over shared
 *                              fxvectors give the serial grid and checksum;
 *                              a place that dies makes fork_join() fail,
 *                              not hang
 *   CGpipeline (Fig. 3.3)      the N×N pipeline gives the serial matrix,
 *                              bit for bit, and the figure's 5×5 values
 *   Mandelbrot (Fig. 3.4)      the shared image is byte-identical to a
 *                              serial one, however the rows are split
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "cg-pipeline.h"
#include "examples-serial.h"
#include "fork-join.h"
#include "fork-join-phases.h"
#include "mandelbrot.h"
#include "parallel-build.h"

/* The tiny compiler the build's workers run. */

static void
assert_calc (const char *source,
             gint64      expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) object = calc_compile (source, &error);
  gint64 value = 0;

  g_assert_no_error (error);
  g_assert_true (calc_run (object, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, expected);
}

static void
assert_calc_error (const char *source,
                   const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) object = calc_compile (source, &error);

  g_assert_null (object);
  g_assert_error (error, DP_ERROR, DP_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, message));
}

static void
test_calc (void)
{
  assert_calc ("1 + 2 * 3", 7);
  assert_calc ("(1 + 2) * 3", 9);
  assert_calc ("10 - 4 - 3", 3);
  assert_calc ("-(2 * 3) + 1", -5);
  assert_calc ("v0 = (3 + 41) * 7;\nv1 = v0 * v0 - 12;\nv1 - v0\n", 308 * 308 - 12 - 308);
  assert_calc ("x = 2; x = x * x; x * x", 16);
  /* 64-bit integers wrap around. */
  assert_calc ("v = 4294967296; v * v + 5", 5);

  assert_calc_error ("1 +", "line 1: expected a number");
  assert_calc_error ("x = 1;\ny + 1", "line 2: “y” is not defined");
  assert_calc_error ("(1 + 2", "expected “)”");
  assert_calc_error ("1 2", "expected the end");
  assert_calc_error ("1 / 2", "unexpected character “/”");
}

/* The jobs are the same every time: the build's input is fixed. */
static void
test_build_jobs_are_fixed (void)
{
  g_autoptr(GPtrArray) first = parallel_build_make_jobs (12);
  g_autoptr(GPtrArray) again = parallel_build_make_jobs (12);

  g_assert_cmpuint (first->len, ==, 12);
  for (guint k = 0; k < first->len; k++)
    {
      BuildJob *a = g_ptr_array_index (first, k), *b = g_ptr_array_index (again, k);
      g_autofree char *name = g_strdup_printf ("job-%03u.calc", k);

      g_assert_cmpstr (a->name, ==, name);
      g_assert_cmpstr (a->source, ==, b->source);
    }
  /* Different jobs have different sources. */
  g_assert_cmpstr (((BuildJob *) first->pdata[0])->source, !=,
                   ((BuildJob *) first->pdata[1])->source);
}

static void
check_build (const char *backend,
             guint       n_workers,
             guint       n_jobs)
{
  g_autoptr(GPtrArray) jobs = parallel_build_make_jobs (n_jobs);
  g_autoptr(GPtrArray) expected = parallel_build_make_jobs (n_jobs);
  g_autoptr(GError) error = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *expected_digest = NULL;

  serial_build (expected);

  g_assert_true (parallel_build_run (jobs, n_workers, backend, &error));
  g_assert_no_error (error);

  for (guint k = 0; k < n_jobs; k++)
    {
      BuildJob *job = g_ptr_array_index (jobs, k);
      BuildJob *want = g_ptr_array_index (expected, k);

      g_assert_cmpuint (job->times_built, ==, 1);
      g_assert_null (job->error);
      g_assert_cmpuint (job->worker, <, n_workers);
      g_assert_cmpint (job->value, ==, want->value);
      g_assert_cmpstr (job->object_checksum, ==, want->object_checksum);
    }

  digest = parallel_build_digest (jobs);
  expected_digest = parallel_build_digest (expected);
  g_assert_cmpstr (digest, ==, expected_digest);
}

static void
test_build (gconstpointer backend)
{
  check_build (backend, 3, 50);
  /* More workers than jobs: some get 'done' at once. */
  check_build (backend, 4, 2);
  /* No jobs at all. */
  check_build (backend, 2, 0);
  /* One worker per processor, as in the figure. */
  check_build (backend, dp_processor_count (), 25);
}

static void
check_phases (const char *backend,
              guint       np,
              guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpSharedVector) grid = NULL;
  g_autofree gint64 *expected_grid = g_new (gint64, (gsize) n * n);
  gint64 expected = serial_phases (expected_grid, n);
  gint64 checksum = -1;

  g_assert_true (fork_join_phases_run (np, n, backend, &checksum, &grid, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checksum, ==, expected);
  g_assert_cmpuint (dp_shared_vector_get_length (grid), ==, (gsize) n * n);
  g_assert_cmpmem (dp_shared_vector_get_fixnums (grid), (gsize) n * n * sizeof (gint64),
                   expected_grid, (gsize) n * n * sizeof (gint64));
}

static void
test_fork_join_phases (gconstpointer backend)
{
  check_phases (backend, 3, 61);
  check_phases (backend, 1, 16);
  /* More places than rows: some pieces are empty, all meet at barriers. */
  check_phases (backend, 5, 3);
  check_phases (backend, dp_processor_count (), 128);
}

static void
test_fork_join_place_dies (gconstpointer backend)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  results = fork_join (3, "test-examples-places", "fork_join_dies_at_barrier", NULL,
                       backend, &error);
  g_assert_null (results);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_assert_nonnull (strstr (error->message, "fork-join place 2"));
}

static void
test_fork_join_no_such_function (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  results = fork_join (2, "test-examples-places", "no_such_place", NULL, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
}

static void
check_pipeline (const char *backend,
                guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autofree gdouble *matrix = cg_pipeline_run (n, backend, &error);
  g_autofree gdouble *expected = serial_pipeline (n);

  g_assert_no_error (error);
  g_assert_nonnull (matrix);
  /* Bit for bit: the same operations in the same order. */
  g_assert_cmpmem (matrix, (gsize) n * n * sizeof (gdouble),
                   expected, (gsize) n * n * sizeof (gdouble));
}

static void
test_pipeline (gconstpointer backend)
{
  g_autoptr(GError) error = NULL;
  g_autofree gdouble *matrix = NULL;

  /* The figure's 5×5: row 0 is 0², (1+0)², (2+1)², (3+9)², (4+144)². */
  matrix = cg_pipeline_run (5, backend, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (matrix[0], ==, 0.0);
  g_assert_cmpfloat (matrix[1], ==, 1.0);
  g_assert_cmpfloat (matrix[2], ==, 9.0);
  g_assert_cmpfloat (matrix[3], ==, 144.0);
  g_assert_cmpfloat (matrix[4], ==, 21904.0);
  g_assert_cmpfloat_with_epsilon (matrix[5], 0.01, 1e-15);

  check_pipeline (backend, 5);
  check_pipeline (backend, 1);
  check_pipeline (backend, 8);
  check_pipeline (backend, 12);   /* the last columns overflow to inf */
}

static void
check_mandelbrot (const char *backend,
                  guint       np,
                  guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpSharedVector) image = mandelbrot_run (np, n, backend, &error);
  g_autofree guint8 *expected = serial_mandelbrot (n);
  g_autoptr(GBytes) pgm = NULL;
  g_autofree char *header = g_strdup_printf ("P5\n%u %u\n255\n", n, n);
  const guint8 *pgm_data;
  gsize pgm_size;

  g_assert_no_error (error);
  g_assert_nonnull (image);
  g_assert_cmpmem (dp_shared_vector_get_bytes (image), (gsize) n * n, expected, (gsize) n * n);

  pgm = mandelbrot_pgm (image, n);
  pgm_data = g_bytes_get_data (pgm, &pgm_size);
  g_assert_cmpuint (pgm_size, ==, strlen (header) + (gsize) n * n);
  g_assert_cmpmem (pgm_data, strlen (header), header, strlen (header));
  g_assert_cmpmem (pgm_data + strlen (header), (gsize) n * n, expected, (gsize) n * n);
}

static void
test_mandelbrot (gconstpointer backend)
{
  check_mandelbrot (backend, 0, 48);
  check_mandelbrot (backend, 3, 65);
  check_mandelbrot (backend, 5, 3);
  check_mandelbrot (backend, 1, 20);
}

/* The picture is a Mandelbrot set: the origin is inside, the corner far
 * outside. */
static void
test_mandelbrot_point (void)
{
  /* x = 2n/3 is re 0; y = n/2 is im 0. */
  g_assert_cmpuint (mandelbrot_point (200, 150, 300), ==, 255);
  g_assert_cmpuint (mandelbrot_point (0, 0, 300), <=, 2);
  g_assert_cmpuint (mandelbrot_point (299, 150, 300), <, 10);
}

int
main (int   argc,
      char *argv[])
{
  static const char *backends[] = { "threads", "processes" };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/examples/parallel-build/calc", test_calc);
  g_test_add_func ("/examples/parallel-build/jobs-are-fixed", test_build_jobs_are_fixed);
  g_test_add_func ("/examples/fork-join/no-such-function", test_fork_join_no_such_function);
  g_test_add_func ("/examples/mandelbrot/point", test_mandelbrot_point);

  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    {
      const char *backend = backends[i];
      g_autofree char *build = g_strdup_printf ("/examples/parallel-build/%s", backend);
      g_autofree char *phases = g_strdup_printf ("/examples/fork-join/phases/%s", backend);
      g_autofree char *dies = g_strdup_printf ("/examples/fork-join/place-dies/%s", backend);
      g_autofree char *pipeline = g_strdup_printf ("/examples/fork-join/pipeline/%s", backend);
      g_autofree char *mandelbrot = g_strdup_printf ("/examples/mandelbrot/%s", backend);

      g_test_add_data_func (build, backend, test_build);
      g_test_add_data_func (phases, backend, test_fork_join_phases);
      g_test_add_data_func (dies, backend, test_fork_join_place_dies);
      g_test_add_data_func (pipeline, backend, test_pipeline);
      g_test_add_data_func (mandelbrot, backend, test_mandelbrot);
    }

  return g_test_run ();
}
