/* test-lines.h: what a process writes, read line by line on a thread of
 * its own, or caught on a pipe
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * TestLines:
 * @lock: guards @lines and @eof
 * @lines: (element-type utf8): every line read so far
 * @eof: the stream has ended
 *
 * A thread reads @stream line by line into @lines until its end.
 */
typedef struct {
  GMutex lock;
  GCond cond;
  GPtrArray *lines;
  gboolean eof;

  /*< private >*/
  GDataInputStream *input;
  GThread *thread;
} TestLines;

TestLines *test_lines_new   (GInputStream       *stream);
void       test_lines_free  (TestLines          *lines);
guint      test_lines_count (TestLines          *lines);
char      *test_lines_wait  (TestLines          *lines,
                             guint               from,
                             const char * const *needles,
                             gint64              timeout_usec);
void       test_lines_note  (TestLines          *lines,
                             guint               from,
                             const char         *what);

guint      test_count_substrings (const char     *text,
                                  const char     *needle);

/**
 * TestStdout:
 * @fd: the read end of the pipe this process's standard output goes to
 *
 * This process's standard output, caught: see [func@test_stdout_catch].
 */
typedef struct {
  int fd;

  /*< private >*/
  int saved;
} TestStdout;

void       test_stdout_catch   (TestStdout       *caught);
void       test_stdout_release (TestStdout       *caught);
gboolean   test_read_fd_until  (int               fd,
                                const char       *needle,
                                guint             times,
                                GString          *seen);

G_END_DECLS
