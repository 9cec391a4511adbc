/* fuzz-common.c: what the harnesses share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

static gboolean verbose;

static GLogWriterOutput
quiet_writer (GLogLevelFlags   log_level,
              const GLogField *fields,
              gsize            n_fields,
              gpointer         user_data)
{
  /* Rejecting hostile input is the library's job, and it says so at
   * warning level each time: millions of lines under libFuzzer. */
  if (!verbose && !(log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL)))
    return G_LOG_WRITER_HANDLED;
  /* Criticals are fatal here, but g_log() (GLib's own g_return_if_fail())
   * asks the writer before it tells it so. */
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL))
    {
      g_autofree char *text = g_log_writer_format_fields (log_level, fields, n_fields, FALSE);

      /* GLib would stop with SIGTRAP, which libFuzzer does not catch:
       * abort, so that it saves the input. */
      fprintf (stderr, "%s\n", text);
      abort ();
    }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

void
fuzz_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      verbose = g_getenv ("FUZZ_VERBOSE") != NULL;
      g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
      g_log_set_writer_func (quiet_writer, NULL, NULL);
      g_once_init_leave (&done, 1);
    }
}

gboolean
fuzz_verbose (void)
{
  return verbose;
}

GVariant *
fuzz_message_new (const char   *type,
                  gsize         type_length,
                  const guint8 *value,
                  gsize         value_size)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) message = NULL;

  if (type_length >= 256 || strlen (type) != type_length || !g_variant_type_string_is_valid (type) ||
      !g_variant_type_is_definite (G_VARIANT_TYPE (type)))
    return NULL;
  bytes = g_bytes_new (value, value_size);
  message = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, FALSE));
  if (!g_variant_is_normal_form (message))
    return NULL;
  return g_steal_pointer (&message);
}

void
fuzz_fail (const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  fputs ("FUZZ CHECK FAILED: ", stderr);
  vfprintf (stderr, format, args);
  fputc ('\n', stderr);
  va_end (args);
  abort ();
}
