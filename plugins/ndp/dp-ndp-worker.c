/* dp-ndp-worker.c: the worker places of an NDP group
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-ndp"

#include "config.h"

#include "dp-ndp-group-private.h"
#include "dp-ndp-protocol-private.h"

/**
 * dp_ndp_worker:
 * @channel: the place's channel to the coordinator
 *
 * The place function of an NDP group's workers (module
 * %DP_NDP_MODULE): told its node number, it runs one work at a time —
 * a [callback@Dp.NdpProcedure] found by its address — and answers with
 * the procedure's result or error, until the group stops or the
 * coordinator is gone.
 */
void
dp_ndp_worker (DpChannel *channel)
{
  g_autoptr(GVariant) init = NULL;
  g_autoptr(DpNdpGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint32 id, n_workers;

  init = dp_channel_get (channel, &error);
  if (init == NULL || !g_variant_is_of_type (init, G_VARIANT_TYPE (DP_NDP_INIT_TYPE)) ||
      !g_str_equal (dp_message_get_tag (init), DP_NDP_INIT))
    {
      g_debug ("ndp worker: no start message: %s",
               error != NULL ? error->message : g_variant_get_type_string (init));
      return;
    }
  g_variant_get (init, "(&suu&s)", NULL, &id, &n_workers, &name);
  group = dp_ndp_group_new_for_worker (channel, id, n_workers, name);
  if (!dp_channel_put (channel, g_variant_new (DP_NDP_READY_TYPE, DP_NDP_READY, id), NULL))
    return;

  for (;;)
    {
      g_autoptr(GVariant) message = NULL;
      g_autoptr(GVariant) data = NULL;
      g_autoptr(GVariant) value = NULL;
      g_autoptr(GError) work_error = NULL;
      const char *tag, *procedure;
      GVariant *outcome;

      message = dp_channel_get (channel, NULL);
      if (message == NULL)
        break;      /* the coordinator is gone */
      tag = dp_message_get_tag (message);
      if (g_strcmp0 (tag, DP_NDP_STOP) == 0)
        break;
      if (!g_variant_is_of_type (message, G_VARIANT_TYPE (DP_NDP_WORK_TYPE)) ||
          !g_str_equal (tag, DP_NDP_WORK))
        {
          g_warning ("ndp worker %s: unexpected message of type %s", name,
                     g_variant_get_type_string (message));
          continue;
        }

      g_variant_get (message, "(&s&sv)", NULL, &procedure, &data);
      value = dp_ndp_group_call (group, procedure, data, &work_error);
      if (value != NULL)
        outcome = g_variant_new ("(s@v)", DP_NDP_DONE, g_variant_new_variant (value));
      else
        {
          g_prefix_error (&work_error, "%s: %s: ", name, procedure);
          outcome = dp_ndp_failed_new (work_error);
        }
      if (!dp_channel_put (channel, outcome, NULL) || dp_ndp_group_was_stopped (group))
        break;
    }
}
