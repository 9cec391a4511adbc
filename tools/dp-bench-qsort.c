/* dp-bench-qsort.c: `dplaces bench qsort` — the dissertation's nested data
 * parallel quicksort on N workers, against serial qsort() of the same data
 *
 * COUNT (10 000 000) random 64-bit integers (splitmix64, always the same)
 * are sorted, in alternating rounds after a warm-up:
 *
 *  - by an NDP group of N worker places of this process (threads by
 *    default, --backend processes for child processes), running the
 *    ndp-qsort example's ndp_parallel_qsort_vector: the data is a
 *    DpSharedVector, work is a range of it, partitions are sorted in
 *    place, and every part no worker is free for is sorted with libc's
 *    qsort();
 *  - by qsort() here, serially.
 *
 * Both use the example module's comparator, ndp_compare_int64, looked up
 * at run time: the leaves are the same qsort() with the same comparator
 * as the reference, and the partitions call it too, so the speed-up
 * comes from the parallelism alone. time_ms is the median NDP sort, from
 * dp_ndp_run() to its result, serial_ms the median qsort(); the copies
 * of the input into place are not timed. Each round checks the NDP
 * result against qsort()'s, element for element (so it is sorted and a
 * permutation of the input).
 *
 * The ndp plugin is looked up at run time, as the host finds any plugin:
 * the host does not link it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp-bench-private.h"

#define QSORT_COUNT 10000000
#define QSORT_WORKERS 2
#define QSORT_ROUNDS 5
#define QSORT_WARMUP_COUNT 200000

#define NDP_MODULE "dplaces-ndp"
#define QSORT_MODULE "ndp-qsort"
#define QSORT_PROCEDURE QSORT_MODULE ":ndp_parallel_qsort_vector"

typedef GObject *  (*NewLocalFunc) (guint         n_workers,
                                    const char   *backend,
                                    GError      **error);
typedef GVariant * (*RunFunc)      (GObject      *group,
                                    const char   *procedure,
                                    GVariant     *data,
                                    GError      **error);
typedef int        (*CompareFunc)  (const void   *a,
                                    const void   *b);

/* One NDP sort of @input's first @count elements in @vector: ms, or -1. */
static double
time_ndp (GObject         *group,
          RunFunc          run,
          DpSharedVector  *vector,
          const gint64    *input,
          gsize            count,
          guint32         *out_handoffs,
          GError         **error)
{
  g_autoptr(GVariant) result = NULL;
  gint64 start;

  memcpy (dp_shared_vector_get_fixnums (vector), input, count * sizeof (gint64));
  start = g_get_monotonic_time ();
  result = run (group, QSORT_PROCEDURE,
                g_variant_new ("(@htt)", dp_shared_vector_to_variant (vector), (guint64) 0, (guint64) count),
                error);
  if (result == NULL)
    return -1;
  if (out_handoffs != NULL && g_variant_is_of_type (result, G_VARIANT_TYPE_UINT32))
    *out_handoffs = g_variant_get_uint32 (result);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static double
time_serial (CompareFunc   compare,
             gint64       *buffer,
             const gint64 *input,
             gsize         count)
{
  gint64 start;

  memcpy (buffer, input, count * sizeof (gint64));
  start = g_get_monotonic_time ();
  qsort (buffer, count, sizeof (gint64), compare);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
add_rounds (JsonBuilder *builder,
            const char  *name,
            double      *values,
            guint        n)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    json_builder_add_double_value (builder, values[i]);
  json_builder_end_array (builder);
}

int
dp_bench_qsort (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  gint workers = QSORT_WORKERS;
  gint rounds = QSORT_ROUNDS;
  gint64 count = QSORT_COUNT;
  g_autofree char *backend = NULL;
  const GOptionEntry entries[] = {
    { "workers", 0, 0, G_OPTION_ARG_INT, &workers, "Worker places (default 2)", "N" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend, "Their backend: threads (default) or processes", "NAME" },
    { "count", 0, 0, G_OPTION_ARG_INT64, &count, "How many numbers (default 10000000)", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Timed rounds of each (default 5)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— NDP quicksort on N workers, and serial qsort()");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GObject) group = NULL;
  g_autoptr(DpSharedVector) vector = NULL;
  g_autofree gint64 *input = NULL;
  g_autofree gint64 *buffer = NULL;
  g_autofree double *ours = NULL;
  g_autofree double *theirs = NULL;
  g_autofree double *ours_sorted = NULL;
  g_autofree double *theirs_sorted = NULL;
  DpPluginRegistry *registry = dp_plugin_registry_get_default ();
  NewLocalFunc new_local;
  RunFunc run;
  CompareFunc compare;
  guint64 state = 42;
  guint32 handoffs = 0;
  gboolean verified = TRUE;
  double time_ms, serial_ms;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || workers < 1 || rounds < 1 || count < 1)
    {
      g_printerr ("dplaces bench qsort: %s\n",
                  error != NULL ? error->message : "--workers, --rounds and --count must be at least 1");
      return 2;
    }

  new_local = dp_plugin_registry_lookup_symbol (registry, NDP_MODULE, "dp_ndp_group_new_local", &error);
  run = new_local == NULL ? NULL : dp_plugin_registry_lookup_symbol (registry, NDP_MODULE, "dp_ndp_run", &error);
  if (run == NULL)
    {
      g_printerr ("dplaces bench qsort: the ndp plugin is needed: %s\n", error->message);
      return 1;
    }
  compare = dp_plugin_registry_lookup_symbol (registry, QSORT_MODULE, "ndp_compare_int64", &error);
  if (compare == NULL)
    {
      g_printerr ("dplaces bench qsort: the ndp-qsort example module is needed: %s\n", error->message);
      return 1;
    }

  input = g_new (gint64, count);
  buffer = g_new (gint64, count);
  for (gint64 i = 0; i < count; i++)
    input[i] = (gint64) dp_bench_next_random (&state);
  vector = dp_make_shared_fxvector (count, 0, &error);
  if (vector == NULL)
    goto failed;

  group = new_local (workers, backend, &error);
  if (group == NULL)
    goto failed;

  /* Warm-up: the module loaded in every worker, first touches. */
  if (time_ndp (group, run, vector, input, MIN (count, QSORT_WARMUP_COUNT), NULL, &error) < 0)
    goto failed;
  time_serial (compare, buffer, input, MIN (count, QSORT_WARMUP_COUNT));

  /* Alternating rounds, each starting with the other. */
  ours = g_new (double, rounds);
  theirs = g_new (double, rounds);
  for (gint r = 0; r < rounds; r++)
    {
      if (r % 2 == 1)
        theirs[r] = time_serial (compare, buffer, input, count);
      ours[r] = time_ndp (group, run, vector, input, count, &handoffs, &error);
      if (ours[r] < 0)
        goto failed;
      if (r % 2 == 0)
        theirs[r] = time_serial (compare, buffer, input, count);
      if (memcmp (dp_shared_vector_get_fixnums (vector), buffer, count * sizeof (gint64)) != 0)
        verified = FALSE;
      g_printerr ("round %d: ndp %.1f ms, qsort %.1f ms\n", r + 1, ours[r], theirs[r]);
    }
  ours_sorted = g_memdup2 (ours, rounds * sizeof (double));
  theirs_sorted = g_memdup2 (theirs, rounds * sizeof (double));
  time_ms = dp_bench_median (ours_sorted, rounds);
  serial_ms = dp_bench_median (theirs_sorted, rounds);

  printf ("%" G_GINT64_FORMAT " random int64, %d worker%s (%s places of this process), %d rounds\n",
          count, workers, workers == 1 ? "" : "s", backend != NULL ? backend : "threads", rounds);
  printf ("ndp quicksort:  %.1f ms (median); %u part%s handed to other workers\n", time_ms, handoffs,
          handoffs == 1 ? "" : "s");
  printf ("serial qsort(): %.1f ms (median)\n", serial_ms);
  printf ("ratio %.2f; result %s\n", time_ms / serial_ms,
          verified ? "equal to qsort()'s" : "DIFFERS from qsort()'s");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "qsort");
  dp_bench_add_double (builder, "time_ms", time_ms);
  dp_bench_add_double (builder, "serial_ms", serial_ms);
  dp_bench_add_double (builder, "ratio", time_ms / serial_ms);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, count);
  json_builder_set_member_name (builder, "workers");
  json_builder_add_int_value (builder, workers);
  json_builder_set_member_name (builder, "backend");
  json_builder_add_string_value (builder, backend != NULL ? backend : "threads");
  json_builder_set_member_name (builder, "rounds");
  json_builder_add_int_value (builder, rounds);
  add_rounds (builder, "time_ms_rounds", ours, rounds);
  add_rounds (builder, "serial_ms_rounds", theirs, rounds);
  json_builder_set_member_name (builder, "handoffs");
  json_builder_add_int_value (builder, handoffs);
  json_builder_set_member_name (builder, "leaf_sort");
  json_builder_add_string_value (builder, "libc qsort() with ndp_compare_int64, as serial_ms");
  json_builder_set_member_name (builder, "verified");
  json_builder_add_boolean_value (builder, verified);
  json_builder_end_object (builder);
  if (json)
    dp_bench_print_json (builder);

  if (!verified)
    {
      g_printerr ("dplaces bench qsort: the NDP sort differs from qsort()'s\n");
      return 1;
    }
  return 0;

failed:
  g_printerr ("dplaces bench qsort: %s\n", error->message);
  return 1;
}
