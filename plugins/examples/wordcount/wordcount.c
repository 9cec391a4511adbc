/* wordcount.c: the seeds' word count (dissertation §4.3.3) as a
 * MapReduce module
 *
 *   (define/provide (mapper kvs)
 *     (for/first ([kv kvs])
 *       (match kv
 *         [(cons k v)
 *          (with-input-from-file v
 *            (lambda ()
 *              (let loop ([result null])
 *                (define l (read-line))
 *                (if (eof-object? l)
 *                    result
 *                    (loop (cons (cons l 1) result))))))])))
 *
 *   (define/provide (reducer kvs)
 *     (for/list ([kv kvs])
 *       (match kv
 *         [(cons k v)
 *          (cons k (list (for/fold ([sum 0]) ([x v]) (+ sum x))))])))
 *
 *   (define/provide (outputer kvs)
 *     (displayln
 *       (for/fold ([sum 0]) ([kv kvs])
 *         (printf "~a - ~a\n" (car kv) (cadr kv))
 *         (+ sum (cadr kv)))))
 *
 * A task is a list of (number, file) pairs; the mapper reads the first
 * pair's file, one word per line, and emits (word, 1) for each line. The
 * reducer sums a word's counts: in C, the body of the seeds' for/list,
 * called per word. The outputer prints "word - count" lines and the
 * total, and returns the total.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <string.h>

#include "wordcount.h"

/* The path in a task's first (key, value) pair, the value a string or a
 * variant holding one. */
static const char *
task_file (GVariant  *task,
           GVariant **holder,
           GError   **error)
{
  g_autoptr(GVariant) pair = NULL;
  g_autoptr(GVariant) value = NULL;

  if (!g_variant_is_container (task) || g_variant_n_children (task) == 0)
    return NULL;
  pair = g_variant_get_child_value (task, 0);
  if (!g_variant_is_container (pair) || g_variant_n_children (pair) != 2)
    goto bad;
  value = g_variant_get_child_value (pair, 1);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *inner = g_variant_get_variant (value);
      g_variant_unref (value);
      value = inner;
    }
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    goto bad;
  *holder = g_steal_pointer (&value);
  return g_variant_get_string (*holder, NULL);

bad:
  g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
               "a task is a list of (number, file) pairs, got a value of type “%s”",
               g_variant_get_type_string (task));
  return NULL;
}

/* (word, 1) for each line of the task's file: lines end with \n, as
 * read-line's do; a last line without one counts too. */
gboolean
mapper (GVariant            *task,
        DpMapReduceEmitter  *emitter,
        GError             **error)
{
  g_autoptr(GVariant) holder = NULL;
  g_autoptr(GVariant) one = g_variant_ref_sink (g_variant_new_int64 (1));
  g_autoptr(GMappedFile) file = NULL;
  const char *path = task_file (task, &holder, error);
  const char *text, *end;

  if (path == NULL)
    return error == NULL || *error == NULL;     /* an empty task maps to nothing */

  file = g_mapped_file_new (path, FALSE, error);
  if (file == NULL)
    return FALSE;

  /* An empty file maps to no memory at all. */
  text = g_mapped_file_get_contents (file);
  if (text == NULL)
    return TRUE;
  end = text + g_mapped_file_get_length (file);
  while (text < end)
    {
      const char *newline = memchr (text, '\n', end - text);
      const char *stop = newline != NULL ? newline : end;

      /* The emitter says why when it refuses a word: stop there. */
      if (!dp_map_reduce_emit_string (emitter, text, stop - text, one))
        return TRUE;
      text = stop + 1;
    }
  return TRUE;
}

/* A word's counts, summed. */
GVariant *
reducer (GVariant  *key,
         GVariant  *values,
         GError   **error)
{
  const gint64 *counts;
  gint64 sum = 0;
  gsize n;

  if (!g_variant_is_of_type (values, G_VARIANT_TYPE ("ax")))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "counts are integers (ax), got a value of type “%s”",
                   g_variant_get_type_string (values));
      return NULL;
    }
  counts = g_variant_get_fixed_array (values, &n, sizeof (gint64));
  for (gsize i = 0; i < n; i++)
    sum += counts[i];
  return g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, &sum, 1, sizeof (gint64));
}

/* Prints "word - count" per word and the total; returns the total. */
GVariant *
outputer (GVariant  *result,
          GError   **error)
{
  GVariantIter iter;
  GVariant *entry;
  gint64 sum = 0;

  if (!g_variant_is_of_type (result, G_VARIANT_TYPE ("a(sax)")) &&
      !(g_variant_is_of_type (result, G_VARIANT_TYPE ("a(vav)")) && g_variant_n_children (result) == 0))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "expected (word, counts) pairs, a(sax), got a value of type “%s”",
                   g_variant_get_type_string (result));
      return NULL;
    }

  g_variant_iter_init (&iter, result);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *word;
      g_autoptr(GVariant) counts = NULL;
      gint64 count = 0;

      g_variant_get (entry, "(&s@ax)", &word, &counts);
      if (g_variant_n_children (counts) > 0)
        g_variant_get_child (counts, 0, "x", &count);
      printf ("%s - %" G_GINT64_FORMAT "\n", word, count);
      sum += count;
      g_variant_unref (entry);
    }
  printf ("%" G_GINT64_FORMAT "\n", sum);
  fflush (stdout);
  return g_variant_new_int64 (sum);
}
