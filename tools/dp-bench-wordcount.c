/* dp-bench-wordcount.c: `dplaces bench wordcount` — the seeds' word count
 * with map-reduce on two workers, against `LC_ALL=C sort | uniq -c`
 *
 * A corpus is generated (8 files, 11 MiB in all, one word per line,
 * words drawn from a Zipf distribution over a vocabulary of 100 000,
 * always the same), counted by map-reduce on two worker nodes with the
 * wordcount example's mapper and reducer (each worker reads its files
 * itself, combines its tasks' counts locally and ships one compact table;
 * the pair then reduces half the words each), and by `LC_ALL=C sort
 * FILES | uniq -c` in the same run, in alternating rounds after one
 * warm-up of each. The counts must be equal, word for word, in the same order.
 * time_ms is the median map-reduce, from the call to the result in hand;
 * ref_ms the median sort | uniq -c. The nodes start before the timing.
 *
 * The mapreduce plugin is looked up at run time, as the host finds any
 * plugin: the host does not link it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-bench"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "dp-bench-private.h"

#define WORDCOUNT_FILES 8
#define WORDCOUNT_BYTES (11 * MIB)
#define WORDCOUNT_VOCABULARY 100000
#define WORDCOUNT_WORKERS 2
#define WORDCOUNT_ROUNDS 5

#define MAPREDUCE_MODULE "dplaces-mapreduce"

typedef GObject *  (*MakeWorkersFunc) (const char * const  *config,
                                       const DpNodeOptions *options,
                                       GError             **error);
typedef GType      (*GetTypeFunc)     (void);
typedef GVariant * (*RunJobFunc)      (GObject             *job,
                                       GCancellable        *cancellable,
                                       GError             **error);

/* The word of rank @rank: short for frequent ranks, as in a language. */
static char *
make_word (guint rank)
{
  guint64 state = rank * G_GUINT64_CONSTANT (2654435761) + 1;
  guint root = 1, length;
  char *word;

  /* 2 letters, plus the fourth root of the rank (at most 10), plus 0–2. */
  while ((guint64) (root + 1) * (root + 1) * (root + 1) * (root + 1) <= (guint64) rank + 1)
    root++;
  length = 2 + MIN (10, root) + dp_bench_next_random (&state) % 3;
  word = g_malloc (length + 1);

  for (guint i = 0; i < length; i++)
    word[i] = 'a' + dp_bench_next_random (&state) % 26;
  word[length] = '\0';
  return word;
}

/* Writes the corpus into @dir: returns the files, and the words in all. */
static GPtrArray *
make_corpus (const char  *dir,
             guint64     *out_words,
             guint64     *out_bytes,
             GError     **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) vocabulary = g_ptr_array_new_with_free_func (g_free);
  g_autofree double *cdf = g_new (double, WORDCOUNT_VOCABULARY);
  g_autofree guint *lengths = g_new (guint, WORDCOUNT_VOCABULARY);
  guint64 state = 42;
  double sum = 0, running = 0;

  *out_words = *out_bytes = 0;
  for (guint r = 0; r < WORDCOUNT_VOCABULARY; r++)
    {
      char *word = make_word (r);

      g_ptr_array_add (vocabulary, word);
      lengths[r] = strlen (word);
      sum += 1.0 / (r + 1);
    }
  for (guint r = 0; r < WORDCOUNT_VOCABULARY; r++)
    {
      running += 1.0 / (r + 1) / sum;
      cdf[r] = running;
    }

  for (guint f = 0; f < WORDCOUNT_FILES; f++)
    {
      g_autoptr(GString) text = g_string_sized_new (WORDCOUNT_BYTES / WORDCOUNT_FILES + 64);
      g_autofree char *name = g_strdup_printf ("w%u.txt", f);
      char *path = g_build_filename (dir, name, NULL);

      while (text->len < WORDCOUNT_BYTES / WORDCOUNT_FILES)
        {
          double u = (dp_bench_next_random (&state) >> 11) * (1.0 / 9007199254740992.0);
          guint low = 0, high = WORDCOUNT_VOCABULARY - 1;

          while (low < high)
            {
              guint middle = (low + high) / 2;

              if (cdf[middle] < u)
                low = middle + 1;
              else
                high = middle;
            }
          g_string_append_len (text, g_ptr_array_index (vocabulary, low), lengths[low]);
          g_string_append_c (text, '\n');
          (*out_words)++;
        }
      *out_bytes += text->len;
      g_ptr_array_add (files, path);
      if (!g_file_set_contents (path, text->str, text->len, error))
        return NULL;
    }

  return g_steal_pointer (&files);
}

/* `LC_ALL=C sort FILES | uniq -c > OUT`, in ms. */
static double
time_reference (GPtrArray   *files,
                const char  *out,
                GError     **error)
{
  g_autoptr(GString) command = g_string_new ("LC_ALL=C sort");
  g_autofree char *quoted_out = g_shell_quote (out);
  const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
  gint64 start;
  gint status;

  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *quoted = g_shell_quote (g_ptr_array_index (files, i));
      g_string_append_printf (command, " %s", quoted);
    }
  g_string_append_printf (command, " | uniq -c > %s", quoted_out);
  argv[2] = command->str;

  start = g_get_monotonic_time ();
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
                     error) ||
      !g_spawn_check_wait_status (status, error))
    return -1;
  return (g_get_monotonic_time () - start) / 1000.0;
}

/* Our result against uniq -c's lines: the same words, counts and order. */
static gboolean
same_counts (GVariant    *result,
             const char  *reference,
             guint64     *out_distinct,
             char       **out_problem)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  GVariantIter iter;
  const char *line;
  guint64 n = 0;

  if (!g_file_get_contents (reference, &text, NULL, &error))
    {
      *out_problem = g_strdup (error->message);
      return FALSE;
    }
  if (!g_variant_is_of_type (result, G_VARIANT_TYPE ("a(sax)")))
    {
      *out_problem = g_strdup_printf ("a result of type %s", g_variant_get_type_string (result));
      return FALSE;
    }

  line = text;
  g_variant_iter_init (&iter, result);
  for (;;)
    {
      g_autoptr(GVariant) entry = g_variant_iter_next_value (&iter);
      g_autoptr(GVariant) counts = NULL;
      const char *word, *end = strchr (line, '\n');
      gint64 count, expected;
      char *after;

      if (entry == NULL)
        break;
      g_variant_get (entry, "(&s@ax)", &word, &counts);
      if (end == NULL || g_variant_n_children (counts) != 1)
        {
          *out_problem = g_strdup_printf ("word %s: more words than sort | uniq -c counts, or not "
                                          "one count", word);
          return FALSE;
        }
      g_variant_get_child (counts, 0, "x", &count);
      expected = g_ascii_strtoll (line, &after, 10);
      if (*after == ' ')
        after++;
      if (expected != count || (gsize) (end - after) != strlen (word) ||
          strncmp (after, word, end - after) != 0)
        {
          g_autofree char *theirs = g_strndup (line, end - line);
          *out_problem = g_strdup_printf ("“%s” %" G_GINT64_FORMAT " where sort | uniq -c has “%s”",
                                          word, count, theirs);
          return FALSE;
        }
      line = end + 1;
      n++;
    }
  if (*line != '\0')
    {
      *out_problem = g_strdup_printf ("sort | uniq -c counts more words, from “%.40s”", line);
      return FALSE;
    }
  *out_distinct = n;
  return TRUE;
}

static void
remove_corpus (const char *dir,
               GPtrArray  *files,
               const char *reference)
{
  for (guint i = 0; files != NULL && i < files->len; i++)
    g_unlink (g_ptr_array_index (files, i));
  g_unlink (reference);
  g_rmdir (dir);
}

int
dp_bench_wordcount (int    argc,
                    char **argv)
{
  gboolean json = FALSE;
  gint rounds = WORDCOUNT_ROUNDS;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "End with one JSON object", NULL },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Timed rounds of each (default 5)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— word count with map-reduce on two workers, and sort | uniq -c");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GObject) workers = NULL;
  g_autoptr(GVariant) tasks = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *reference = NULL;
  g_autofree double *ours = NULL;
  g_autofree double *theirs = NULL;
  g_autofree char *problem = NULL;
  g_auto(GVariantBuilder) task_builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aa(xs)"));
  DpPluginRegistry *registry = dp_plugin_registry_get_default ();
  const char *config[WORDCOUNT_WORKERS + 1] = { NULL };
  MakeWorkersFunc make_workers;
  GetTypeFunc job_get_type;
  RunJobFunc run_job;
  DpNodeOptions options;
  guint64 words = 0, bytes = 0, distinct = 0;
  gboolean exact = TRUE;
  double time_ms, ref_ms;
  gint status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || rounds < 1)
    {
      g_printerr ("dplaces bench wordcount: %s\n", error != NULL ? error->message : "--rounds must be at least 1");
      return 2;
    }

  make_workers = dp_plugin_registry_lookup_symbol (registry, MAPREDUCE_MODULE, "dp_make_map_reduce_workers", &error);
  job_get_type = make_workers == NULL ? NULL
               : dp_plugin_registry_lookup_symbol (registry, MAPREDUCE_MODULE, "dp_map_reduce_job_get_type", &error);
  run_job = job_get_type == NULL ? NULL
          : dp_plugin_registry_lookup_symbol (registry, MAPREDUCE_MODULE, "dp_map_reduce_job_run", &error);
  if (run_job == NULL)
    {
      g_printerr ("dplaces bench wordcount: the mapreduce plugin is needed: %s\n", error->message);
      return 1;
    }

  dir = g_dir_make_tmp ("dplaces-bench-wordcount-XXXXXX", &error);
  if (dir == NULL)
    {
      g_printerr ("dplaces bench wordcount: %s\n", error->message);
      return 1;
    }
  reference = g_build_filename (dir, "sort-uniq.txt", NULL);
  files = make_corpus (dir, &words, &bytes, &error);
  if (files == NULL)
    goto failed;
  for (guint i = 0; i < files->len; i++)
    {
      g_variant_builder_open (&task_builder, G_VARIANT_TYPE ("a(xs)"));
      g_variant_builder_add (&task_builder, "(xs)", (gint64) i, g_ptr_array_index (files, i));
      g_variant_builder_close (&task_builder);
    }
  tasks = g_variant_ref_sink (g_variant_builder_end (&task_builder));

  for (guint i = 0; i < WORDCOUNT_WORKERS; i++)
    config[i] = "localhost:0";
  dp_node_options_init (&options);
  options.listen_port = 0;
  options.launcher = "local";
  workers = make_workers (config, &options, &error);
  if (workers == NULL)
    goto failed;

  /* Round 0 warms up both (page cache, modules loaded on the nodes). */
  ours = g_new (double, rounds);
  theirs = g_new (double, rounds);
  for (gint r = 0; r <= rounds; r++)
    {
      g_autoptr(GObject) job = g_object_new (job_get_type (),
                                             "workers", workers,
                                             "tasks", tasks,
                                             "mapper", "wordcount:mapper",
                                             "reducer", "wordcount:reducer",
                                             NULL);
      g_autoptr(GVariant) result = NULL;
      double reference_ms = time_reference (files, reference, &error);
      gint64 start;

      if (reference_ms < 0)
        goto failed;
      start = g_get_monotonic_time ();
      result = run_job (job, NULL, &error);
      if (result == NULL)
        goto failed;
      if (r == 0)
        {
          exact = same_counts (result, reference, &distinct, &problem);
          continue;
        }
      ours[r - 1] = (g_get_monotonic_time () - start) / 1000.0;
      theirs[r - 1] = reference_ms;
    }
  time_ms = dp_bench_median (ours, rounds);
  ref_ms = dp_bench_median (theirs, rounds);

  printf ("corpus: %u files, %.1f MiB, %" G_GUINT64_FORMAT " words, %" G_GUINT64_FORMAT " distinct (Zipf)\n",
          WORDCOUNT_FILES, bytes / (double) MIB, words, distinct);
  printf ("map-reduce on %u workers:  %.1f ms (median of %d)\n", WORDCOUNT_WORKERS, time_ms, rounds);
  printf ("LC_ALL=C sort | uniq -c:   %.1f ms (median of %d)\n", ref_ms, rounds);
  printf ("ratio %.2f; counts %s\n", time_ms / ref_ms,
          exact ? "equal to sort | uniq -c" : "DIFFER from sort | uniq -c");
  if (!exact)
    {
      g_printerr ("dplaces bench wordcount: %s\n", problem);
      status = 1;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, "wordcount");
  dp_bench_add_double (builder, "time_ms", time_ms);
  dp_bench_add_double (builder, "ref_ms", ref_ms);
  json_builder_set_member_name (builder, "files");
  json_builder_add_int_value (builder, WORDCOUNT_FILES);
  json_builder_set_member_name (builder, "bytes");
  json_builder_add_int_value (builder, bytes);
  json_builder_set_member_name (builder, "words");
  json_builder_add_int_value (builder, words);
  json_builder_set_member_name (builder, "distinct");
  json_builder_add_int_value (builder, distinct);
  json_builder_set_member_name (builder, "workers");
  json_builder_add_int_value (builder, WORDCOUNT_WORKERS);
  json_builder_set_member_name (builder, "exact");
  json_builder_add_boolean_value (builder, exact);
  json_builder_end_object (builder);
  if (json)
    dp_bench_print_json (builder);

  remove_corpus (dir, files, reference);
  return status;

failed:
  g_printerr ("dplaces bench wordcount: %s\n", error->message);
  remove_corpus (dir, files, reference);
  return 1;
}
