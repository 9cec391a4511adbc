/* supervision-places.c: what the supervision tests supervise (built as
 * supervision-places.so, found through DPLACES_PLUGIN_PATH; nodes get the
 * test's plugin directories)
 *
 *   pid_place          a named place: answers every client's message with
 *                      its process id, (i); its creator's too
 *   quick_exit_place   prints "quick-exit started" and ends at once
 *   count_place        counts its starts in this process (threads
 *                      backend), ends at once
 *   hello_place        puts "hello", then ends
 *   storm_place        prints "storm started" and ends at once
 *   sink_place         prints "sink got: MESSAGE" for its first message,
 *                      then ends
 *   twice_strategy     a DpRestartFunc: restarts after 50 ms, twice per
 *                      strategy instance, then stops
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <unistd.h>

#include <dplaces/dplaces.h>

G_MODULE_EXPORT void              pid_place         (DpChannel *ch);
G_MODULE_EXPORT void              quick_exit_place  (DpChannel *ch);
G_MODULE_EXPORT void              count_place       (DpChannel *ch);
G_MODULE_EXPORT void              hello_place       (DpChannel *ch);
G_MODULE_EXPORT void              storm_place       (DpChannel *ch);
G_MODULE_EXPORT void              sink_place        (DpChannel *ch);
G_MODULE_EXPORT gint              count_place_starts (void);
G_MODULE_EXPORT DpRestartDecision twice_strategy    (DpRestartStrategy   *strategy,
                                                     const DpRestartInfo *info,
                                                     gint64              *out_delay_us);

static gint starts;

G_MODULE_EXPORT void
pid_place (DpChannel *ch)
{
  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_get (ch, NULL);
      g_autoptr(GVariant) request = NULL;
      g_autoptr(DpChannel) reply = NULL;

      if (message == NULL)
        return;
      request = dp_named_place_message_unwrap (message, &reply, NULL);
      dp_channel_put (reply != NULL ? reply : ch, g_variant_new ("(i)", (gint32) getpid ()), NULL);
    }
}

G_MODULE_EXPORT void
quick_exit_place (DpChannel *ch)
{
  printf ("quick-exit started\n");
  fflush (stdout);
}

G_MODULE_EXPORT void
count_place (DpChannel *ch)
{
  g_atomic_int_inc (&starts);
}

G_MODULE_EXPORT gint
count_place_starts (void)
{
  return g_atomic_int_get (&starts);
}

G_MODULE_EXPORT void
hello_place (DpChannel *ch)
{
  dp_channel_put (ch, g_variant_new_string ("hello"), NULL);
}

G_MODULE_EXPORT void
storm_place (DpChannel *ch)
{
  printf ("storm started\n");
  fflush (stdout);
}

G_MODULE_EXPORT void
sink_place (DpChannel *ch)
{
  g_autoptr(GVariant) message = dp_channel_get (ch, NULL);
  g_autofree char *text = message != NULL ? g_variant_print (message, TRUE) : NULL;

  printf ("sink got: %s\n", text != NULL ? text : "(nothing)");
  fflush (stdout);
}

G_MODULE_EXPORT DpRestartDecision
twice_strategy (DpRestartStrategy   *strategy,
                const DpRestartInfo *info,
                gint64              *out_delay_us)
{
  guint done = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (strategy), "twice-done"));

  if (done >= 2)
    return DP_RESTART_DECISION_STOP;
  g_object_set_data (G_OBJECT (strategy), "twice-done", GUINT_TO_POINTER (done + 1));
  *out_delay_us = 50 * 1000;
  return DP_RESTART_DECISION_RESTART;
}
