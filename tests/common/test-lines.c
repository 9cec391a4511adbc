/* test-lines.c: what a process writes, read line by line on a thread of
 * its own, or caught on a pipe
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "test-common.h"
#include "test-lines.h"

static gpointer
lines_thread (gpointer data)
{
  TestLines *lines = data;

  for (;;)
    {
      char *line = g_data_input_stream_read_line_utf8 (lines->input, NULL, NULL, NULL);

      g_mutex_lock (&lines->lock);
      if (line != NULL)
        g_ptr_array_add (lines->lines, line);
      else
        lines->eof = TRUE;
      g_cond_broadcast (&lines->cond);
      g_mutex_unlock (&lines->lock);
      if (line == NULL)
        return NULL;
    }
}

TestLines *
test_lines_new (GInputStream *stream)
{
  TestLines *lines = g_new0 (TestLines, 1);

  g_mutex_init (&lines->lock);
  g_cond_init (&lines->cond);
  lines->lines = g_ptr_array_new_with_free_func (g_free);
  lines->input = g_data_input_stream_new (stream);
  lines->thread = g_thread_new ("lines", lines_thread, lines);
  return lines;
}

/* After the stream has ended. */
void
test_lines_free (TestLines *lines)
{
  g_thread_join (lines->thread);
  g_object_unref (lines->input);
  g_ptr_array_unref (lines->lines);
  g_mutex_clear (&lines->lock);
  g_cond_clear (&lines->cond);
  g_free (lines);
}

guint
test_lines_count (TestLines *lines)
{
  guint n;

  g_mutex_lock (&lines->lock);
  n = lines->lines->len;
  g_mutex_unlock (&lines->lock);
  return n;
}

/* Waits for a line, from the @from-th on, that holds every one of
 * @needles; returns a copy of it, or %NULL when none came in time or the
 * stream ended without one. */
char *
test_lines_wait (TestLines          *lines,
                 guint               from,
                 const char * const *needles,
                 gint64              timeout_usec)
{
  gint64 end_time = g_get_monotonic_time () + timeout_usec;
  char *found = NULL;

  g_mutex_lock (&lines->lock);
  while (found == NULL)
    {
      for (guint i = from; i < lines->lines->len && found == NULL; i++)
        {
          const char *line = g_ptr_array_index (lines->lines, i);
          gboolean all = TRUE;

          for (guint k = 0; needles[k] != NULL && all; k++)
            all = strstr (line, needles[k]) != NULL;
          if (all)
            found = g_strdup (line);
        }
      if (found != NULL || lines->eof || !g_cond_wait_until (&lines->cond, &lines->lock, end_time))
        break;
    }
  g_mutex_unlock (&lines->lock);
  return found;
}

/* How many times @needle is in @text (%NULL: none). */
guint
test_count_substrings (const char *text,
                       const char *needle)
{
  guint n = 0;

  for (const char *p = text; p != NULL && (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* Reads @fd into @seen until @needle is in it @times times (a process's
 * output caught on a pipe, say), for at most TEST_WAIT_USEC. Returns
 * FALSE if the time ran out or @fd ended first. */
gboolean
test_read_fd_until (int         fd,
                    const char *needle,
                    guint       times,
                    GString    *seen)
{
  gint64 end_time = g_get_monotonic_time () + TEST_WAIT_USEC;

  while (test_count_substrings (seen->str, needle) < times)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left = (end_time - g_get_monotonic_time ()) / 1000;
      char buffer[256];
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
        return FALSE;
      n = read (fd, buffer, sizeof buffer);
      if (n <= 0)
        return FALSE;
      g_string_append_len (seen, buffer, n);
    }
  return TRUE;
}

/**
 * test_stdout_catch:
 * @caught: (out caller-allocates): where this process's standard output
 *   now goes
 *
 * Sends this process's standard output to a pipe, whose read end is
 * @caught->fd, until [func@test_stdout_release]: for what is forwarded
 * there, such as a supervised process's output, read with
 * [func@test_read_fd_until]. Nothing in between may fail the test: its
 * report would go down the pipe.
 */
void
test_stdout_catch (TestStdout *caught)
{
  int fds[2];

  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  fflush (stdout);
  caught->saved = fcntl (STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  g_assert_cmpint (caught->saved, >=, 0);
  g_assert_cmpint (dup2 (fds[1], STDOUT_FILENO), ==, STDOUT_FILENO);
  close (fds[1]);
  caught->fd = fds[0];
}

/* Gives this process its standard output back, and closes @caught's
 * pipe. */
void
test_stdout_release (TestStdout *caught)
{
  fflush (stdout);
  g_assert_cmpint (dup2 (caught->saved, STDOUT_FILENO), ==, STDOUT_FILENO);
  close (caught->saved);
  close (caught->fd);
  caught->saved = caught->fd = -1;
}

/* Notes every line from the @from-th on, each after @what. */
void
test_lines_note (TestLines  *lines,
                 guint       from,
                 const char *what)
{
  g_mutex_lock (&lines->lock);
  for (guint i = from; i < lines->lines->len; i++)
    test_note ("%s: %s", what, (const char *) g_ptr_array_index (lines->lines, i));
  g_mutex_unlock (&lines->lock);
}
