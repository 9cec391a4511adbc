/* test-mapreduce.c: map-reduce over worker places on real nodes
 *
 *   /mapreduce/wordcount/sort-uniq        the seeds' word count over files
 *                                         equals LC_ALL=C sort | uniq -c
 *   /mapreduce/sorter                     a sorter orders the keys, and
 *                                         keys it calls equal are one
 *   /mapreduce/combiner                   a combiner runs on each task's
 *                                         output, on keys with several values
 *   /mapreduce/outputer                   what the outputer returns is the
 *                                         result; NULL leaves the result
 *   /mapreduce/empty                      no task, or no output at all
 *   /mapreduce/one-worker                 all tasks on one worker
 *   /mapreduce/more-tasks-than-workers    40 tasks on 3 workers, progress
 *   /mapreduce/big                        775 000 keys: tables cross in
 *                                         chunks (frames stop at 64 MiB)
 *   /mapreduce/worker-killed/threads      a worker's node SIGKILLed in the
 *                                         middle of a task, after others:
 *                                         every task it held runs again
 *   /mapreduce/worker-killed/processes    the same with a worker place of
 *                                         the processes backend killed
 *   /mapreduce/worker-killed/merging      a worker dies as a pair of
 *                                         workers merge their data
 *   /mapreduce/worker-killed/merging-processes
 *                                         the same with a worker place of
 *                                         the processes backend
 *   /mapreduce/worker-killed/source-unread/threads
 *                                         a source's node dies with the
 *                                         receiver's request in hand,
 *                                         before it reads the channel the
 *                                         request names: the receiver
 *                                         says fetch-failed, serves on
 *   /mapreduce/worker-killed/source-unread/processes
 *                                         the same with the source's own
 *                                         process killed
 *   /mapreduce/stale-give                 a worker asked for the data of
 *                                         a job it no longer serves says
 *                                         so: the receiver does not wait
 *   /mapreduce/processes-backend          workers in processes of their own
 *   /mapreduce/tuples                     tuple keys, string values, sets
 *   /mapreduce/seed-mapper                a mapper returning a list
 *   /mapreduce/errors                     failing procedures say so; the
 *                                         workers serve the next job
 *   /mapreduce/run/wordcount              `dplaces run` of the example
 *   /mapreduce/run/nodes                  [mapreduce] on the keyfile's own
 *                                         nodes, tasks= inline, print-result
 *   /mapreduce/run/errors                 a bad [mapreduce] group: FILE:LINE
 *                                         and status 2; a failing job: 1
 *   /mapreduce/program/wordcount          the example as a C program
 *
 * Nodes listen on ports the system picks. Nothing sleeps to wait: the
 * killed worker announces itself through a FIFO, and waits have
 * deadlines. Each test runs in a subprocess of its own (its nodes end
 * with it). The cookie is the tests' own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dplaces/dplaces-mapreduce.h>

#include "dp-map-reduce-protocol-private.h"
#include "test-common.h"
#include "test-nodes.h"
#include "test-run.h"
#include "test-sandbox.h"

#define PROCS "mr-test-procs"
#define TEST_COOKIE "dplaces-mapreduce-tests-0123456789abcdef"
#define SUBPROCESS_USEC (test_timeout_multiplier () * 100 * G_USEC_PER_SEC)

static const char *tmp_dir;

static DpMapReduceWorkers *
start_workers (guint       n,
               const char *backend)
{
  g_autoptr(GError) error = NULL;
  DpNodeOptions options;
  g_auto(GStrv) config = test_local_nodes_config (n, backend, &options);
  DpMapReduceWorkers *workers;
  gint64 start = g_get_monotonic_time ();

  workers = dp_make_map_reduce_workers ((const char * const *) config, &options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (workers);
  g_assert_cmpuint (dp_map_reduce_workers_get_n_workers (workers), ==, n);
  g_assert_cmpuint (dp_map_reduce_workers_get_n_alive (workers), ==, n);
  test_note ("%u workers started in %.3f s", n, test_seconds_since (start));
  return workers;
}

/* [(0, TEXT0)], [(1, TEXT1)], …: a task per text. */
static GVariant *
text_tasks (const char * const *texts)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa(xs)"));
  for (guint i = 0; texts[i] != NULL; i++)
    {
      g_variant_builder_open (&builder, G_VARIANT_TYPE ("a(xs)"));
      g_variant_builder_add (&builder, "(xs)", (gint64) i, texts[i]);
      g_variant_builder_close (&builder);
    }
  return g_variant_builder_end (&builder);
}

/* word → count, as split_mapper and sum_reducer count @texts. */
static GHashTable *
count_texts (const char * const *texts)
{
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; texts[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit (texts[i], " ", -1);

      for (guint w = 0; words[w] != NULL; w++)
        if (words[w][0] != '\0')
          {
            gpointer count = g_hash_table_lookup (counts, words[w]);
            g_hash_table_replace (counts, g_strdup (words[w]), GINT_TO_POINTER (GPOINTER_TO_INT (count) + 1));
          }
    }
  return counts;
}

/* @result has exactly the counts of @expected, sorted by strcmp(). */
static void
assert_word_counts (GVariant   *result,
                    GHashTable *expected)
{
  GVariantIter iter;
  const char *word;
  g_autofree char *previous = NULL;
  g_autoptr(GVariant) counts = NULL;
  guint n = 0;

  g_assert_nonnull (result);
  g_assert_true (g_variant_is_normal_form (result));
  if (g_hash_table_size (expected) == 0)
    {
      g_assert_cmpuint (g_variant_n_children (result), ==, 0);
      return;
    }
  g_assert_cmpstr (g_variant_get_type_string (result), ==, "a(sax)");

  g_variant_iter_init (&iter, result);
  while (g_variant_iter_next (&iter, "(&s@ax)", &word, &counts))
    {
      gsize n_counts;
      const gint64 *values = g_variant_get_fixed_array (counts, &n_counts, sizeof (gint64));

      if (!g_hash_table_contains (expected, word))
        g_error ("unexpected word “%s”", word);
      g_assert_cmpuint (n_counts, ==, 1);
      if (values[0] != GPOINTER_TO_INT (g_hash_table_lookup (expected, word)))
        g_error ("“%s”: %" G_GINT64_FORMAT " where %d was expected", word, values[0],
                 GPOINTER_TO_INT (g_hash_table_lookup (expected, word)));
      if (previous != NULL)
        g_assert_cmpint (strcmp (previous, word), <, 0);
      g_free (previous);
      previous = g_strdup (word);
      g_clear_pointer (&counts, g_variant_unref);
      n++;
    }
  g_assert_cmpuint (n, ==, g_hash_table_size (expected));
}

static GVariant *
run_job (DpMapReduceWorkers  *workers,
         GVariant            *tasks,
         const char          *mapper,
         const char          *reducer,
         const char          *sorter,
         const char          *combiner,
         const char          *outputer,
         GError             **error)
{
  DpMapReduceOptions options;
  gint64 start = g_get_monotonic_time ();
  GVariant *result;

  dp_map_reduce_options_init (&options);
  options.sorter = sorter;
  options.combiner = combiner;
  options.outputer = outputer;
  result = dp_map_reduce (workers, tasks, mapper, reducer, &options, error);
  test_note ("map-reduce %s in %.3f s", mapper, test_seconds_since (start));
  return result;
}

static const char * const some_texts[] = {
  "the cat sat on the mat",
  "the dog sat on the log and the cat ran",
  "a cat a dog a log",
  "",
  "mat mat mat",
  NULL
};

/* @mapper and sum_reducer, on @n workers with @backend, count some_texts'
 * words as count_texts() does. */
static void
assert_counts_words (guint       n,
                     const char *backend,
                     const char *mapper)
{
  g_autoptr(DpMapReduceWorkers) workers = start_workers (n, backend);
  g_autoptr(GHashTable) expected = count_texts (some_texts);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = run_job (workers, text_tasks (some_texts), mapper, PROCS ":sum_reducer",
                                        NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  assert_word_counts (result, expected);
}

/* ── 1. the seeds' word count against sort | uniq -c ──────────────── */

/* Files of words drawn from a skewed distribution, always the same; one
 * empty, one without a last newline, one with empty lines. */
static GPtrArray *
write_corpus (const char *dir)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  for (guint f = 0; f < 7; f++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      char *path = g_strdup_printf ("%s/w%u.txt", dir, f);
      guint words = f == 3 ? 0 : 5000 + 3000 * f;

      for (guint w = 0; w < words; w++)
        {
          /* Skewed: small ranks are frequent. */
          guint rank = (guint) (g_rand_double (rand) * g_rand_double (rand) * g_rand_double (rand) * 4000);

          g_string_append_printf (text, "w%x%s\n", rank * 2654435761u % 100003, rank % 7 == 0 ? "é" : "");
          if (f == 5 && w % 1000 == 0)
            g_string_append_c (text, '\n');
        }
      if (f == 4 && text->len > 0)
        g_string_truncate (text, text->len - 1);
      g_assert_true (g_file_set_contents (path, text->str, text->len, &error));
      g_assert_no_error (error);
      g_ptr_array_add (files, path);
    }
  return files;
}

static void
test_wordcount_sort_uniq (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GString) command = g_string_new ("LC_ALL=C sort");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) result = NULL;
  g_auto(GStrv) lines = NULL;
  GVariantBuilder tasks;
  GVariantIter iter;
  const char *word;
  g_autoptr(GVariant) counts = NULL;
  const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
  gint status;
  guint line = 0;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  dir = g_build_filename (tmp_dir, "corpus", NULL);
  files = write_corpus (dir);
  g_variant_builder_init (&tasks, G_VARIANT_TYPE ("aa(xs)"));
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *quoted = g_shell_quote (g_ptr_array_index (files, i));

      g_string_append_printf (command, " %s", quoted);
      g_variant_builder_open (&tasks, G_VARIANT_TYPE ("a(xs)"));
      g_variant_builder_add (&tasks, "(xs)", (gint64) i, g_ptr_array_index (files, i));
      g_variant_builder_close (&tasks);
    }
  g_string_append (command, " | uniq -c");
  argv[2] = command->str;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  workers = start_workers (2, NULL);
  result = run_job (workers, g_variant_builder_end (&tasks), "wordcount:mapper", "wordcount:reducer",
                    NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (result), ==, "a(sax)");

  /* Line by line: "%7d WORD", the same words in the same order. */
  lines = g_strsplit (out, "\n", -1);
  g_variant_iter_init (&iter, result);
  while (g_variant_iter_next (&iter, "(&s@ax)", &word, &counts))
    {
      const char *text = lines[line++];
      char *rest;
      gint64 expected, count;

      g_assert_nonnull (text);
      g_assert_cmpuint (g_variant_n_children (counts), ==, 1);
      g_variant_get_child (counts, 0, "x", &count);
      expected = g_ascii_strtoll (text, &rest, 10);
      g_assert_cmpint (*rest, ==, ' ');
      g_assert_cmpstr (rest + 1, ==, word);
      g_assert_cmpint (count, ==, expected);
      g_clear_pointer (&counts, g_variant_unref);
    }
  g_assert_cmpstr (lines[line], ==, "");
  g_assert_null (lines[line + 1]);
  test_note ("%u words counted as sort | uniq -c counts them", line);
}

/* ── 2. sorters ───────────────────────────────────────────────────── */

static void
test_sorter (void)
{
  const char * const texts[] = { "b a B c", "A b C", "c a", NULL };
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) reverse = NULL;
  g_autoptr(GVariant) caseless = NULL;
  g_autoptr(GError) error = NULL;
  const char *order[] = { "c", "b", "a", "C", "B", "A" };
  const char *folded[] = { "a", "b", "c" };
  const gint64 folded_counts[] = { 3, 3, 3 };
  GVariantIter iter;
  const char *word;
  gint64 count;
  guint i = 0;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  workers = start_workers (2, NULL);

  /* Reverse byte order: the keys come out that way, each once. */
  reverse = run_job (workers, text_tasks (texts), PROCS ":split_mapper", PROCS ":sum_reducer",
                     PROCS ":reverse_sorter", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (reverse), ==, G_N_ELEMENTS (order));
  g_variant_iter_init (&iter, reverse);
  while (g_variant_iter_next (&iter, "(&sax)", &word, NULL))
    g_assert_cmpstr (word, ==, order[i++]);

  /* Ignoring case: a and A are one key. */
  caseless = run_job (workers, text_tasks (texts), PROCS ":split_mapper", PROCS ":sum_reducer",
                      PROCS ":caseless_sorter", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (caseless), ==, 3);
  for (i = 0; i < 3; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (caseless, i);
      g_autoptr(GVariant) counts = NULL;

      g_variant_get (entry, "(&s@ax)", &word, &counts);
      g_assert_cmpint (g_ascii_strcasecmp (word, folded[i]), ==, 0);
      g_assert_cmpuint (g_variant_n_children (counts), ==, 1);
      g_variant_get_child (counts, 0, "x", &count);
      g_assert_cmpint (count, ==, folded_counts[i]);
    }
}

/* ── 3. combiners ─────────────────────────────────────────────────── */

static void
test_combiner (void)
{
  const char * const texts[] = { "a a b", "a c c c", "b", NULL };
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) combined = NULL;
  g_autoptr(GVariant) plain = NULL;
  g_autoptr(GHashTable) expected = count_texts (texts);
  g_autoptr(GHashTable) expected_combined = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  workers = start_workers (2, NULL);

  /* The combiner runs where each task was mapped, on the keys of that
   * task with more than one value: a 1 + 1 → 2000 in task 0, c 1 + 1 + 1
   * → 3000 in task 1; then the reducer sums what meets. */
  g_hash_table_insert (expected_combined, "a", GINT_TO_POINTER (2001));
  g_hash_table_insert (expected_combined, "b", GINT_TO_POINTER (2));
  g_hash_table_insert (expected_combined, "c", GINT_TO_POINTER (3000));
  combined = run_job (workers, text_tasks (texts), PROCS ":split_mapper", PROCS ":sum_reducer", NULL,
                      PROCS ":thousand_combiner", NULL, &error);
  g_assert_no_error (error);
  assert_word_counts (combined, expected_combined);

  /* Without one, the reducer combines. */
  plain = run_job (workers, text_tasks (texts), PROCS ":split_mapper", PROCS ":sum_reducer", NULL,
                   NULL, NULL, &error);
  g_assert_no_error (error);
  assert_word_counts (plain, expected);
}

/* ── 4. outputers ─────────────────────────────────────────────────── */

static void
test_outputer (void)
{
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) total = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GHashTable) expected = count_texts (some_texts);
  g_autoptr(GError) error = NULL;
  gint64 keys, words;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  workers = start_workers (2, NULL);
  total = run_job (workers, text_tasks (some_texts), PROCS ":split_mapper", PROCS ":sum_reducer", NULL,
                   NULL, PROCS ":total_outputer", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (total), ==, "(xx)");
  g_variant_get (total, "(xx)", &keys, &words);
  g_assert_cmpint (keys, ==, g_hash_table_size (expected));
  g_assert_cmpint (words, ==, 25);

  /* An outputer returning nothing leaves the result. */
  result = run_job (workers, text_tasks (some_texts), PROCS ":split_mapper", PROCS ":sum_reducer", NULL,
                    NULL, PROCS ":null_outputer", &error);
  g_assert_no_error (error);
  assert_word_counts (result, expected);
}

/* ── 5. nothing to count ──────────────────────────────────────────── */

static void
test_empty (void)
{
  const char * const no_words[] = { "", "  ", "", NULL };
  const char * const no_texts[] = { NULL };
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) none = NULL;
  g_autoptr(GVariant) empty = NULL;
  g_autoptr(GVariant) total = NULL;
  g_autoptr(GError) error = NULL;
  gint64 keys, words;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  workers = start_workers (2, NULL);

  /* No task at all (Racket's map-reduce waits forever there). */
  none = run_job (workers, text_tasks (no_texts), PROCS ":split_mapper", PROCS ":sum_reducer", NULL,
                  NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (none), ==, "a(vav)");
  g_assert_cmpuint (g_variant_n_children (none), ==, 0);

  /* Tasks that map to nothing. */
  empty = run_job (workers, text_tasks (no_words), PROCS ":split_mapper", PROCS ":sum_reducer", NULL,
                   NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (empty), ==, 0);

  total = run_job (workers, text_tasks (no_words), PROCS ":split_mapper", PROCS ":sum_reducer", NULL,
                   NULL, PROCS ":total_outputer", &error);
  g_assert_no_error (error);
  g_variant_get (total, "(xx)", &keys, &words);
  g_assert_cmpint (keys, ==, 0);
  g_assert_cmpint (words, ==, 0);
}

/* ── 6, 7. one worker; more tasks than workers ────────────────────── */

static void
test_one_worker (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  assert_counts_words (1, NULL, PROCS ":split_mapper");
}

typedef struct {
  guint notifications;
  guint last_done;
  gboolean decreased;
} Progress;

static void
tasks_done_cb (GObject    *object,
               GParamSpec *pspec,
               gpointer    data)
{
  Progress *progress = data;
  guint done = dp_map_reduce_job_get_tasks_done (DP_MAP_REDUCE_JOB (object));

  if (done < progress->last_done)
    progress->decreased = TRUE;
  progress->last_done = done;
  progress->notifications++;
}

static void
test_more_tasks_than_workers (void)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(DpMapReduceJob) job = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GHashTable) expected = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) error = NULL;
  Progress progress = { 0 };
  const char *state;
  guint32 done, total;
  gboolean listed = FALSE;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  for (guint i = 0; i < 40; i++)
    g_ptr_array_add (texts, g_strdup_printf ("w%u w%u w%u common", i % 7, i % 11, i));
  g_ptr_array_add (texts, NULL);
  expected = count_texts ((const char * const *) texts->pdata);

  workers = start_workers (3, NULL);
  job = dp_map_reduce_job_new (workers, text_tasks ((const char * const *) texts->pdata),
                               PROCS ":split_mapper", PROCS ":sum_reducer", NULL);
  g_assert_cmpint (dp_map_reduce_job_get_state (job), ==, DP_MAP_REDUCE_JOB_READY);
  g_assert_cmpuint (dp_map_reduce_job_get_tasks_total (job), ==, 40);
  g_signal_connect (job, "notify::tasks-done", G_CALLBACK (tasks_done_cb), &progress);

  jobs = dp_map_reduce_list_jobs ();
  for (guint i = 0; i < jobs->len; i++)
    listed |= g_ptr_array_index (jobs, i) == job;
  g_assert_true (listed);

  result = dp_map_reduce_job_run (job, NULL, &error);
  g_assert_no_error (error);
  assert_word_counts (result, expected);

  g_assert_cmpint (dp_map_reduce_job_get_state (job), ==, DP_MAP_REDUCE_JOB_DONE);
  g_assert_cmpuint (dp_map_reduce_job_get_tasks_done (job), ==, 40);
  g_assert_cmpuint (dp_map_reduce_job_get_tasks_rerun (job), ==, 0);
  g_assert_cmpuint (progress.last_done, ==, 40);
  g_assert_false (progress.decreased);
  g_assert_cmpuint (progress.notifications, >=, 40);

  status = dp_map_reduce_job_dup_status (job);
  g_assert_true (g_variant_lookup (status, "state", "&s", &state));
  g_assert_cmpstr (state, ==, "done");
  g_assert_true (g_variant_lookup (status, "tasks-done", "u", &done));
  g_assert_true (g_variant_lookup (status, "tasks-total", "u", &total));
  g_assert_cmpuint (done, ==, 40);
  g_assert_cmpuint (total, ==, 40);

  /* A job runs once. */
  g_assert_null (dp_map_reduce_job_run (job, NULL, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_REFUSED);
}

/* Results and transfers bigger than a chunk (16 MiB). */
static void
test_big (void)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;
  GVariantIter iter;
  const char *word;
  g_autoptr(GVariant) counts = NULL;
  guint n = 0;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  /* Task t: words t·175000 … t·175000 + 249999, each once. */
  for (guint t = 0; t < 4; t++)
    {
      GString *text = g_string_new (NULL);

      for (guint w = t * 175000; w < t * 175000 + 250000; w++)
        g_string_append_printf (text, "w%07u ", w);
      g_ptr_array_add (texts, g_string_free (text, FALSE));
    }
  g_ptr_array_add (texts, NULL);

  workers = start_workers (2, NULL);
  result = run_job (workers, text_tasks ((const char * const *) texts->pdata), PROCS ":split_mapper",
                    PROCS ":sum_reducer", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  test_note ("a result of %" G_GSIZE_FORMAT " bytes", g_variant_get_size (result));
  g_assert_cmpuint (g_variant_get_size (result), >, 16 * 1024 * 1024);

  g_variant_iter_init (&iter, result);
  while (g_variant_iter_next (&iter, "(&s@ax)", &word, &counts))
    {
      guint number = (guint) g_ascii_strtoull (word + 1, NULL, 10);
      gint64 count;
      gint64 expected = 0;

      g_assert_cmpuint (number, ==, n);
      g_variant_get_child (counts, 0, "x", &count);
      for (guint t = 0; t < 4; t++)
        expected += number >= t * 175000 && number < t * 175000 + 250000;
      g_assert_cmpint (count, ==, expected);
      g_clear_pointer (&counts, g_variant_unref);
      n++;
    }
  g_assert_cmpuint (n, ==, 3 * 175000 + 250000);
}

/* ── 8. a worker killed in the middle of a task ───────────────────── */

typedef struct {
  gboolean done;
  GVariant *result;
  GError *error;
} Outcome;

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Outcome *outcome = data;

  outcome->result = dp_map_reduce_job_run_finish (DP_MAP_REDUCE_JOB (source), result, &outcome->error);
  outcome->done = TRUE;
}

static void
run_with_a_kill (const char *backend)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(DpMapReduceJob) job = NULL;
  g_autoptr(GHashTable) expected = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autofree char *dir = g_build_filename (tmp_dir, "kill", NULL);
  g_autofree char *fifo = NULL;
  GVariantBuilder tasks;
  Outcome outcome = { FALSE, NULL, NULL };
  gint64 killed;
  GPid pid;
  gboolean ours = FALSE;

  /* The job logs the death as a warning: expected here. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  /* The blocked mapper writes its process id to DIR/fifo. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  fifo = test_make_fifo ("kill/fifo");

  for (guint i = 0; i < 8; i++)
    g_ptr_array_add (texts, g_strdup_printf ("k%u k%u shared t%u", i % 3, i % 2, i));
  g_ptr_array_add (texts, NULL);
  expected = count_texts ((const char * const *) texts->pdata);

  /* The first task a worker maps after another blocks (once): the worker
   * killed holds a task's output. One of two workers maps a second task
   * of eight, however late the other is ready; so a task being mapped
   * and one done both run again. */
  g_variant_builder_init (&tasks, G_VARIANT_TYPE ("aa(xs)"));
  for (guint i = 0; i < 8; i++)
    {
      g_variant_builder_open (&tasks, G_VARIANT_TYPE ("a(xs)"));
      g_variant_builder_add (&tasks, "(xs)", (gint64) i, g_ptr_array_index (texts, i));
      g_variant_builder_add (&tasks, "(xs)", (gint64) -1, dir);
      g_variant_builder_close (&tasks);
    }

  workers = start_workers (2, backend);
  job = dp_map_reduce_job_new (workers, g_variant_builder_end (&tasks), PROCS ":blocking_mapper",
                               PROCS ":sum_reducer", NULL);
  g_main_context_push_thread_default (context);
  dp_map_reduce_job_run_async (job, NULL, job_done_cb, &outcome);

  pid = test_read_pid (fifo);
  for (guint i = 0; i < dp_map_reduce_workers_get_n_workers (workers); i++)
    ours |= pid == dp_spawned_process_get_pid (dp_remote_node_get_process (dp_map_reduce_workers_get_node (workers, i)));
  if (backend == NULL)
    g_assert_true (ours);     /* a worker's node */
  else
    g_assert_false (ours);    /* a worker place's own process */
  test_note ("killing process %d in the middle of a task", (int) pid);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  killed = g_get_monotonic_time ();

  g_assert_true (test_iterate_until (context, &outcome.done, TEST_WAIT_USEC / 1000));
  g_main_context_pop_thread_default (context);
  test_note ("the job ended %.3f s after the kill; %u task runs again", test_seconds_since (killed),
             dp_map_reduce_job_get_tasks_rerun (job));
  g_assert_no_error (outcome.error);
  assert_word_counts (outcome.result, expected);
  g_variant_unref (outcome.result);

  /* The blocked task and at least one its worker had done ran again. */
  g_assert_cmpuint (dp_map_reduce_job_get_tasks_rerun (job), >=, 2);
  g_assert_cmpuint (dp_map_reduce_job_get_tasks_done (job), ==, 8);
  g_assert_cmpuint (dp_map_reduce_workers_get_n_alive (workers), ==, 1);
}

static void
test_worker_killed (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;
  run_with_a_kill (NULL);
}

static void
test_worker_killed_processes (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;
  run_with_a_kill ("processes");
}

/* The first reducer call anywhere kills its process: one of the two
 * workers, as they merge their data with each other. Whichever it is,
 * what it held runs again, and the job's result is whole. */
static void
run_killed_merging (const char *backend)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(DpMapReduceJob) job = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GHashTable) expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (tmp_dir, "kill-merging", NULL);

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  /* The nodes inherit it; the reducer runs only there. */
  g_setenv ("MR_TEST_KILL_DIR", dir, TRUE);

  for (guint i = 0; i < 6; i++)
    g_ptr_array_add (texts, g_strdup_printf ("x%u x%u y y z%u", i % 2, i % 2, i));
  g_ptr_array_add (texts, NULL);
  expected = count_texts ((const char * const *) texts->pdata);

  workers = start_workers (2, backend);
  job = dp_map_reduce_job_new (workers, text_tasks ((const char * const *) texts->pdata),
                               PROCS ":split_mapper", PROCS ":killing_reducer", NULL);
  result = dp_map_reduce_job_run (job, NULL, &error);
  g_assert_no_error (error);
  assert_word_counts (result, expected);
  test_note ("%u task runs again", dp_map_reduce_job_get_tasks_rerun (job));
  g_assert_cmpuint (dp_map_reduce_job_get_tasks_rerun (job), >=, 1);
  g_assert_cmpuint (dp_map_reduce_workers_get_n_alive (workers), ==, 1);
}

static void
test_worker_killed_merging (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;
  run_killed_merging (NULL);
}

static void
test_worker_killed_merging_processes (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;
  run_killed_merging ("processes");
}

/* Speaking for the controller: resets @worker to job @serial. */
static void
reset_worker (DpChannel *worker,
              guint32    serial)
{
  g_autoptr(GVariant) reply = NULL;

  test_put (worker, g_variant_new (DP_MR_SIMPLE_TYPE, DP_MR_RESET, serial));
  reply = test_get (worker);
  g_assert_true (g_variant_is_of_type (reply, G_VARIANT_TYPE (DP_MR_SIMPLE_TYPE)));
  g_assert_cmpstr (dp_message_get_tag (reply), ==, DP_MR_READY);
}

/* Speaking for the controller: tells @receiver to take the data of the
 * named place @name on @node, in job @serial; returns its answer, a
 * failure of transfer 1 of that job saying why (that name included),
 * with the tag in @out_tag. */
static GVariant *
fetch_fails (DpChannel     *receiver,
             guint32        serial,
             DpRemoteNode  *node,
             const char    *name,
             const char   **out_tag)
{
  GVariant *reply;
  const char *why;
  guint32 job, transfer;

  test_put (receiver, g_variant_new (DP_MR_FETCH_TYPE, DP_MR_FETCH, serial, (guint32) 1,
                                     dp_remote_node_get_host (node),
                                     (guint16) dp_remote_node_get_listen_port (node), name,
                                     PROCS ":sum_reducer", ""));
  reply = test_get (receiver);
  g_assert_true (g_variant_is_of_type (reply, G_VARIANT_TYPE (DP_MR_FAILED_TYPE)));
  g_variant_get (reply, "(&suu&s)", out_tag, &job, &transfer, &why);
  test_note ("%s: %s", *out_tag, why);
  g_assert_cmpuint (job, ==, serial);
  g_assert_cmpuint (transfer, ==, 1);
  g_assert_nonnull (strstr (why, name));
  return reply;
}

/* The receiver of a transfer, told to take the data of a named place
 * that kills its process as the request arrives: the channel the request
 * names was never read there, so only the receiver's connection to that
 * place sees the death. It reports the transfer failed (the controller
 * then runs the source's tasks again), and serves the next request. The
 * test speaks for the controller. With the threads backend the process
 * killed is the source's node; with processes, the source's own. */
static void
run_with_source_unread (const char *backend)
{
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(DpRemoteConnection) source = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  DpRemoteNode *node;
  DpChannel *receiver;
  const char *tag;

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  workers = start_workers (2, backend);
  node = dp_map_reduce_workers_get_node (workers, 1);
  source = dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE, PROCS, "dying_source",
                                        "mr-dying-source", backend, &error);
  g_assert_no_error (error);
  receiver = dp_map_reduce_workers_get_channel (workers, 0);

  reset_worker (receiver, 7);
  reply = fetch_fails (receiver, 7, node, "mr-dying-source", &tag);
  g_assert_cmpstr (tag, ==, DP_MR_FETCH_FAILED);
  reset_worker (receiver, 8);
}

static void
test_worker_killed_source_unread (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;
  run_with_source_unread (NULL);
}

static void
test_worker_killed_source_unread_processes (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;
  run_with_source_unread ("processes");
}

/* A worker asked to give its data for a job it no longer serves — a job
 * that failed or was cancelled during the transfer, and the next one's
 * reset reached it first — says so on the transfer channel: closing its
 * end unread would leave the receiver waiting for ever (the end it closes
 * was never taken from the receiver's node). The receiver's answer is
 * the old job's, which the controller drops; it serves the next request. */
static void
test_stale_give (void)
{
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) reply = NULL;
  DpChannel *receiver;
  const char *tag;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  workers = start_workers (2, NULL);
  receiver = dp_map_reduce_workers_get_channel (workers, 0);
  reset_worker (dp_map_reduce_workers_get_channel (workers, 1), 9);
  reset_worker (receiver, 7);
  reply = fetch_fails (receiver, 7, dp_map_reduce_workers_get_node (workers, 1),
                       dp_map_reduce_workers_get_name (workers, 1), &tag);
  g_assert_cmpstr (tag, ==, DP_MR_FAILED);
  reset_worker (receiver, 9);
}

/* ── 9. other backends, keys and values ───────────────────────────── */

static void
test_processes_backend (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  assert_counts_words (2, "processes", PROCS ":split_mapper");
}

static void
test_tuples (void)
{
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  workers = start_workers (2, NULL);
  result = run_job (workers, text_tasks (some_texts), PROCS ":tuple_mapper", PROCS ":union_reducer", NULL,
                    NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_is_normal_form (result));
  text = g_variant_print (result, FALSE);
  test_note ("%s", text);
  /* Keys (word, length) in the default order — by word, then length —
   * each with the set of tasks it is in. */
  g_assert_cmpstr (text, ==,
                   "[(('a', 1), ['t2']), (('and', 3), ['t1']), (('cat', 3), ['t0', 't1', 't2']), "
                   "(('dog', 3), ['t1', 't2']), (('log', 3), ['t1', 't2']), (('mat', 3), ['t0', 't4']), "
                   "(('on', 2), ['t0', 't1']), (('ran', 3), ['t1']), (('sat', 3), ['t0', 't1']), "
                   "(('the', 3), ['t0', 't1'])]");
}

static void
test_seed_mapper (void)
{
  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  assert_counts_words (2, NULL, PROCS ":pairs_mapper");
}

/* ── 10. errors ───────────────────────────────────────────────────── */

static void
test_errors (void)
{
  g_autoptr(DpMapReduceWorkers) workers = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GHashTable) expected = count_texts (some_texts);
  struct {
    const char *mapper;
    const char *reducer;
    const char *outputer;
    const char *needle;
  } cases[] = {
    { PROCS ":failing_mapper", PROCS ":sum_reducer", NULL, "no luck" },
    { "no-such-module:mapper", PROCS ":sum_reducer", NULL, "no-such-module" },
    { PROCS ":no_such_mapper", PROCS ":sum_reducer", NULL, "no_such_mapper" },
    { PROCS ":mixed_mapper", PROCS ":sum_reducer", NULL, "emitted a key of type" },
    { PROCS ":split_mapper", PROCS ":union_reducer", NULL, "reducer " PROCS ":union_reducer failed" },
    { "not an address", PROCS ":sum_reducer", NULL, "not a procedure address" },
    { PROCS ":split_mapper", PROCS ":sum_reducer", PROCS ":nothing_here", "nothing_here" },
  };

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  workers = start_workers (2, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) nothing = run_job (workers, text_tasks (some_texts), cases[i].mapper,
                                             cases[i].reducer, NULL, NULL, cases[i].outputer, &error);

      g_assert_null (nothing);
      g_assert_nonnull (error);
      test_note ("%s", error->message);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("“%s” does not say “%s”", error->message, cases[i].needle);
    }

  /* The workers serve the next job as if nothing happened. */
  {
    g_autoptr(GError) error = NULL;

    result = run_job (workers, text_tasks (some_texts), PROCS ":split_mapper", PROCS ":sum_reducer", NULL,
                      NULL, NULL, &error);
    g_assert_no_error (error);
    assert_word_counts (result, expected);
    g_assert_cmpuint (dp_map_reduce_workers_get_n_alive (workers), ==, 2);
  }
}

/* ── 11. the keyfile example ──────────────────────────────────────── */

static void
test_run_wordcount (void)
{
  g_autofree char *contents = NULL;
  g_autoptr(TestRun) run = NULL;
  g_autoptr(TestRun) reference = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GString) sort = g_string_new ("LC_ALL=C sort");
  g_autoptr(GString) seen = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) out_lines = NULL;
  const char *sh[] = { "/bin/sh", "-c", NULL, NULL };
  gint64 total = 0;
  guint progress = 0;

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  contents = test_read_example ("wordcount.ini");

  /* The example, with the tests' cookie and its files by absolute path. */
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "input-files="))
        {
          g_auto(GStrv) files = g_strsplit (lines[i] + strlen ("input-files="), ";", -1);

          g_string_append (text, "input-files=");
          for (guint f = 0; files[f] != NULL; f++)
            {
              g_autofree char *path = test_example_path (files[f]);
              g_autofree char *quoted = g_shell_quote (path);

              g_string_append_printf (text, "%s%s", f > 0 ? ";" : "", path);
              g_string_append_printf (sort, " %s", quoted);
            }
          g_string_append_c (text, '\n');
          continue;
        }
      g_string_append_printf (text, "%s\n", lines[i]);
    }
  run = test_run_keyfile ("wordcount.ini", text->str);
  test_run_assert_status (run, 0);

  /* The outputer's "word - count" lines, as sort | uniq -c counts. */
  g_string_append (sort, " | uniq -c | awk '{ print $2 \" - \" $1 }'");
  sh[2] = sort->str;
  reference = test_run (sh, NULL, TEST_RUN_MS);
  test_run_assert_status (reference, 0);
  out_lines = g_strsplit (run->out, "\n", -1);
  for (guint i = 0; out_lines[i] != NULL; i++)
    {
      const char *line = out_lines[i];

      if (strstr (line, "tasks done") != NULL)
        progress++;
      else if (strstr (line, " - ") != NULL && strstr (line, "map-reduce") == NULL)
        {
          g_string_append_printf (seen, "%s\n", line);
          total += g_ascii_strtoll (strstr (line, " - ") + 3, NULL, 10);
        }
      else if (line[0] != '\0' && g_ascii_isdigit (line[0]))
        g_assert_cmpint (g_ascii_strtoll (line, NULL, 10), ==, total);   /* the total */
    }
  g_assert_cmpstr (seen->str, ==, reference->out);
  g_assert_cmpint (total, >, 100);
  /* Progress: 1/4 … 4/4, and the summary. */
  g_assert_cmpuint (progress, ==, 5);
}

static void
test_run_nodes (void)
{
  g_autoptr(TestRun) run = NULL;
  const char *text =
    "[node a]\nhost=localhost\nlisten-port=0\n\n"
    "[node b]\nhost=localhost\nlisten-port=0\n\n"
    "[mapreduce]\n"
    "nodes=a;b\n"
    "module=" PROCS "\n"
    "mapper=split_mapper\n"
    "reducer=sum_reducer\n"
    "sorter=" PROCS ":reverse_sorter\n"
    "tasks=[[(int64 0, 'b a b')], [(int64 1, 'c a')], [(int64 2, '')]]\n"
    "print-result=true\n";

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  run = test_run_keyfile ("nodes.ini", text);
  test_run_assert_status (run, 0);
  g_assert_cmpstr (run->out, ==, "[('c', [1]), ('b', [2]), ('a', [2])]\n");
}

static void
test_run_errors (void)
{
  static const TestKeyfileCase cases[] = {
    { "[mapreduce]\nworkers=localhost:0\nmapper=" PROCS ":split_mapper\ntasks=[]\n", 2,
      { "errors.ini:", "[mapreduce]", "reducer=" } },
    { "[mapreduce]\nworkers=localhost:0\nmapper=split_mapper\nreducer=sum_reducer\ntasks=[]\n", 2,
      { "[mapreduce]", "mapper= (line 6)", "module=" } },
    { "[mapreduce]\nworkers=localhost:0\nmodule=" PROCS "\nmapper=\nreducer=sum_reducer\ntasks=[]\n", 2,
      { "[mapreduce]", "mapper= and reducer= are needed", NULL } },
    { "[mapreduce]\nworkers=localhost:0\nmodule=" PROCS "\nmapper=split_mapper\nreducer=sum_reducer\n"
      "tasks=[]\ninput-files=a.txt\n", 2, { "[mapreduce]", "tasks= or input-files=", NULL } },
    { "[mapreduce]\nmodule=" PROCS "\nmapper=split_mapper\nreducer=sum_reducer\ntasks=@aa(xs) []\n", 2,
      { "[mapreduce]", "workers=", NULL } },
    { "[mapreduce]\nworkers=localhost:0\nmodule=" PROCS "\nmapper=split_mapper\nreducer=sum_reducer\n"
      "tasks=[[(0, 'a b'\n", 2, { "[mapreduce]", "tasks= (line 9)", NULL } },
    { "[mapreduce]\nworkers=localhost:0\nmodule=" PROCS "\nmapper=split_mapper\nreducer=sum_reducer\n"
      "tasks=[]\nno-such-key=1\n", 2, { "errors.ini:", "no-such-key", NULL } },
    { "[mapreduce]\nworkers=localhost:0\nmodule=" PROCS "\nmapper=failing_mapper\nreducer=sum_reducer\n"
      "tasks=[[(0, 'a')]]\n", 1, { "map-reduce failed", "no luck", NULL } },
  };

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  test_run_keyfile_cases ("errors.ini", cases, G_N_ELEMENTS (cases));
}

static void
test_program_wordcount (void)
{
  g_autoptr(TestRun) run = NULL;
  g_autoptr(TestRun) reference = NULL;
  g_autoptr(GString) sort = g_string_new ("LC_ALL=C sort");
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  const char *sh[] = { "/bin/sh", "-c", NULL, NULL };

  if (!test_in_subprocess_within (SUBPROCESS_USEC))
    return;

  g_ptr_array_add (args, g_strdup ("--cookie-file"));
  g_ptr_array_add (args, g_strdup (test_sandbox_cookie_file ()));
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("wordcount/w%u.txt", i);
      char *path = test_example_path (name);
      g_autofree char *quoted = g_shell_quote (path);

      g_string_append_printf (sort, " %s", quoted);
      g_ptr_array_add (args, path);
    }
  g_ptr_array_add (args, NULL);
  run = test_run_program ("DP_WORDCOUNT_PROGRAM", (const char * const *) args->pdata, NULL, TEST_RUN_MS);
  test_run_assert_status (run, 0);

  /* "word - count" lines in order, then the total. */
  g_string_append (sort, " | uniq -c | awk '{ print $2 \" - \" $1; total += $1 } END { print total }'");
  sh[2] = sort->str;
  reference = test_run (sh, NULL, TEST_RUN_MS);
  test_run_assert_status (reference, 0);
  g_assert_cmpstr (run->out, ==, reference->out);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Nothing here may reach for the user's cookie. */
  tmp_dir = test_sandbox_init ("dplaces-mapreduce", TEST_COOKIE);

  g_test_add_func ("/mapreduce/wordcount/sort-uniq", test_wordcount_sort_uniq);
  g_test_add_func ("/mapreduce/sorter", test_sorter);
  g_test_add_func ("/mapreduce/combiner", test_combiner);
  g_test_add_func ("/mapreduce/outputer", test_outputer);
  g_test_add_func ("/mapreduce/empty", test_empty);
  g_test_add_func ("/mapreduce/one-worker", test_one_worker);
  g_test_add_func ("/mapreduce/more-tasks-than-workers", test_more_tasks_than_workers);
  g_test_add_func ("/mapreduce/big", test_big);
  g_test_add_func ("/mapreduce/worker-killed/threads", test_worker_killed);
  g_test_add_func ("/mapreduce/worker-killed/processes", test_worker_killed_processes);
  g_test_add_func ("/mapreduce/worker-killed/merging", test_worker_killed_merging);
  g_test_add_func ("/mapreduce/worker-killed/merging-processes", test_worker_killed_merging_processes);
  g_test_add_func ("/mapreduce/worker-killed/source-unread/threads", test_worker_killed_source_unread);
  g_test_add_func ("/mapreduce/worker-killed/source-unread/processes",
                   test_worker_killed_source_unread_processes);
  g_test_add_func ("/mapreduce/stale-give", test_stale_give);
  g_test_add_func ("/mapreduce/processes-backend", test_processes_backend);
  g_test_add_func ("/mapreduce/tuples", test_tuples);
  g_test_add_func ("/mapreduce/seed-mapper", test_seed_mapper);
  g_test_add_func ("/mapreduce/errors", test_errors);
  g_test_add_func ("/mapreduce/run/wordcount", test_run_wordcount);
  g_test_add_func ("/mapreduce/run/nodes", test_run_nodes);
  g_test_add_func ("/mapreduce/run/errors", test_run_errors);
  g_test_add_func ("/mapreduce/program/wordcount", test_program_wordcount);

  status = g_test_run ();
  test_sandbox_finish ();
  return status;
}
