/* faults-traffic.c: numbered round trips on a channel, every one checked
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "faults-traffic.h"

/* Gets the next echo and checks it; FALSE once something went wrong. */
static gboolean
receive_one (FaultsTraffic *traffic)
{
  g_autoptr(GVariant) echo = dp_channel_get_timeout (traffic->channel, traffic->get_timeout_usec,
                                                     &traffic->error);

  if (echo == NULL)
    {
      if (traffic->error == NULL)
        g_set_error (&traffic->error, DP_ERROR, DP_ERROR_TIMED_OUT,
                     "no echo of %" G_GUINT64_FORMAT " within %.0f s", traffic->received,
                     traffic->get_timeout_usec / (gdouble) G_USEC_PER_SEC);
      return FALSE;
    }
  if (!g_variant_is_of_type (echo, G_VARIANT_TYPE_UINT64) ||
      g_variant_get_uint64 (echo) != traffic->received)
    {
      g_autofree char *text = g_variant_print (echo, TRUE);

      traffic->problem = g_strdup_printf ("echo %" G_GUINT64_FORMAT " was %s", traffic->received,
                                          text);
      traffic->wrong_echo = g_variant_is_of_type (echo, G_VARIANT_TYPE_UINT64)
                            ? (gint64) g_variant_get_uint64 (echo) : -1;
      return FALSE;
    }
  traffic->received++;
  return TRUE;
}

/* Traffic pauses this long after every PACE_EVERY echoes: enough traffic
 * that every fault lands in the middle of some (up to 10 000 round trips
 * a second on each channel), not so much that the flows of one test take
 * the machine's processors from the nodes and the other tests. This is no
 * wait for anything: nothing here waits on time. */
#define PACE_EVERY 100
#define PACE_USEC (10 * 1000)

/* Runs until check() says stop and every echo is in, or something goes
 * wrong (see @error and @problem). */
void
faults_traffic_run (FaultsTraffic *traffic)
{
  gboolean stopping = FALSE;

  g_return_if_fail (traffic->window > 0);

  for (;;)
    {
      while (!stopping && traffic->sent - traffic->received < traffic->window)
        {
          if (!dp_channel_put (traffic->channel, g_variant_new_uint64 (traffic->sent),
                               &traffic->error))
            return;
          traffic->sent++;
        }
      if (traffic->received == traffic->sent)
        return;
      if (!receive_one (traffic))
        return;
      if (!stopping && traffic->check != NULL && traffic->progress_every > 0 &&
          traffic->received % traffic->progress_every == 0)
        stopping = traffic->check (traffic, traffic->check_data);
      if (!stopping && traffic->received % PACE_EVERY == 0)
        g_usleep (PACE_USEC);
    }
}

/* The GError's code, FAULTS_CODE_WRONG_ECHO for a problem, or
 * FAULTS_CODE_NONE. */
gint
faults_traffic_code (FaultsTraffic *traffic)
{
  if (traffic->problem != NULL)
    return FAULTS_CODE_WRONG_ECHO;
  if (traffic->error != NULL)
    return traffic->error->domain == DP_ERROR ? traffic->error->code : DP_ERROR_FAILED;
  return FAULTS_CODE_NONE;
}

/* What went wrong, in words, or "". */
char *
faults_traffic_why (FaultsTraffic *traffic)
{
  if (traffic->problem != NULL)
    return g_strdup (traffic->problem);
  if (traffic->error != NULL)
    return g_strdup (traffic->error->message);
  return g_strdup ("");
}

void
faults_traffic_clear (FaultsTraffic *traffic)
{
  g_clear_error (&traffic->error);
  g_clear_pointer (&traffic->problem, g_free);
}
