/* test-ndp.c: nested data parallelism over worker places on real nodes
 *
 *   /ndp/qsort/nodes              the dissertation's quicksort by value on
 *                                 3 workers on nodes: duplicates, empty,
 *                                 one element, all equal, sorted, reverse
 *                                 sorted, large; int32 and double arrays
 *   /ndp/qsort/vector/threads     in place on a shared vector, workers in
 *                                 this process: the same cases, and large
 *                                 ones that split over every worker
 *   /ndp/qsort/vector/processes   the same with workers in processes of
 *                                 their own (the vector's memory shared)
 *   /ndp/operations/program       get-node until none, return-node,
 *                                 send-work, get-result from the program;
 *                                 misuse answered with errors; the group
 *                                 as a job of the control plane
 *   /ndp/operations/worker        the same misuse from a worker
 *   /ndp/nested                   work that asks for workers, recursively,
 *                                 and runs here when none is free; nodes
 *                                 a work keeps come back when it ends
 *   /ndp/concurrent               runs from 6 threads of the program at
 *                                 once on 3 workers: each waits for a free
 *                                 worker, each gets its own result
 *   /ndp/errors                   a failing procedure's error comes back
 *                                 whole; unknown modules and symbols
 *   /ndp/worker-killed/node       a worker's node SIGKILLed in the middle
 *                                 of a work: the run fails, naming it; the
 *                                 group goes on with the others
 *   /ndp/worker-killed/nested     the same for a worker doing another's
 *                                 part: its holder's work fails
 *   /ndp/worker-aborts/processes  a worker place that aborts (processes
 *                                 backend), at the top and nested
 *   /ndp/worker-aborts/node       a worker that aborts its node
 *   /ndp/stop                     stopping the group ends a waiting run
 *   /ndp/run/qsort                `dplaces run` of the ndp-qsort example
 *   /ndp/run/map                  `dplaces run` of the ndp-map example
 *   /ndp/run/nodes                [ndp] on the keyfile's nodes, and with
 *                                 local processes workers
 *   /ndp/run/errors               bad [ndp] groups: FILE:LINE and status
 *                                 2; a failing work: status 1
 *   /ndp/program/qsort            the example as a C program
 *   /ndp/program/map              the map example as a C program
 *   /ndp/inspect                  `dplaces inspect ndp` lists the keys
 *
 * Nodes listen on ports the system picks. Nothing sleeps to wait: a
 * blocked worker announces itself through a FIFO, and waits have
 * deadlines. Each test runs in a subprocess of its own (its nodes end
 * with it). The cookie is the tests' own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dplaces/dp-ndp.h>

#include "test-common.h"
#include "test-nodes.h"
#include "test-run.h"
#include "test-sandbox.h"

#define PROCS "ndp-test-procs"
#define QSORT "ndp-qsort:ndp_parallel_qsort"
#define QSORT_VECTOR "ndp-qsort:ndp_parallel_qsort_vector"
#define TEST_COOKIE "dplaces-ndp-tests-0123456789abcdef"
#define SUBPROCESS_USEC (test_timeout_multiplier () * 100 * G_USEC_PER_SEC)

static DpNdpGroup *
start_group_on_nodes (guint       n,
                      const char *backend)
{
  g_autoptr(GError) error = NULL;
  DpNodeOptions options;
  g_auto(GStrv) config = test_local_nodes_config (n, backend, &options);
  DpNdpGroup *group;
  gint64 start = g_get_monotonic_time ();

  group = dp_make_ndp_group ((const char * const *) config, &options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (group);
  g_assert_cmpuint (dp_ndp_group_get_n_workers (group), ==, n);
  g_assert_cmpuint (dp_ndp_group_get_n_alive (group), ==, n);
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, n);
  for (guint i = 1; i <= n; i++)
    g_assert_nonnull (dp_ndp_group_get_worker_node (group, i));
  test_note ("%u workers on nodes started in %.3f s", n, test_seconds_since (start));
  return group;
}

static DpNdpGroup *
start_local_group (guint       n,
                   const char *backend)
{
  g_autoptr(GError) error = NULL;
  DpNdpGroup *group = dp_ndp_group_new_local (n, backend, &error);

  g_assert_no_error (error);
  g_assert_nonnull (group);
  g_assert_cmpuint (dp_ndp_group_get_n_alive (group), ==, n);
  for (guint i = 1; i <= n; i++)
    {
      g_assert_null (dp_ndp_group_get_worker_node (group, i));
      g_assert_nonnull (dp_ndp_group_get_worker_place (group, i));
    }
  return group;
}

/* splitmix64 */
static guint64
next_random (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static int
compare_int64 (const void *a,
               const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

typedef struct {
  const char *name;
  GArray *values;     /* gint64 */
} Case;

static void
case_clear (Case *c)
{
  g_array_unref (c->values);
}

/* The acceptance's cases, and @large random numbers with duplicates. */
static GArray *
make_cases (gsize large)
{
  GArray *cases = g_array_new (FALSE, FALSE, sizeof (Case));
  static const gint64 seeds[] = { 9128, 3, 7, 46, 5, 10 };
  static const gint64 duplicates[] = { 5, 3, 5, 1, 3, 5, 9, 1, 1, 0, 5, -2, 3 };
  guint64 state = 7;
  Case c;

  g_array_set_clear_func (cases, (GDestroyNotify) case_clear);

#define ADD(label, ...) \
  G_STMT_START { \
    c.name = label; \
    c.values = g_array_new (FALSE, FALSE, sizeof (gint64)); \
    __VA_ARGS__; \
    g_array_append_val (cases, c); \
  } G_STMT_END

  ADD ("the dissertation's", g_array_append_vals (c.values, seeds, G_N_ELEMENTS (seeds)));
  ADD ("duplicates", g_array_append_vals (c.values, duplicates, G_N_ELEMENTS (duplicates)));
  ADD ("empty", (void) 0);
  ADD ("one element", { gint64 x = 42; g_array_append_val (c.values, x); });
  ADD ("two elements", { gint64 x[] = { 2, 1 }; g_array_append_vals (c.values, x, 2); });
  ADD ("all equal", for (guint i = 0; i < 5000; i++) { gint64 x = 7; g_array_append_val (c.values, x); });
  ADD ("already sorted", for (gint64 i = 0; i < 20000; i++) g_array_append_val (c.values, i));
  ADD ("reverse sorted", for (gint64 i = 20000; i > 0; i--) g_array_append_val (c.values, i));
  ADD ("extremes", { gint64 x[] = { G_MAXINT64, G_MININT64, 0, -1, G_MAXINT64, G_MININT64 };
                     g_array_append_vals (c.values, x, G_N_ELEMENTS (x)); });
  ADD ("large, random, with duplicates",
       for (gsize i = 0; i < large; i++) { gint64 x = (gint64) (next_random (&state) % (large / 4 + 1)) - (gint64) (large / 8);
                                           g_array_append_val (c.values, x); });
  ADD ("large, random",
       for (gsize i = 0; i < large; i++) { gint64 x = (gint64) next_random (&state); g_array_append_val (c.values, x); });
  ADD ("large, sorted", for (gsize i = 0; i < large; i++) { gint64 x = i / 3; g_array_append_val (c.values, x); });
  ADD ("large, reverse sorted", for (gsize i = large; i > 0; i--) { gint64 x = i; g_array_append_val (c.values, x); });
#undef ADD
  return cases;
}

/* @sorted is @input sorted: the same numbers (a permutation), in order. */
static void
assert_sorted_permutation (const char   *name,
                           const gint64 *input,
                           const gint64 *sorted,
                           gsize         n_input,
                           gsize         n_sorted)
{
  g_autofree gint64 *expected = g_memdup2 (input, MAX (n_input, 1) * sizeof (gint64));

  g_assert_cmpuint (n_sorted, ==, n_input);
  for (gsize i = 1; i < n_sorted; i++)
    if (sorted[i - 1] > sorted[i])
      g_error ("%s: not sorted at %" G_GSIZE_FORMAT ": %" G_GINT64_FORMAT " > %" G_GINT64_FORMAT,
               name, i, sorted[i - 1], sorted[i]);
  if (n_input > 0)
    qsort (expected, n_input, sizeof (gint64), compare_int64);
  if (n_input > 0 && memcmp (expected, sorted, n_input * sizeof (gint64)) != 0)
    g_error ("%s: sorted, but not a permutation of the input", name);
}

/* ── 1. the quicksort by value, on nodes ──────────────────────────── */

static void
test_qsort_nodes (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GArray) cases = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  group = start_group_on_nodes (3, NULL);
  cases = make_cases (100000);
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = &g_array_index (cases, Case, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) sorted = NULL;
      const gint64 *result;
      gsize n;
      gint64 start = g_get_monotonic_time ();

      sorted = dp_ndp_run (group, QSORT,
                           g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, c->values->data, c->values->len,
                                                      sizeof (gint64)),
                           &error);
      g_assert_no_error (error);
      g_assert_true (g_variant_is_of_type (sorted, G_VARIANT_TYPE ("ax")));
      result = g_variant_get_fixed_array (sorted, &n, sizeof (gint64));
      assert_sorted_permutation (c->name, (const gint64 *) c->values->data, result, c->values->len, n);
      test_note ("%s (%u): %.1f ms", c->name, c->values->len, (g_get_monotonic_time () - start) / 1e3);
      g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 3);
    }

  /* Other number types: int32, and doubles with a NaN (last). */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ints = dp_ndp_run (group, QSORT, g_variant_new_parsed ("[3, -1, 2, 2, 0]"), &error);
    g_autoptr(GVariant) doubles = NULL;
    g_autofree char *text = NULL;

    g_assert_no_error (error);
    text = g_variant_print (ints, TRUE);
    g_assert_cmpstr (text, ==, "[-1, 0, 2, 2, 3]");
    g_clear_pointer (&text, g_free);
    doubles = dp_ndp_run (group, QSORT, g_variant_new_parsed ("[2.5, nan, -1.0, 2.5, 0.0]"), &error);
    g_assert_no_error (error);
    text = g_variant_print (doubles, FALSE);
    g_assert_cmpstr (text, ==, "[-1.0, 0.0, 2.5, 2.5, nan]");
  }
}

/* ── 2. in place on a shared vector ───────────────────────────────── */

static void
run_vector_cases (const char *backend,
                  gsize       large)
{
  g_autoptr(DpNdpGroup) group = start_local_group (3, backend);
  g_autoptr(GArray) cases = make_cases (large);
  guint32 most_handoffs = 0;

  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = &g_array_index (cases, Case, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(DpSharedVector) vector = dp_make_shared_fxvector (c->values->len, 0, &error);
      g_autoptr(GVariant) handoffs = NULL;
      gint64 start = g_get_monotonic_time ();

      g_assert_no_error (error);
      if (c->values->len > 0)
        memcpy (dp_shared_vector_get_fixnums (vector), c->values->data, c->values->len * sizeof (gint64));
      handoffs = dp_ndp_run (group, QSORT_VECTOR,
                             g_variant_new ("(@htt)", dp_shared_vector_to_variant (vector), (guint64) 0,
                                            (guint64) c->values->len),
                             &error);
      g_assert_no_error (error);
      g_assert_true (g_variant_is_of_type (handoffs, G_VARIANT_TYPE_UINT32));
      assert_sorted_permutation (c->name, (const gint64 *) c->values->data,
                                 c->values->len > 0 ? dp_shared_vector_get_fixnums (vector) : NULL,
                                 c->values->len, c->values->len);
      test_note ("%s (%u): %.1f ms, %u parts to other workers", c->name, c->values->len,
                 (g_get_monotonic_time () - start) / 1e3, g_variant_get_uint32 (handoffs));
      most_handoffs = MAX (most_handoffs, g_variant_get_uint32 (handoffs));
      g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 3);
    }
  /* The large ones went to every worker: two other than the first. */
  g_assert_cmpuint (most_handoffs, >=, 2);

  /* A range of a vector: the rest is untouched. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DpSharedVector) vector = dp_make_shared_fxvector (8, 0, &error);
    g_autoptr(GVariant) result = NULL;
    const gint64 before[] = { 9, 8, 7, 6, 5, 4, 3, 2 }, after[] = { 9, 8, 4, 5, 6, 7, 3, 2 };

    memcpy (dp_shared_vector_get_fixnums (vector), before, sizeof before);
    result = dp_ndp_run (group, QSORT_VECTOR,
                         g_variant_new ("(@htt)", dp_shared_vector_to_variant (vector), (guint64) 2, (guint64) 4),
                         &error);
    g_assert_no_error (error);
    g_assert_cmpmem (dp_shared_vector_get_fixnums (vector), sizeof after, after, sizeof after);

    /* Out of range: an error, nothing touched. */
    g_clear_pointer (&result, g_variant_unref);
    result = dp_ndp_run (group, QSORT_VECTOR,
                         g_variant_new ("(@htt)", dp_shared_vector_to_variant (vector), (guint64) 6, (guint64) 4),
                         &error);
    g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
    g_assert_null (result);
  }
}

static void
test_qsort_vector_threads (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;
  run_vector_cases (NULL, 1000000);
}

static void
test_qsort_vector_processes (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;
  run_vector_cases ("processes", 500000);
}

/* ── 3. the operations ───────────────────────────────────────────── */

static void
test_operations (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  guint a, b, c;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  group = start_group_on_nodes (2, NULL);
  g_assert_false (dp_ndp_group_is_worker (group));
  g_assert_cmpuint (dp_ndp_group_get_node_id (group), ==, 0);
  g_assert_cmpstr (dp_ndp_group_get_worker_name (group, 2), ==, "ndpw2");

  /* The first free, then the next, then none (the seeds' #f). */
  a = dp_ndp_get_node (group, &error);
  g_assert_no_error (error);
  b = dp_ndp_get_node (group, &error);
  g_assert_no_error (error);
  c = dp_ndp_get_node (group, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a, ==, 1);
  g_assert_cmpuint (b, ==, 2);
  g_assert_cmpuint (c, ==, DP_NDP_NO_NODE);
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 0);

  /* Work and its result, on each. */
  g_assert_true (dp_ndp_send_work (group, a, PROCS ":whoami_proc", g_variant_new ("()"), &error));
  g_assert_no_error (error);
  g_assert_true (dp_ndp_send_work (group, b, PROCS ":echo_proc", g_variant_new_string ("hello"), &error));
  g_assert_no_error (error);
  value = dp_ndp_get_result (group, b, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "hello");
  g_clear_pointer (&value, g_variant_unref);
  value = dp_ndp_get_result (group, a, &error);
  g_assert_no_error (error);
  {
    guint32 id;
    gint32 pid;

    g_variant_get (value, "(ui)", &id, &pid);
    g_assert_cmpuint (id, ==, a);
    /* It ran in its node's process. */
    g_assert_cmpint (pid, ==, dp_spawned_process_get_pid (dp_remote_node_get_process (
                                dp_ndp_group_get_worker_node (group, a))));
  }
  g_clear_pointer (&value, g_variant_unref);

  /* Misuse: a result taken already, work to a node not held, a node
   * that does not exist, work twice. */
  g_assert_null (dp_ndp_get_result (group, a, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  test_note ("%s", error->message);
  g_clear_error (&error);
  g_assert_true (dp_ndp_return_node (group, a, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 1);
  g_assert_false (dp_ndp_send_work (group, a, PROCS ":echo_proc", g_variant_new_int32 (1), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  g_assert_nonnull (strstr (error->message, "not yours"));
  g_clear_error (&error);
  g_assert_false (dp_ndp_send_work (group, 7, PROCS ":echo_proc", g_variant_new_int32 (1), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  g_assert_nonnull (strstr (error->message, "no node 7"));
  g_clear_error (&error);
  g_assert_false (dp_ndp_return_node (group, a, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  g_clear_error (&error);
  g_assert_true (dp_ndp_send_work (group, b, PROCS ":echo_proc", g_variant_new_int32 (1), &error));
  g_assert_false (dp_ndp_send_work (group, b, PROCS ":echo_proc", g_variant_new_int32 (2), &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  g_clear_error (&error);

  /* Given back before its result: the work finishes, the result goes,
   * and the node is free again — a run, with the other node held, waits
   * for it. */
  g_assert_true (dp_ndp_return_node (group, b, &error));
  g_assert_no_error (error);
  a = dp_ndp_get_node (group, &error);
  g_assert_cmpuint (a, ==, 1);
  value = dp_ndp_run (group, PROCS ":whoami_proc", g_variant_new ("()"), &error);
  g_assert_no_error (error);
  {
    guint32 id;
    gint32 pid;

    g_variant_get (value, "(ui)", &id, &pid);
    g_assert_cmpuint (id, ==, b);
  }
  g_clear_pointer (&value, g_variant_unref);
  g_assert_true (dp_ndp_return_node (group, a, &error));
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 2);

  /* The control plane sees the group as a job. */
  {
    g_autoptr(GVariant) jobs = dp_monitor_dup_jobs (dp_monitor_get_default ());
    GVariantIter iter;
    GVariant *job;
    guint found = 0;

    g_variant_iter_init (&iter, jobs);
    while ((job = g_variant_iter_next_value (&iter)) != NULL)
      {
        g_autoptr(GVariant) owned = job;
        const char *framework = NULL, *state = NULL;
        guint64 done = 0, total = 0;
        guint32 workers = 0, alive = 0;

        g_variant_lookup (job, "framework", "&s", &framework);
        if (g_strcmp0 (framework, "ndp") != 0)
          continue;
        found++;
        g_assert_true (g_variant_lookup (job, "state", "&s", &state));
        g_assert_true (g_variant_lookup (job, "done", "t", &done));
        g_assert_true (g_variant_lookup (job, "total", "t", &total));
        g_assert_true (g_variant_lookup (job, "workers", "u", &workers));
        g_assert_true (g_variant_lookup (job, "alive", "u", &alive));
        g_assert_cmpstr (state, ==, "ready");
        g_assert_cmpuint (total, ==, 4);     /* whoami, echo, echo, whoami */
        g_assert_cmpuint (done, ==, 4);
        g_assert_cmpuint (workers, ==, 2);
        g_assert_cmpuint (alive, ==, 2);
      }
    g_assert_cmpuint (found, ==, 1);
  }
}

static void
test_operations_worker (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) messages = NULL;
  g_autofree const char **strv = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  group = start_local_group (3, NULL);
  messages = dp_ndp_run (group, PROCS ":misuse_proc", g_variant_new ("()"), &error);
  g_assert_no_error (error);
  strv = g_variant_get_strv (messages, NULL);
  for (guint i = 0; strv[i] != NULL; i++)
    test_note ("%s", strv[i]);
  g_assert_cmpuint (g_strv_length ((char **) strv), ==, 5);
  g_assert_nonnull (strstr (strv[0], "ndp-send-work: node 2 (ndpw2) is not yours"));
  g_assert_nonnull (strstr (strv[1], "ndp-get-result: no work was sent to node 2"));
  g_assert_nonnull (strstr (strv[2], "has work already"));
  g_assert_cmpstr (strv[3], ==, "result 2");
  g_assert_nonnull (strstr (strv[4], "no node 99"));
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 3);
}

/* ── 4. nested work ──────────────────────────────────────────────── */

static void
test_nested (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  guint32 leaves, sent;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  group = start_group_on_nodes (4, NULL);

  /* 2⁶ leaves, wherever they ran; some parts went to other workers (how
   * many depends on who is free when: at least the first). */
  value = dp_ndp_run (group, PROCS ":tree_proc", g_variant_new_uint32 (6), &error);
  g_assert_no_error (error);
  g_variant_get (value, "(uu)", &leaves, &sent);
  test_note ("64 leaves: %u parts went to other workers", sent);
  g_assert_cmpuint (leaves, ==, 64);
  g_assert_cmpuint (sent, >=, 1);
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 4);
  g_clear_pointer (&value, g_variant_unref);

  /* A work that keeps every node it gets: they come back when it ends. */
  value = dp_ndp_run (group, PROCS ":hold_all_proc", g_variant_new ("()"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_get_uint32 (value), ==, 3);
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 4);
  g_clear_pointer (&value, g_variant_unref);

  /* Work inside work: whoami two levels down. */
  value = dp_ndp_run (group, PROCS ":nested_proc",
                      g_variant_new_parsed ("('ndp-test-procs:nested_proc', <('ndp-test-procs:whoami_proc', <()>)>)"),
                      &error);
  g_assert_no_error (error);
  {
    guint32 id;
    gint32 pid;

    g_variant_get (value, "(ui)", &id, &pid);
    g_assert_cmpuint (id, ==, 3);
  }
}

typedef struct {
  DpNdpGroup *group;
  guint index;
  gboolean ok;
} Concurrent;

static gpointer
concurrent_thread (gpointer data)
{
  Concurrent *c = data;
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GVariant) sorted = NULL;
  g_autoptr(GError) error = NULL;
  guint64 state = c->index;
  const gint64 *result;
  gsize n;

  for (guint i = 0; i < 20000 + c->index; i++)
    {
      gint64 x = (gint64) (next_random (&state) % 1000);
      g_array_append_val (values, x);
    }
  sorted = dp_ndp_run (c->group, QSORT,
                       g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, values->data, values->len, sizeof (gint64)),
                       &error);
  g_assert_no_error (error);
  result = g_variant_get_fixed_array (sorted, &n, sizeof (gint64));
  assert_sorted_permutation ("concurrent", (const gint64 *) values->data, result, values->len, n);
  c->ok = TRUE;
  return NULL;
}

static void
test_concurrent (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  Concurrent runs[6];
  GThread *threads[6];

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  group = start_local_group (3, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      runs[i] = (Concurrent) { group, i, FALSE };
      threads[i] = g_thread_new ("concurrent", concurrent_thread, &runs[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_thread_join (threads[i]);
      g_assert_true (runs[i].ok);
    }
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 3);
}

/* ── 5. errors ───────────────────────────────────────────────────── */

static void
test_errors (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  group = start_group_on_nodes (2, NULL);

  value = dp_ndp_run (group, PROCS ":failing_proc", g_variant_new ("()"), &error);
  g_assert_null (value);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (error->message, ==, "ndpw1: ndp-test-procs:failing_proc: no luck");
  g_clear_error (&error);

  /* Nested: both workers name themselves. */
  value = dp_ndp_run (group, PROCS ":nested_proc", g_variant_new_parsed ("('ndp-test-procs:failing_proc', <()>)"),
                      &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (error->message, ==,
                   "ndpw1: ndp-test-procs:nested_proc: ndpw2: ndp-test-procs:failing_proc: no luck");
  g_clear_error (&error);

  value = dp_ndp_run (group, "no-such-module:f", g_variant_new ("()"), &error);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  test_note ("%s", error->message);
  g_clear_error (&error);
  value = dp_ndp_run (group, PROCS ":no_such_symbol", g_variant_new ("()"), &error);
  g_assert_error (error, DP_ERROR, DP_ERROR_NOT_FOUND);
  g_clear_error (&error);
  value = dp_ndp_run (group, "no-colon", g_variant_new ("()"), &error);
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  g_clear_error (&error);
  value = dp_ndp_run (group, QSORT, g_variant_new_string ("not numbers"), &error);
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  g_clear_error (&error);

  /* The workers serve on. */
  value = dp_ndp_run (group, PROCS ":echo_proc", g_variant_new_int32 (7), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (value), ==, 7);
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 2);
}

/* ── 6. workers that die ─────────────────────────────────────────── */

typedef struct {
  DpNdpGroup *group;
  const char *procedure;
  GVariant *data;
  GAsyncQueue *done;
} Runner;

typedef struct {
  GVariant *value;
  GError *error;
} Outcome;

static gpointer
run_thread (gpointer data)
{
  Runner *runner = data;
  Outcome *outcome = g_new0 (Outcome, 1);

  outcome->value = dp_ndp_run (runner->group, runner->procedure, runner->data, &outcome->error);
  g_async_queue_push (runner->done, outcome);
  return NULL;
}

/* Runs @procedure in a thread of its own; its outcome arrives on @done. */
static GThread *
run_in_thread (Runner     *runner,
               DpNdpGroup *group,
               const char *procedure,
               GVariant   *data)
{
  runner->group = group;
  runner->procedure = procedure;
  runner->data = g_variant_ref_sink (data);
  runner->done = g_async_queue_new ();
  return g_thread_new ("runner", run_thread, runner);
}

static Outcome *
wait_outcome (Runner *runner)
{
  Outcome *outcome = g_async_queue_timeout_pop (runner->done, TEST_WAIT_USEC);

  g_assert_nonnull (outcome);    /* no hang */
  return outcome;
}

static void
runner_clear (Runner  *runner,
              GThread *thread)
{
  g_thread_join (thread);
  g_variant_unref (runner->data);
  g_async_queue_unref (runner->done);
}

static void
outcome_free (Outcome *outcome)
{
  g_clear_pointer (&outcome->value, g_variant_unref);
  g_clear_error (&outcome->error);
  g_free (outcome);
}

/* Which worker's node has process @pid; 0 if none. */
static guint
worker_of_pid (DpNdpGroup *group,
               GPid        pid)
{
  for (guint i = 1; i <= dp_ndp_group_get_n_workers (group); i++)
    {
      DpRemoteNode *node = dp_ndp_group_get_worker_node (group, i);

      if (node != NULL && dp_spawned_process_get_pid (dp_remote_node_get_process (node)) == pid)
        return i;
    }
  return 0;
}

static void
assert_group_serves (DpNdpGroup *group,
                     guint       n_alive)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  g_assert_cmpuint (dp_ndp_group_get_n_alive (group), ==, n_alive);
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, n_alive);
  value = dp_ndp_run (group, PROCS ":echo_proc", g_variant_new_string ("still here"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "still here");
}

static void
test_worker_killed_node (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autofree char *fifo = NULL;
  Runner runner;
  GThread *thread;
  Outcome *outcome;
  GPid pid;
  gint64 killed;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  fifo = test_make_fifo ("fifo-node");
  group = start_group_on_nodes (2, NULL);
  thread = run_in_thread (&runner, group, PROCS ":blocking_proc", g_variant_new_string (fifo));
  pid = test_read_pid (fifo);
  g_assert_cmpuint (worker_of_pid (group, pid), ==, 1);
  test_note ("killing node process %d in the middle of a work", (int) pid);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  killed = g_get_monotonic_time ();

  outcome = wait_outcome (&runner);
  test_note ("the run ended %.3f s after the kill: %s", test_seconds_since (killed),
             outcome->error != NULL ? outcome->error->message : "no error");
  g_assert_null (outcome->value);
  g_assert_error (outcome->error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_assert_nonnull (strstr (outcome->error->message, "ndp worker ndpw1"));
  g_assert_nonnull (strstr (outcome->error->message, "SIGKILL"));
  outcome_free (outcome);
  runner_clear (&runner, thread);

  assert_group_serves (group, 1);
}

static void
test_worker_killed_nested (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autofree char *fifo = NULL;
  Runner runner;
  GThread *thread;
  Outcome *outcome;
  GPid pid;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  fifo = test_make_fifo ("fifo-nested");
  group = start_group_on_nodes (3, NULL);
  /* Worker 1 gives worker 2 the blocking part and waits for it. */
  thread = run_in_thread (&runner, group, PROCS ":nested_proc",
                          g_variant_new ("(sv)", PROCS ":blocking_proc", g_variant_new_string (fifo)));
  pid = test_read_pid (fifo);
  g_assert_cmpuint (worker_of_pid (group, pid), ==, 2);
  g_assert_cmpuint (dp_ndp_group_get_n_free (group), ==, 1);
  test_note ("killing worker 2's node, process %d", (int) pid);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);

  outcome = wait_outcome (&runner);
  test_note ("%s", outcome->error != NULL ? outcome->error->message : "no error");
  g_assert_error (outcome->error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_assert_true (g_str_has_prefix (outcome->error->message, "ndpw1: ndp-test-procs:nested_proc: "));
  g_assert_nonnull (strstr (outcome->error->message, "ndp worker ndpw2"));
  outcome_free (outcome);
  runner_clear (&runner, thread);

  assert_group_serves (group, 2);
}

static void
test_worker_aborts_processes (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  /* The aborts are logged as warnings: expected here. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  group = start_local_group (3, "processes");

  value = dp_ndp_run (group, PROCS ":aborting_proc", g_variant_new ("()"), &error);
  g_assert_null (value);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  test_note ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "ndp worker ndpw1"));
  g_assert_nonnull (strstr (error->message, "SIGABRT"));
  g_clear_error (&error);
  g_assert_cmpuint (dp_ndp_group_get_n_alive (group), ==, 2);

  /* Nested: worker 2 gives worker 3 the aborting part. */
  value = dp_ndp_run (group, PROCS ":nested_proc", g_variant_new_parsed ("('ndp-test-procs:aborting_proc', <()>)"),
                      &error);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  test_note ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "ndpw2: ndp-test-procs:nested_proc: "));
  g_assert_nonnull (strstr (error->message, "ndp worker ndpw3"));
  g_clear_error (&error);

  assert_group_serves (group, 1);
}

static void
test_worker_aborts_node (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  group = start_group_on_nodes (2, NULL);
  value = dp_ndp_run (group, PROCS ":aborting_proc", g_variant_new ("()"), &error);
  g_assert_null (value);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  test_note ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "ndp worker ndpw1"));
  g_clear_error (&error);

  assert_group_serves (group, 1);

  /* With no worker left, a run fails at once. */
  value = dp_ndp_run (group, PROCS ":aborting_proc", g_variant_new ("()"), &error);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_clear_error (&error);
  value = dp_ndp_run (group, PROCS ":echo_proc", g_variant_new ("()"), &error);
  g_assert_error (error, DP_ERROR, DP_ERROR_PEER_DIED);
  g_assert_cmpstr (error->message, ==, "ndp: every worker of the group died");
}

static void
test_stop (void)
{
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fifo = NULL;
  Runner runner;
  GThread *thread;
  Outcome *outcome;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  fifo = test_make_fifo ("fifo-stop");
  group = start_group_on_nodes (1, NULL);
  thread = run_in_thread (&runner, group, PROCS ":blocking_proc", g_variant_new_string (fifo));
  test_read_pid (fifo);
  dp_ndp_group_stop (group);

  outcome = wait_outcome (&runner);
  g_assert_error (outcome->error, DP_ERROR, DP_ERROR_CLOSED);
  outcome_free (outcome);
  runner_clear (&runner, thread);

  g_assert_cmpuint (dp_ndp_get_node (group, &error), ==, DP_NDP_NO_NODE);
  g_assert_error (error, DP_ERROR, DP_ERROR_CLOSED);
}

/* ── 7. keyfiles, programs, inspect ──────────────────────────────── */

/* `dplaces run` of the example @name, with the tests' cookie, prints
 * @expected. */
static void
assert_example_prints (const char *name,
                       const char *expected)
{
  g_autofree char *text = test_read_example (name);
  g_autoptr(TestRun) run = test_run_keyfile (name, text);

  test_run_assert_status (run, 0);
  g_assert_cmpstr (run->out, ==, expected);
}

static void
test_run_qsort (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  assert_example_prints ("ndp-qsort.ini", "[3, 5, 7, 10, 46, 9128]\n");
}

static void
test_run_map (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  assert_example_prints ("ndp-map.ini", "[1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144]\n");
}

static void
test_run_nodes (void)
{
  const char *nodes =
    "[node a]\nhost=localhost\nlisten-port=0\n\n"
    "[node b]\nhost=localhost\nlisten-port=0\n\n"
    "[ndp]\n"
    "nodes=a;b\n"
    "module=ndp-qsort\n"
    "procedure=ndp_parallel_qsort\n"
    "data=[5, 1, 4, 1, 5, 9, 2, 6]\n"
    "print-result=true\n";
  const char *local =
    "[ndp]\n"
    "local-workers=2\n"
    "backend=processes\n"
    "procedure=" PROCS ":nested_proc\n"
    "data=('" PROCS ":whoami_proc', <()>)\n"
    "print-result=true\n";
  g_autoptr(TestRun) run = NULL;
  guint32 id;
  gint32 pid;
  g_autoptr(GVariant) value = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  run = test_run_keyfile ("nodes.ini", nodes);
  test_run_assert_status (run, 0);
  g_assert_cmpstr (run->out, ==, "[1, 1, 2, 4, 5, 5, 6, 9]\n");
  g_clear_pointer (&run, test_run_free);

  /* Worker 2 ran it, in a process of its own. */
  run = test_run_keyfile ("local.ini", local);
  test_run_assert_status (run, 0);
  value = g_variant_parse (G_VARIANT_TYPE ("(ui)"), run->out, NULL, NULL, NULL);
  g_assert_nonnull (value);
  g_variant_get (value, "(ui)", &id, &pid);
  g_assert_cmpuint (id, ==, 2);
  g_assert_cmpint (pid, !=, getpid ());
}

static void
test_run_errors (void)
{
  static const TestKeyfileCase cases[] = {
    { "[ndp]\nworkers=localhost:0\ndata=[1]\n", 2, { "errors.ini:", "[ndp]", "procedure=" } },
    { "[ndp]\nworkers=localhost:0\nprocedure=ndp_parallel_qsort\n", 2,
      { "[ndp]", "procedure= (line 6)", "module=" } },
    { "[ndp]\nprocedure=ndp-qsort:ndp_parallel_qsort\n", 2, { "[ndp]", "no workers", NULL } },
    { "[ndp]\nlocal-workers=2\nworkers=localhost:0\nprocedure=ndp-qsort:ndp_parallel_qsort\n", 2,
      { "[ndp]", "one of workers=", NULL } },
    { "[ndp]\nlocal-workers=1\nprocedure=ndp-qsort:ndp_parallel_qsort\ndata=[1, 2\n", 2,
      { "[ndp]", "data= (line 7)", NULL } },
    { "[ndp]\nnodes=nowhere\nprocedure=ndp-qsort:ndp_parallel_qsort\n", 2, { "[ndp]", "no [node nowhere]", NULL } },
    { "[ndp]\nlocal-workers=1\nprocedure=ndp-qsort:ndp_parallel_qsort\nno-such-key=1\n", 2,
      { "errors.ini:", "no-such-key", NULL } },
    { "[ndp]\nlocal-workers=1\nprocedure=" PROCS ":failing_proc\n", 1, { "the work failed", "no luck", NULL } },
  };

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  test_run_keyfile_cases ("errors.ini", cases, G_N_ELEMENTS (cases));
}

/* Runs an example program with the tests' cookie file: it must succeed. */
static char *
run_program (const char         *variable,
             const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(TestRun) run = NULL;

  g_ptr_array_add (argv, "--cookie-file");
  g_ptr_array_add (argv, (gpointer) test_sandbox_cookie_file ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  run = test_run_program (variable, (const char * const *) argv->pdata, NULL, TEST_RUN_MS);
  test_run_assert_status (run, 0);
  return g_steal_pointer (&run->out);
}

static void
test_program_qsort (void)
{
  const char *seeds[] = { NULL };
  const char *numbers[] = { "--workers", "3", "--", "4", "-1", "4", "0", "12", "-7", "4", NULL };
  const char *local[] = { "--local", "--backend", "processes", "--", "3", "2", "1", NULL };
  g_autofree char *out = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  out = run_program ("DP_NDP_QSORT_PROGRAM", seeds);
  g_assert_cmpstr (out, ==, "[3, 5, 7, 10, 46, 9128]\n");
  g_free (out);
  out = run_program ("DP_NDP_QSORT_PROGRAM", numbers);
  g_assert_cmpstr (out, ==, "[-7, -1, 0, 4, 4, 4, 12]\n");
  g_free (out);
  out = run_program ("DP_NDP_QSORT_PROGRAM", local);
  g_assert_cmpstr (out, ==, "[1, 2, 3]\n");
}

static void
test_program_map (void)
{
  const char *args[] = { "--count", "30000", NULL };
  const char *local[] = { "--local", "--workers", "3", "--count", "30000", NULL };
  g_autofree char *out = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  out = run_program ("DP_NDP_MAP_PROGRAM", args);
  g_assert_nonnull (strstr (out, "the most steps, 307, from 26623; the same as a map here"));
  g_free (out);
  out = run_program ("DP_NDP_MAP_PROGRAM", local);
  g_assert_nonnull (strstr (out, "the most steps, 307, from 26623; the same as a map here"));
}

static void
test_inspect (void)
{
  const char *keys[] = { "workers", "nodes", "local-workers", "backend", "module", "procedure", "data",
                         "print-result" };
  g_autoptr(TestRun) run = test_run_dplaces ("inspect", "ndp", NULL);
  const char *out = run->out;

  test_run_assert_status (run, 0);
  g_assert_nonnull (strstr (out, "dplaces-service"));
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *line = g_strdup_printf ("\n    %s ", keys[i]);

      if (strstr (out, line) == NULL)
        g_error ("key %s not listed:\n%s", keys[i], out);
    }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Nothing here may reach for the user's cookie. */
  test_sandbox_init ("dplaces-ndp", TEST_COOKIE);

  g_test_add_func ("/ndp/qsort/nodes", test_qsort_nodes);
  g_test_add_func ("/ndp/qsort/vector/threads", test_qsort_vector_threads);
  g_test_add_func ("/ndp/qsort/vector/processes", test_qsort_vector_processes);
  g_test_add_func ("/ndp/operations/program", test_operations);
  g_test_add_func ("/ndp/operations/worker", test_operations_worker);
  g_test_add_func ("/ndp/nested", test_nested);
  g_test_add_func ("/ndp/concurrent", test_concurrent);
  g_test_add_func ("/ndp/errors", test_errors);
  g_test_add_func ("/ndp/worker-killed/node", test_worker_killed_node);
  g_test_add_func ("/ndp/worker-killed/nested", test_worker_killed_nested);
  g_test_add_func ("/ndp/worker-aborts/processes", test_worker_aborts_processes);
  g_test_add_func ("/ndp/worker-aborts/node", test_worker_aborts_node);
  g_test_add_func ("/ndp/stop", test_stop);
  g_test_add_func ("/ndp/run/qsort", test_run_qsort);
  g_test_add_func ("/ndp/run/map", test_run_map);
  g_test_add_func ("/ndp/run/nodes", test_run_nodes);
  g_test_add_func ("/ndp/run/errors", test_run_errors);
  g_test_add_func ("/ndp/program/qsort", test_program_qsort);
  g_test_add_func ("/ndp/program/map", test_program_map);
  g_test_add_func ("/ndp/inspect", test_inspect);

  status = g_test_run ();
  test_sandbox_finish ();
  return status;
}
