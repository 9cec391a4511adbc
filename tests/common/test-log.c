/* test-log.c: the log lines of the dplaces domain that reach this process
 *
 * What places and nodes log reaches the root, this process, in the
 * dplaces domain: a test waits for the line it expects there.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "test-common.h"
#include "test-log.h"

typedef struct {
  GLogLevelFlags level;
  char *message;
} Line;

static GMutex log_lock;
static GCond log_cond;
static GArray *log_lines;     /* of Line, under log_lock */
static gboolean log_pass_on;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0)
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
        message = fields[i].value;
    }

  if (g_strcmp0 (domain, "dplaces") == 0 && message != NULL)
    {
      Line line = { level & G_LOG_LEVEL_MASK, g_strdup (message) };

      g_mutex_lock (&log_lock);
      g_array_append_val (log_lines, line);
      g_cond_broadcast (&log_cond);
      g_mutex_unlock (&log_lock);
      if (!log_pass_on)
        return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/**
 * test_log_capture:
 * @pass_on: whether the lines captured go on to GLib's default writer
 *   too; when not, they are the test's alone: not printed, and a warning
 *   among them is not fatal
 *
 * Captures the dplaces domain's log lines from now on, for
 * [func@test_log_wait]. Call it once, before g_test_init().
 */
void
test_log_capture (gboolean pass_on)
{
  g_assert_null (log_lines);
  log_lines = g_array_new (FALSE, FALSE, sizeof (Line));
  log_pass_on = pass_on;
  g_log_set_writer_func (capture_writer, NULL, NULL);
}

/**
 * test_log_wait:
 * @levels: the levels the line may have (%G_LOG_LEVEL_WARNING …); 0 for any
 * @needles: what the line holds, every one of them
 *
 * Waits for a line captured since [func@test_log_capture] at one of
 * @levels that holds every one of @needles, for at most TEST_WAIT_USEC.
 *
 * Returns: (transfer full) (nullable): a copy of the first such line's
 *   message, or %NULL (and a note) when none came
 */
char *
test_log_wait (GLogLevelFlags      levels,
               const char * const *needles)
{
  gint64 end_time = g_get_monotonic_time () + TEST_WAIT_USEC;
  char *found = NULL;
  guint seen = 0;

  g_assert_nonnull (log_lines);
  g_mutex_lock (&log_lock);
  while (found == NULL)
    {
      for (; seen < log_lines->len && found == NULL; seen++)
        {
          const Line *line = &g_array_index (log_lines, Line, seen);
          gboolean all = levels == 0 || (line->level & levels) != 0;

          for (guint i = 0; needles[i] != NULL && all; i++)
            all = strstr (line->message, needles[i]) != NULL;
          if (all)
            found = g_strdup (line->message);
        }
      if (found == NULL && !g_cond_wait_until (&log_cond, &log_lock, end_time))
        break;
    }
  g_mutex_unlock (&log_lock);

  if (found == NULL)
    {
      g_autofree char *text = g_strjoinv ("”, “", (char **) needles);

      test_note ("no log line with “%s” came", text);
    }
  return found;
}

/* Whether a line at one of @levels (0: any) with @needle comes within
 * TEST_WAIT_USEC: [func@test_log_wait] for one needle. */
gboolean
test_log_seen (GLogLevelFlags  levels,
               const char     *needle)
{
  const char *needles[] = { needle, NULL };
  g_autofree char *line = test_log_wait (levels, needles);

  return line != NULL;
}
