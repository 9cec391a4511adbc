/* fork-join.c: the dissertation's fork-join.rkt library
 *
 * Figure 3.2: fork-join
 *
 *   (define-syntax-rule
 *     (fork-join NP cg ([params args] ...) body ...)
 *     (define ps
 *       (for/list ([i (in-range NP)])
 *         (place ch
 *           (define (do-work cg params ...) body ...)
 *           (match (place-channel-get ch)
 *             [(list-rest id np ps rargs)
 *              (define cg (make-CG id np (cons ch ps)))
 *              (define r (apply do-work cg rargs))
 *              (place-channel-put ch r)]))))
 *     (for ([i (in-range NP)] [ch ps])
 *       (place-channel-put ch (list i NP ps args ...)))
 *     (for/vector ([i (in-range NP)] [ch ps])
 *       (place-channel-get ch)))
 *
 * Figure 3.3: CGpipeline
 *
 *   (define-syntax-rule
 *     (CGpipeline cg prev-value init-value body ...)
 *     (match cg
 *       [(CG id np pls)
 *        (define (send-value v)
 *          (place-channel-put (list-ref pls (add1 id)) v))
 *        (define prev-value
 *          (if (= id 0)
 *              init-value
 *              (place-channel-get (car pls))))
 *        (define result (begin body ...))
 *        (unless (= id (sub1 np)) (send-value result))
 *        result]))
 *
 * See fork-join.h for the messages.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fork-join.h"

struct _CommGroup
{
  guint id;
  guint np;
  DpChannel *channel;        /* this place's end, to its controller */
  DpTypedChannel *inbox;     /* the same, read by tag */
  GPtrArray *places;         /* DpChannel*: a put on the j-th goes to place j */
  guint barrier_generation;
  guint pipeline_step;
};

#define TAG_START            "fork-join"
#define TAG_RESULT           "fork-join-result"
#define TAG_BARRIER          "cg-barrier"
#define TAG_BARRIER_RELEASE  "cg-barrier-release"
#define TAG_PIPELINE         "cg-pipeline"

/* The controller. */

static void
kill_and_wait_all (GPtrArray *places)
{
  for (guint i = 0; i < places->len; i++)
    dp_place_kill (g_ptr_array_index (places, i));
  for (guint i = 0; i < places->len; i++)
    dp_place_wait (g_ptr_array_index (places, i));
}

/* The descriptors went out in messages, and a sent channel lives until it
 * is closed: close them once the places are done. */
static void
close_all (GPtrArray *places)
{
  for (guint i = 0; i < places->len; i++)
    dp_channel_close (DP_CHANNEL (g_ptr_array_index (places, i)));
}

static void
variant_unref_nullable (gpointer variant)
{
  if (variant != NULL)
    g_variant_unref (variant);
}

/**
 * fork_join:
 * @np: how many places
 * @module: the module exporting @function
 * @function: the place function; it calls cg_receive() first and
 *   cg_return() last
 * @args: (transfer floating) (nullable): what every place gets from
 *   cg_receive(), the `([params args] ...)` of the form; shared vectors
 *   in it are shared by all places, and the caller keeps them alive until
 *   fork_join() returns
 * @backend: (nullable): the place backend, "threads" when %NULL
 * @error: return location for a #GError
 *
 * Starts @np places running @function, sends place i its id, @np, the
 * channels of all places and @args, and waits for each place's result.
 * If any place fails, all are killed and the error names the place.
 *
 * Returns: (transfer full) (element-type GVariant): the results, place 0's
 *   first, or %NULL with @error set
 */
GPtrArray *
fork_join (guint        np,
           const char  *module,
           const char  *function,
           GVariant    *args,
           const char  *backend,
           GError     **error)
{
  g_autoptr(GVariant) owned_args = NULL;
  g_autoptr(GPtrArray) places = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GVariant) place_list = NULL;
  g_autofree DpChannel **waiting = NULL;
  g_autofree guint *waiting_index = NULL;
  GVariantBuilder builder;
  guint n_results = 0;

  g_return_val_if_fail (module != NULL && function != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  owned_args = g_variant_ref_sink (args != NULL ? args : g_variant_new ("()"));

  if (np == 0)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_FAILED, "fork-join needs at least one place");
      return NULL;
    }

  /* (for/list ([i (in-range NP)]) (place ch ...)) */
  places = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < np; i++)
    {
      g_autoptr(DpPlace) place = g_object_new (DP_TYPE_PLACE,
                                               "module", module,
                                               "function", function,
                                               "backend", backend != NULL ? backend : "threads",
                                               NULL);
      g_autofree char *name = g_strdup_printf ("%s[%u]", function, i);

      dp_place_set_name (place, name);
      if (!dp_place_start (place, error))
        {
          kill_and_wait_all (places);
          return NULL;
        }
      g_ptr_array_add (places, g_steal_pointer (&place));
    }

  /* (list i NP ps args ...) to each */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ah"));
  for (guint i = 0; i < np; i++)
    g_variant_builder_add_value (&builder, dp_channel_to_variant (g_ptr_array_index (places, i)));
  place_list = g_variant_ref_sink (g_variant_builder_end (&builder));

  for (guint i = 0; i < np; i++)
    {
      DpChannel *place = g_ptr_array_index (places, i);
      GVariant *start = g_variant_new ("(suu@ahv)", TAG_START, i, np, place_list, owned_args);

      if (!dp_channel_put (place, start, error))
        {
          g_prefix_error (error, "Cannot start fork-join place %u: ", i);
          kill_and_wait_all (places);
          close_all (places);
          return NULL;
        }
    }

  /* (for/vector ([i (in-range NP)] [ch ps]) (place-channel-get ch)), but
   * taking results as they come, so that a place that dies is noticed
   * at once rather than after the ones before it. */
  results = g_ptr_array_new_full (np, variant_unref_nullable);
  g_ptr_array_set_size (results, np);
  waiting = g_new (DpChannel *, np);
  waiting_index = g_new (guint, np);

  while (n_results < np)
    {
      g_autoptr(GVariant) message = NULL;
      g_autoptr(GError) local_error = NULL;
      guint n_waiting = 0;
      guint chosen = 0;
      guint id;

      for (guint i = 0; i < np; i++)
        if (g_ptr_array_index (results, i) == NULL)
          {
            waiting[n_waiting] = g_ptr_array_index (places, i);
            waiting_index[n_waiting] = i;
            n_waiting++;
          }

      message = dp_channel_sync (waiting, n_waiting, -1, &chosen, &local_error);
      id = waiting_index[chosen];
      if (message == NULL)
        {
          if (local_error != NULL)
            g_set_error (error, local_error->domain, local_error->code, "fork-join place %u: %s",
                         id, local_error->message);
          else
            g_set_error_literal (error, DP_ERROR, DP_ERROR_FAILED, "fork-join: no result");
          kill_and_wait_all (places);
          close_all (places);
          return NULL;
        }
      if (!g_variant_is_of_type (message, G_VARIANT_TYPE ("(sv)")) ||
          g_strcmp0 (dp_message_get_tag (message), TAG_RESULT) != 0)
        {
          g_autofree char *shown = g_variant_print (message, TRUE);

          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "fork-join place %u sent %s instead of its result", id, shown);
          kill_and_wait_all (places);
          close_all (places);
          return NULL;
        }

      g_variant_get (message, "(&sv)", NULL, &g_ptr_array_index (results, id));
      n_results++;
    }

  for (guint i = 0; i < np; i++)
    {
      DpPlace *place = g_ptr_array_index (places, i);
      gint status = dp_place_wait (place);

      if (status != 0)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_PEER_DIED, "fork-join place %u %s",
                       i, dp_place_get_exit_reason (place));
          kill_and_wait_all (places);
          close_all (places);
          return NULL;
        }
    }

  close_all (places);
  return g_steal_pointer (&results);
}

/* Inside a place. */

void
cg_free (CommGroup *cg)
{
  if (cg == NULL)
    return;

  g_clear_pointer (&cg->places, g_ptr_array_unref);
  g_clear_object (&cg->inbox);
  g_clear_object (&cg->channel);
  g_free (cg);
}

/**
 * cg_receive:
 * @channel: the place's channel
 * @out_args: (out) (transfer full) (optional): the arguments given to
 *   fork_join()
 * @error: return location for a #GError
 *
 * Waits for the controller's message and builds the place's
 * communicator group: `(make-CG id np (cons ch ps))`.
 *
 * Returns: (transfer full): the group, or %NULL with @error set
 */
CommGroup *
cg_receive (DpChannel  *channel,
            GVariant  **out_args,
            GError    **error)
{
  g_autoptr(CommGroup) cg = g_new0 (CommGroup, 1);
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GVariant) place_list = NULL;
  g_autoptr(GVariant) args = NULL;

  cg->channel = g_object_ref (channel);
  cg->inbox = dp_typed_channel_new (channel);

  message = dp_typed_channel_get (cg->inbox, TAG_START, error);
  if (message == NULL)
    return NULL;
  if (!g_variant_is_of_type (message, G_VARIANT_TYPE ("(suuahv)")))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected ('fork-join', id, np, [places], <args>), got a “%s”",
                   g_variant_get_type_string (message));
      return NULL;
    }

  g_variant_get (message, "(&suu@ahv)", NULL, &cg->id, &cg->np, &place_list, &args);
  if (cg->id >= cg->np || g_variant_n_children (place_list) != cg->np)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "fork-join message for place %u of %u with %" G_GSIZE_FORMAT " places",
                   cg->id, cg->np, g_variant_n_children (place_list));
      return NULL;
    }

  cg->places = g_ptr_array_new_full (cg->np, g_object_unref);
  for (guint j = 0; j < cg->np; j++)
    {
      g_autoptr(GVariant) handle = g_variant_get_child_value (place_list, j);
      DpChannel *place = dp_channel_from_variant (handle, error);

      if (place == NULL)
        return NULL;
      g_ptr_array_add (cg->places, place);
    }

  if (out_args != NULL)
    *out_args = g_steal_pointer (&args);
  return g_steal_pointer (&cg);
}

/**
 * cg_return:
 * @cg: the place's group
 * @result: (transfer floating): the place's result
 * @error: return location for a #GError
 *
 * Sends @result to the controller: `(place-channel-put ch r)`.
 *
 * Returns: %TRUE if it was sent
 */
gboolean
cg_return (CommGroup  *cg,
           GVariant   *result,
           GError    **error)
{
  return dp_channel_put (cg->channel, g_variant_new ("(sv)", TAG_RESULT, result), error);
}

guint
cg_get_id (CommGroup *cg)
{
  return cg->id;
}

guint
cg_get_np (CommGroup *cg)
{
  return cg->np;
}

/* Place id's piece of [0, n): np contiguous pieces whose sizes differ by
 * at most one, in order of id. */
gsize
cg_for_start (CommGroup *cg,
              gsize      n)
{
  return (gsize) ((guint64) n * cg->id / cg->np);
}

gsize
cg_for_end (CommGroup *cg,
            gsize      n)
{
  return (gsize) ((guint64) n * (cg->id + 1) / cg->np);
}

/**
 * cg_barrier:
 * @cg: the place's group
 * @error: return location for a #GError
 *
 * `(CGBarrier cg)`: returns once every place of the group has called it
 * (for the same time). Place 0 gathers one message from every other
 * place, then releases them all.
 *
 * Returns: %TRUE once all places are here
 */
gboolean
cg_barrier (CommGroup  *cg,
            GError    **error)
{
  guint generation = cg->barrier_generation++;

  if (cg->np == 1)
    return TRUE;

  if (cg->id == 0)
    {
      for (guint arrived = 1; arrived < cg->np; arrived++)
        {
          g_autoptr(GVariant) message = dp_typed_channel_get (cg->inbox, TAG_BARRIER, error);
          guint their_generation, their_id;

          if (message == NULL)
            return FALSE;
          if (!g_variant_is_of_type (message, G_VARIANT_TYPE ("(suu)")))
            {
              g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                                   "Malformed barrier message");
              return FALSE;
            }
          g_variant_get (message, "(&suu)", NULL, &their_generation, &their_id);
          if (their_generation != generation)
            {
              g_set_error (error, DP_ERROR, DP_ERROR_FAILED,
                           "Place %u is at barrier %u, place 0 at barrier %u",
                           their_id, their_generation, generation);
              return FALSE;
            }
        }

      for (guint j = 1; j < cg->np; j++)
        if (!dp_channel_put (g_ptr_array_index (cg->places, j),
                             g_variant_new ("(su)", TAG_BARRIER_RELEASE, generation), error))
          return FALSE;
    }
  else
    {
      g_autoptr(GVariant) release = NULL;
      guint released;

      if (!dp_channel_put (g_ptr_array_index (cg->places, 0),
                           g_variant_new ("(suu)", TAG_BARRIER, generation, cg->id), error))
        return FALSE;

      release = dp_typed_channel_get (cg->inbox, TAG_BARRIER_RELEASE, error);
      if (release == NULL)
        return FALSE;
      if (!g_variant_is_of_type (release, G_VARIANT_TYPE ("(su)")))
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                               "Malformed barrier release");
          return FALSE;
        }
      g_variant_get (release, "(&su)", NULL, &released);
      if (released != generation)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_FAILED,
                       "Released from barrier %u while at barrier %u", released, generation);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * cg_pipeline:
 * @cg: the place's group
 * @init_value: (transfer floating): place 0's previous value
 * @body: computes this place's result from the previous place's
 * @user_data: data for @body
 * @error: return location for a #GError
 *
 * `(CGpipeline cg prev-value init-value body ...)`: place 0 starts from
 * @init_value, every other place waits for the previous place's result;
 * each place but the last sends its result on to the next place. Calls
 * pair up in order: the k-th call in place i gets the k-th result of
 * place i-1.
 *
 * Returns: (transfer full): this place's result, or %NULL with @error set
 */
GVariant *
cg_pipeline (CommGroup       *cg,
             GVariant        *init_value,
             CGPipelineFunc   body,
             gpointer         user_data,
             GError         **error)
{
  g_autoptr(GVariant) init = g_variant_ref_sink (init_value);
  g_autoptr(GVariant) prev_value = NULL;
  g_autoptr(GVariant) result = NULL;
  guint step = cg->pipeline_step++;

  if (cg->id == 0)
    prev_value = g_variant_ref (init);
  else
    {
      g_autoptr(GVariant) message = dp_typed_channel_get (cg->inbox, TAG_PIPELINE, error);
      guint their_step;

      if (message == NULL)
        return NULL;
      if (!g_variant_is_of_type (message, G_VARIANT_TYPE ("(suv)")))
        {
          g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                               "Malformed pipeline message");
          return NULL;
        }
      g_variant_get (message, "(&suv)", NULL, &their_step, &prev_value);
      if (their_step != step)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_FAILED,
                       "Pipeline step %u got the value of step %u", step, their_step);
          return NULL;
        }
    }

  result = g_variant_ref_sink (body (prev_value, user_data));

  if (cg->id + 1 < cg->np &&
      !dp_channel_put (g_ptr_array_index (cg->places, cg->id + 1),
                       g_variant_new ("(suv)", TAG_PIPELINE, step, result), error))
    return NULL;

  return g_steal_pointer (&result);
}
