/* mr-test-procs.c: the procedures the map-reduce tests name
 *
 * A task is a list of (number, text) pairs; most mappers split the text
 * of each pair on spaces and emit (word, 1).
 *
 *   split_mapper        (word, 1) for each word
 *   pairs_mapper        the same, written as the seeds' mapper: builds the
 *                       list of pairs and hands it over whole
 *   tuple_mapper        ((word, length), 'tN') for each word of task N:
 *                       tuple keys, string values
 *   blocking_mapper     as split_mapper; but the first attempt anywhere
 *                       at a task with a pair (-1, DIR), by a process that
 *                       mapped a task before, writes its process id to the
 *                       FIFO DIR/fifo and waits to be killed
 *   failing_mapper      fails, saying "no luck"
 *   mixed_mapper        emits a string key, then a number key
 *   sum_reducer         sums the values
 *   thousand_combiner   sums the values and multiplies by 1000
 *   union_reducer       the sorted set of the values (strings)
 *   killing_reducer     sum_reducer; but the first call anywhere, when
 *                       $MR_TEST_KILL_DIR is set, kills its own process
 *   reverse_sorter      strings in reverse byte order
 *   caseless_sorter     strings ignoring ASCII case
 *   total_outputer      (number of keys, sum of the first values)
 *   null_outputer       returns NULL: map-reduce returns the result
 *   dying_source        a place: kills its process (its node) on the
 *                       first request a peer sends it through a
 *                       connection, without reading the channel it names
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <dplaces/dplaces-mapreduce.h>

G_MODULE_EXPORT gboolean  split_mapper      (GVariant *task, DpMapReduceEmitter *emitter, GError **error);
G_MODULE_EXPORT gboolean  pairs_mapper      (GVariant *task, DpMapReduceEmitter *emitter, GError **error);
G_MODULE_EXPORT gboolean  tuple_mapper      (GVariant *task, DpMapReduceEmitter *emitter, GError **error);
G_MODULE_EXPORT gboolean  blocking_mapper   (GVariant *task, DpMapReduceEmitter *emitter, GError **error);
G_MODULE_EXPORT gboolean  failing_mapper    (GVariant *task, DpMapReduceEmitter *emitter, GError **error);
G_MODULE_EXPORT gboolean  mixed_mapper      (GVariant *task, DpMapReduceEmitter *emitter, GError **error);
G_MODULE_EXPORT GVariant *sum_reducer       (GVariant *key, GVariant *values, GError **error);
G_MODULE_EXPORT GVariant *thousand_combiner (GVariant *key, GVariant *values, GError **error);
G_MODULE_EXPORT GVariant *union_reducer     (GVariant *key, GVariant *values, GError **error);
G_MODULE_EXPORT GVariant *killing_reducer   (GVariant *key, GVariant *values, GError **error);
G_MODULE_EXPORT gint      reverse_sorter    (GVariant *a, GVariant *b);
G_MODULE_EXPORT gint      caseless_sorter   (GVariant *a, GVariant *b);
G_MODULE_EXPORT GVariant *total_outputer    (GVariant *result, GError **error);
G_MODULE_EXPORT GVariant *null_outputer     (GVariant *result, GError **error);
G_MODULE_EXPORT void      dying_source      (DpChannel *channel);

/* Calls @word for each word of each text of @task. */
static gboolean
for_each_word (GVariant  *task,
               gboolean (*word) (const char *text, gsize length, gint64 number, gpointer data),
               gpointer   data)
{
  GVariantIter iter;
  const char *text;
  gint64 number;

  g_variant_iter_init (&iter, task);
  while (g_variant_iter_next (&iter, "(x&s)", &number, &text))
    {
      if (number < 0)
        continue;
      while (*text != '\0')
        {
          gsize length = strcspn (text, " ");

          if (length > 0 && !word (text, length, number, data))
            return FALSE;
          text += length;
          text += strspn (text, " ");
        }
    }
  return TRUE;
}

static gboolean
check_task (GVariant  *task,
            GError   **error)
{
  if (g_variant_is_of_type (task, G_VARIANT_TYPE ("a(xs)")))
    return TRUE;
  g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "a task is a(xs), got %s",
               g_variant_get_type_string (task));
  return FALSE;
}

typedef struct {
  DpMapReduceEmitter *emitter;
  GVariant *one;
} Emitting;

static gboolean
emit_one (const char *text,
          gsize       length,
          gint64      number,
          gpointer    data)
{
  Emitting *emitting = data;

  return dp_map_reduce_emit_string (emitting->emitter, text, length, emitting->one);
}

gboolean
split_mapper (GVariant            *task,
              DpMapReduceEmitter  *emitter,
              GError             **error)
{
  Emitting emitting = { emitter, g_variant_ref_sink (g_variant_new_int64 (1)) };

  if (check_task (task, error))
    for_each_word (task, emit_one, &emitting);
  g_variant_unref (emitting.one);
  return error == NULL || *error == NULL;
}

static gboolean
add_pair (const char *text,
          gsize       length,
          gint64      number,
          gpointer    data)
{
  g_autofree char *word = g_strndup (text, length);

  g_variant_builder_add (data, "(sx)", word, (gint64) 1);
  return TRUE;
}

gboolean
pairs_mapper (GVariant            *task,
              DpMapReduceEmitter  *emitter,
              GError             **error)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(sx)"));

  if (!check_task (task, error))
    return FALSE;
  for_each_word (task, add_pair, &builder);
  return dp_map_reduce_emit_pairs (emitter, g_variant_builder_end (&builder));
}

static gboolean
emit_tuple (const char *text,
            gsize       length,
            gint64      number,
            gpointer    data)
{
  g_autofree char *word = g_strndup (text, length);
  g_autofree char *source = g_strdup_printf ("t%" G_GINT64_FORMAT, number);

  return dp_map_reduce_emit (data, g_variant_new ("(sx)", word, (gint64) length),
                             g_variant_new_string (source));
}

gboolean
tuple_mapper (GVariant            *task,
              DpMapReduceEmitter  *emitter,
              GError             **error)
{
  if (!check_task (task, error))
    return FALSE;
  for_each_word (task, emit_tuple, emitter);
  return TRUE;
}

/* The directory of a (-1, DIR) pair, if the task has one. */
static const char *
control_dir (GVariant *task)
{
  GVariantIter iter;
  const char *text;
  gint64 number;

  g_variant_iter_init (&iter, task);
  while (g_variant_iter_next (&iter, "(x&s)", &number, &text))
    if (number == -1)
      return text;
  return NULL;
}

gboolean
blocking_mapper (GVariant            *task,
                 DpMapReduceEmitter  *emitter,
                 GError             **error)
{
  /* Tasks this process mapped: a worker's, one worker to a process. Its
   * first task never blocks, so the worker killed holds the output of
   * another, whichever the controller gives it and however late its
   * worker was ready. */
  static gint mapped;
  const char *dir;

  if (!check_task (task, error))
    return FALSE;

  dir = control_dir (task);
  if (dir != NULL && g_atomic_int_add (&mapped, 1) > 0)
    {
      g_autofree char *claim = g_build_filename (dir, "claimed", NULL);
      int fd = open (claim, O_CREAT | O_EXCL | O_WRONLY, 0600);

      if (fd >= 0)
        {
          /* The first attempt: say who we are, then wait to be killed. */
          g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
          g_autofree char *pid = g_strdup_printf ("%d\n", (int) getpid ());
          static GMutex mutex;
          static GCond cond;
          int out;

          close (fd);
          out = open (fifo, O_WRONLY);
          if (out >= 0)
            {
              if (write (out, pid, strlen (pid)) < 0)
                g_warning ("cannot write to %s: %s", fifo, g_strerror (errno));
              close (out);
            }
          g_mutex_lock (&mutex);
          for (;;)
            g_cond_wait (&cond, &mutex);
        }
    }
  return split_mapper (task, emitter, error);
}

gboolean
failing_mapper (GVariant            *task,
                DpMapReduceEmitter  *emitter,
                GError             **error)
{
  g_set_error_literal (error, DP_ERROR, DP_ERROR_FAILED, "no luck");
  return FALSE;
}

gboolean
mixed_mapper (GVariant            *task,
              DpMapReduceEmitter  *emitter,
              GError             **error)
{
  dp_map_reduce_emit (emitter, g_variant_new_string ("one"), g_variant_new_int64 (1));
  dp_map_reduce_emit (emitter, g_variant_new_int64 (2), g_variant_new_int64 (1));
  return TRUE;
}

static gboolean
sum (GVariant  *values,
     gint64    *out,
     GError   **error)
{
  const gint64 *numbers;
  gsize n;

  if (!g_variant_is_of_type (values, G_VARIANT_TYPE ("ax")))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "values of type %s",
                   g_variant_get_type_string (values));
      return FALSE;
    }
  numbers = g_variant_get_fixed_array (values, &n, sizeof (gint64));
  *out = 0;
  for (gsize i = 0; i < n; i++)
    *out += numbers[i];
  return TRUE;
}

GVariant *
sum_reducer (GVariant  *key,
             GVariant  *values,
             GError   **error)
{
  gint64 total;

  if (!sum (values, &total, error))
    return NULL;
  return g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, &total, 1, sizeof (gint64));
}

GVariant *
thousand_combiner (GVariant  *key,
                   GVariant  *values,
                   GError   **error)
{
  gint64 total;

  if (!sum (values, &total, error))
    return NULL;
  total *= 1000;
  return g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, &total, 1, sizeof (gint64));
}

GVariant *
killing_reducer (GVariant  *key,
                 GVariant  *values,
                 GError   **error)
{
  const char *dir = g_getenv ("MR_TEST_KILL_DIR");

  if (dir != NULL)
    {
      g_autofree char *claim = g_build_filename (dir, "claimed", NULL);
      int fd = open (claim, O_CREAT | O_EXCL | O_WRONLY, 0600);

      if (fd >= 0)
        {
          close (fd);
          kill (getpid (), SIGKILL);
        }
    }
  return sum_reducer (key, values, error);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GVariant *
union_reducer (GVariant  *key,
               GVariant  *values,
               GError   **error)
{
  g_autoptr(GPtrArray) strings = g_ptr_array_new ();
  GVariantBuilder builder;
  GVariantIter iter;
  const char *value;

  if (!g_variant_is_of_type (values, G_VARIANT_TYPE ("as")))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "values of type %s, not strings",
                   g_variant_get_type_string (values));
      return NULL;
    }
  g_variant_iter_init (&iter, values);
  while (g_variant_iter_next (&iter, "&s", &value))
    g_ptr_array_add (strings, (gpointer) value);
  g_ptr_array_sort (strings, compare_strings);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("as"));
  for (guint i = 0; i < strings->len; i++)
    if (i == 0 || strcmp (g_ptr_array_index (strings, i - 1), g_ptr_array_index (strings, i)) != 0)
      g_variant_builder_add (&builder, "s", g_ptr_array_index (strings, i));
  return g_variant_builder_end (&builder);
}

gint
reverse_sorter (GVariant *a,
                GVariant *b)
{
  return -strcmp (g_variant_get_string (a, NULL), g_variant_get_string (b, NULL));
}

gint
caseless_sorter (GVariant *a,
                 GVariant *b)
{
  return g_ascii_strcasecmp (g_variant_get_string (a, NULL), g_variant_get_string (b, NULL));
}

GVariant *
total_outputer (GVariant  *result,
                GError   **error)
{
  GVariantIter iter;
  GVariant *entry;
  gint64 total = 0, keys = 0;

  g_variant_iter_init (&iter, result);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) values = g_variant_get_child_value (entry, 1);
      gint64 first = 0;

      if (g_variant_n_children (values) > 0)
        g_variant_get_child (values, 0, "x", &first);
      total += first;
      keys++;
      g_variant_unref (entry);
    }
  return g_variant_new ("(xx)", keys, total);
}

GVariant *
null_outputer (GVariant  *result,
               GError   **error)
{
  return NULL;
}

void
dying_source (DpChannel *channel)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (channel, NULL);

      if (message == NULL)
        return;
      if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(vh)")))
        kill (getpid (), SIGKILL);
    }
}
