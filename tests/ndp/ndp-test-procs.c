/* ndp-test-procs.c: the procedures the NDP tests name
 *
 *   echo_proc          returns its data
 *   whoami_proc        (its node number, its process id)
 *   failing_proc       fails with G_IO_ERROR_PERMISSION_DENIED "no luck"
 *   blocking_proc      data: a FIFO's path; writes its process id to it,
 *                      then waits to be killed
 *   aborting_proc      abort()s its process
 *   nested_proc        data: (procedure, data): gets a node (or fails,
 *                      "no node free"), sends it the procedure and data,
 *                      and returns its result, or its error
 *   tree_proc          data: a depth (u); 1 at depth 0, else the sum of
 *                      two tree_procs of depth − 1: one on a free worker
 *                      (dp_ndp_run from a worker: here if none is free),
 *                      one here. Returns (leaves, works sent away)
 *   hold_all_proc      gets every free node and keeps them: returns how
 *                      many (they come back when the work ends)
 *   misuse_proc        uses nodes it does not hold, or has not sent work
 *                      to: returns the errors' messages, in order
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dplaces/dp-ndp.h>

G_MODULE_EXPORT GVariant *echo_proc     (DpNdpGroup *group, GVariant *data, GError **error);
G_MODULE_EXPORT GVariant *whoami_proc   (DpNdpGroup *group, GVariant *data, GError **error);
G_MODULE_EXPORT GVariant *failing_proc  (DpNdpGroup *group, GVariant *data, GError **error);
G_MODULE_EXPORT GVariant *blocking_proc (DpNdpGroup *group, GVariant *data, GError **error);
G_MODULE_EXPORT GVariant *aborting_proc (DpNdpGroup *group, GVariant *data, GError **error);
G_MODULE_EXPORT GVariant *nested_proc   (DpNdpGroup *group, GVariant *data, GError **error);
G_MODULE_EXPORT GVariant *tree_proc     (DpNdpGroup *group, GVariant *data, GError **error);
G_MODULE_EXPORT GVariant *hold_all_proc (DpNdpGroup *group, GVariant *data, GError **error);
G_MODULE_EXPORT GVariant *misuse_proc   (DpNdpGroup *group, GVariant *data, GError **error);

GVariant *
echo_proc (DpNdpGroup  *group,
           GVariant    *data,
           GError     **error)
{
  return g_variant_ref (data);
}

GVariant *
whoami_proc (DpNdpGroup  *group,
             GVariant    *data,
             GError     **error)
{
  return g_variant_new ("(ui)", dp_ndp_group_get_node_id (group), (gint32) getpid ());
}

GVariant *
failing_proc (DpNdpGroup  *group,
              GVariant    *data,
              GError     **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "no luck");
  return NULL;
}

GVariant *
blocking_proc (DpNdpGroup  *group,
               GVariant    *data,
               GError     **error)
{
  g_autofree char *pid = g_strdup_printf ("%d\n", (int) getpid ());
  static GMutex mutex;
  static GCond cond;
  int out;

  if (!g_variant_is_of_type (data, G_VARIANT_TYPE_STRING))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "expected a FIFO's path");
      return NULL;
    }
  out = open (g_variant_get_string (data, NULL), O_WRONLY);
  if (out >= 0)
    {
      if (write (out, pid, strlen (pid)) < 0)
        g_warning ("cannot write to the FIFO: %s", g_strerror (errno));
      close (out);
    }
  /* Until killed. */
  g_mutex_lock (&mutex);
  for (;;)
    g_cond_wait (&cond, &mutex);
  return NULL;
}

GVariant *
aborting_proc (DpNdpGroup  *group,
               GVariant    *data,
               GError     **error)
{
  abort ();
}

GVariant *
nested_proc (DpNdpGroup  *group,
             GVariant    *data,
             GError     **error)
{
  g_autoptr(GVariant) inner = NULL;
  GVariant *result;
  const char *procedure;
  guint node;

  g_variant_get (data, "(&sv)", &procedure, &inner);
  node = dp_ndp_get_node (group, error);
  if (node == DP_NDP_NO_NODE)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, "no node free");
      return NULL;
    }
  if (!dp_ndp_send_work (group, node, procedure, inner, error))
    return NULL;
  result = dp_ndp_get_result (group, node, error);
  dp_ndp_return_node (group, node, NULL);
  return result;
}

GVariant *
tree_proc (DpNdpGroup  *group,
           GVariant    *data,
           GError     **error)
{
  g_autoptr(GVariant) there = NULL;
  g_autoptr(GVariant) here = NULL;
  guint32 depth = g_variant_get_uint32 (data), there_leaves, here_leaves, there_sent, here_sent;
  guint node;

  if (depth == 0)
    return g_variant_new ("(uu)", 1, 0);

  node = dp_ndp_get_node (group, error);
  if (error != NULL && *error != NULL)
    return NULL;
  if (node != DP_NDP_NO_NODE &&
      !dp_ndp_send_work (group, node, "ndp-test-procs:tree_proc", g_variant_new_uint32 (depth - 1), error))
    return NULL;
  /* Here: a free worker after all, or this one. */
  here = dp_ndp_run (group, "ndp-test-procs:tree_proc", g_variant_new_uint32 (depth - 1), error);
  if (node != DP_NDP_NO_NODE)
    {
      there = dp_ndp_get_result (group, node, here != NULL ? error : NULL);
      dp_ndp_return_node (group, node, NULL);
    }
  else
    {
      /* Called as a procedure is: with data it does not own. */
      g_autoptr(GVariant) smaller = g_variant_ref_sink (g_variant_new_uint32 (depth - 1));

      there = tree_proc (group, smaller, here != NULL ? error : NULL);
    }
  if (here == NULL || there == NULL)
    return NULL;
  if (g_variant_is_floating (there))
    g_variant_ref_sink (there);
  g_variant_get (here, "(uu)", &here_leaves, &here_sent);
  g_variant_get (there, "(uu)", &there_leaves, &there_sent);
  return g_variant_new ("(uu)", here_leaves + there_leaves,
                        here_sent + there_sent + (node != DP_NDP_NO_NODE ? 1 : 0));
}

GVariant *
hold_all_proc (DpNdpGroup  *group,
               GVariant    *data,
               GError     **error)
{
  guint32 n = 0;

  while (dp_ndp_get_node (group, error) != DP_NDP_NO_NODE)
    n++;
  if (error != NULL && *error != NULL)
    return NULL;
  return g_variant_new_uint32 (n);
}

GVariant *
misuse_proc (DpNdpGroup  *group,
             GVariant    *data,
             GError     **error)
{
  GVariantBuilder builder;
  guint me = dp_ndp_group_get_node_id (group);
  guint other = me == 1 ? 2 : 1;
  guint node;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);

  /* Work to a node not got. */
  {
    g_autoptr(GError) local_error = NULL;

    if (!dp_ndp_send_work (group, other, "ndp-test-procs:echo_proc", g_variant_new_int32 (1), &local_error))
      g_variant_builder_add (&builder, "s", local_error->message);
  }
  /* A result from a node with no work. */
  node = dp_ndp_get_node (group, NULL);
  {
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GVariant) value = dp_ndp_get_result (group, node, &local_error);

    if (value == NULL)
      g_variant_builder_add (&builder, "s", local_error->message);
  }
  /* Work twice. */
  if (dp_ndp_send_work (group, node, "ndp-test-procs:echo_proc", g_variant_new_int32 (2), NULL))
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GVariant) value = NULL;

      if (!dp_ndp_send_work (group, node, "ndp-test-procs:echo_proc", g_variant_new_int32 (3), &local_error))
        g_variant_builder_add (&builder, "s", local_error->message);
      value = dp_ndp_get_result (group, node, NULL);
      if (value != NULL)
        g_variant_builder_add (&builder, "s", "result 2");
    }
  /* A node that does not exist. */
  {
    g_autoptr(GError) local_error = NULL;

    if (!dp_ndp_send_work (group, 99, "ndp-test-procs:echo_proc", g_variant_new_int32 (4), &local_error))
      g_variant_builder_add (&builder, "s", local_error->message);
  }
  dp_ndp_return_node (group, node, NULL);
  return g_variant_builder_end (&builder);
}
