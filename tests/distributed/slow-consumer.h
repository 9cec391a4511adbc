/* slow-consumer.h: what the slow-consumer test (test-distributed.c) and
 * its consumer place (dist-places.c) share: the messages' bytes, and a
 * process's memory as Linux reports it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

/* Message i is (i, bytes) with bytes a window of a fixed pattern starting
 * at i mod SLOW_PATTERN_PERIOD, so that a message swapped, cut or
 * repeated is seen. */
#define SLOW_PATTERN_PERIOD 251

static inline guint8 *
slow_pattern_new (gsize size)
{
  guint8 *pattern = g_malloc (size + SLOW_PATTERN_PERIOD);

  for (gsize k = 0; k < size + SLOW_PATTERN_PERIOD; k++)
    pattern[k] = (guint8) (k * 7 + 3);
  return pattern;
}

static inline const guint8 *
slow_pattern_at (const guint8 *pattern,
                 guint64       seq)
{
  return pattern + seq % SLOW_PATTERN_PERIOD;
}

/* A field of /proc/PID/status in KiB (VmRSS, VmHWM), or 0; @pid 0 is this
 * process. */
static inline guint64
slow_status_kib (GPid        pid,
                 const char *field)
{
  g_autofree char *path = pid != 0 ? g_strdup_printf ("/proc/%d/status", pid)
                                   : g_strdup ("/proc/self/status");
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  gsize field_length = strlen (field);

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], field, field_length) == 0 && lines[i][field_length] == ':')
      return g_ascii_strtoull (lines[i] + field_length + 1, NULL, 10);
  return 0;
}

/* Makes VmHWM, the peak resident size, start again from now (Linux 4.0). */
static inline gboolean
slow_reset_peak (GPid pid)
{
  g_autofree char *path = pid != 0 ? g_strdup_printf ("/proc/%d/clear_refs", pid)
                                   : g_strdup ("/proc/self/clear_refs");
  /* Not g_file_set_contents(): it would replace the file. */
  int fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);
  gboolean done;

  if (fd < 0)
    return FALSE;
  done = write (fd, "5", 1) == 1;
  close (fd);
  return done;
}
