/* dp-log.c: how the dplaces host logs
 *
 * Structured logging through GLib's writer, one log domain per component
 * (dplaces-node, dplaces-channel, …), filtered by the keyfile's log-level.
 * G_MESSAGES_DEBUG still turns on debug output per domain, as anywhere in
 * GLib.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-log.h"

static GLogLevelFlags threshold = G_LOG_LEVEL_MESSAGE;

static GLogWriterOutput
dp_log_writer (GLogLevelFlags   level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  GLogLevelFlags severity = level & G_LOG_LEVEL_MASK;
  gboolean shown = severity <= threshold ||
                   (severity > G_LOG_LEVEL_MESSAGE && !g_log_writer_default_would_drop (level, NULL));

  /* The control plane's log (the http plugin, dplaces status) keeps
   * info and up whatever the terminal shows, and debug lines asked for. */
  if (severity <= G_LOG_LEVEL_INFO || shown)
    dp_monitor_add_log (dp_monitor_get_default (), level, fields, n_fields);

  /* GLogLevelFlags grow as severity falls: ERROR is 1<<2, DEBUG 1<<7. */
  if (severity > threshold)
    {
      if (!shown)
        return G_LOG_WRITER_HANDLED;
      /* Asked for by G_MESSAGES_DEBUG: fall through. */
    }
  else if (severity >= G_LOG_LEVEL_INFO)
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);

  return g_log_writer_default (level, fields, n_fields, user_data);
}

void
dp_log_init (void)
{
  g_log_set_writer_func (dp_log_writer, NULL, NULL);
}

void
dp_log_apply_config (DpConfig *config)
{
  static const struct { const char *name; GLogLevelFlags level; } levels[] = {
    { "error", G_LOG_LEVEL_ERROR },
    { "critical", G_LOG_LEVEL_CRITICAL },
    { "warning", G_LOG_LEVEL_WARNING },
    { "message", G_LOG_LEVEL_MESSAGE },
    { "info", G_LOG_LEVEL_INFO },
    { "debug", G_LOG_LEVEL_DEBUG },
  };
  g_autofree char *name = g_key_file_get_string (dp_config_get_key_file (config),
                                                 "dplaces", "log-level", NULL);

  if (name == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (g_str_equal (levels[i].name, name))
      threshold = levels[i].level;
}
