/* dp-remote-connection.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-node"

#include "config.h"

#include "dp-error.h"
#include "dp-event-container.h"
#include "dp-place-channel-private.h"
#include "dp-monitor.h"
#include "dp-remote-connection-private.h"
#include "dp-remote-node-private.h"
#include "dp-supervisor-private.h"

/**
 * DpRemoteConnection:
 *
 * A place running on another node, or a connection to a named place there
 * (the seeds' `remote-connection%`). It is a [iface@Dp.Channel]: what you
 * put reaches the place, what the place puts you get. When the place or
 * its node dies, gets fail with the reason and
 * [method@Dp.RemoteConnection.wait] returns.
 *
 * A place launched with a restart strategy (the seeds' `#:restart-on-exit`,
 * [method@Dp.RemoteNode.launch_place_full]) is started again on its node
 * when it ends, and a place whose node is restarted is started again
 * there: the same object then talks to the new instance. Gets and puts on
 * the instance that died fail with the reason, as for any dead place; the
 * next ones reach the new instance. [method@Dp.RemoteConnection.wait]
 * returns once the place is given up on, or its node is gone for good.
 */

/* Endpoints of earlier instances kept for readers that may hold them. */
#define RETIRED_KEPT 4

struct _DpRemoteConnection
{
  GObject parent_instance;

  DpRemoteNode *node;
  DpPlaceChannel *endpoint;     /* atomic: replaced when the place is restarted */
  guint32 channel_id;
  char *name;

  /* How to start the place again, and who decides when. */
  guint request_kind;           /* DP_FRAME_NEW_PLACE, or 0 for a connection */
  GVariant *request;
  GVariant *initial_message;    /* put to each new instance */
  DpSupervisor *supervisor;
  GPtrArray *retired;           /* endpoints of earlier instances, kept for readers */
  GMainContext *events_context; /* where the on-channel handler runs */
  gboolean down;                /* ended, and about to be started again */
  guint restarts;
  guint serial;                 /* launch order */

  DpOnChannelFunc on_channel;
  gpointer on_channel_data;
  GDestroyNotify on_channel_destroy;

  GMutex lock;
  GCond cond;
  gboolean exited;
  gint exit_status;
  char *exit_reason;
  GList *wait_tasks;   /* GTask* */
};

static void dp_remote_connection_channel_iface_init (DpChannelInterface *iface);
static void dp_remote_connection_event_container_init (DpEventContainerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DpRemoteConnection, dp_remote_connection, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DP_TYPE_CHANNEL,
                                                      dp_remote_connection_channel_iface_init)
                               G_IMPLEMENT_INTERFACE (DP_TYPE_EVENT_CONTAINER,
                                                      dp_remote_connection_event_container_init))

static DpPlaceChannel *
dp_remote_connection_get_endpoint (DpChannel *channel)
{
  return g_atomic_pointer_get (&DP_REMOTE_CONNECTION (channel)->endpoint);
}

static void
dp_remote_connection_channel_iface_init (DpChannelInterface *iface)
{
  iface->get_endpoint = dp_remote_connection_get_endpoint;
}

static gboolean
on_channel_ready_cb (DpChannel *channel,
                     gpointer   data)
{
  DpRemoteConnection *self = DP_REMOTE_CONNECTION (channel);
  g_autoptr(GError) error = NULL;

  for (;;)
    {
      g_autoptr(GVariant) message = dp_channel_try_get (channel, &error);

      if (message == NULL)
        return error == NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
      if (self->on_channel != NULL)
        self->on_channel (channel, message, self->on_channel_data);
    }
}

static GPtrArray *
dp_remote_connection_register_events (DpEventContainer *container,
                                      GPtrArray        *events)
{
  DpRemoteConnection *self = DP_REMOTE_CONNECTION (container);

  /* Messages go to the on-channel handler, if there is one; otherwise they
   * wait for gets. */
  if (self->on_channel != NULL)
    {
      GSource *source = dp_channel_create_source (DP_CHANNEL (self));
      g_source_set_callback (source, G_SOURCE_FUNC (on_channel_ready_cb), self, NULL);
      g_ptr_array_add (events, source);
      /* A restarted place's new channel gets a source there too. */
      g_mutex_lock (&self->lock);
      g_clear_pointer (&self->events_context, g_main_context_unref);
      self->events_context = g_main_context_ref_thread_default ();
      g_mutex_unlock (&self->lock);
    }
  return events;
}

static void
dp_remote_connection_event_container_init (DpEventContainerInterface *iface)
{
  iface->register_events = dp_remote_connection_register_events;
}

static void
dp_remote_connection_finalize (GObject *object)
{
  DpRemoteConnection *self = DP_REMOTE_CONNECTION (object);

  if (self->on_channel_destroy != NULL)
    self->on_channel_destroy (self->on_channel_data);
  if (self->supervisor != NULL)
    dp_supervisor_stop (self->supervisor);
  g_clear_object (&self->supervisor);
  g_clear_object (&self->endpoint);
  g_clear_pointer (&self->retired, g_ptr_array_unref);
  g_clear_pointer (&self->request, g_variant_unref);
  g_clear_pointer (&self->initial_message, g_variant_unref);
  g_clear_pointer (&self->events_context, g_main_context_unref);
  g_clear_object (&self->node);
  g_free (self->name);
  g_free (self->exit_reason);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (dp_remote_connection_parent_class)->finalize (object);
}

static void
dp_remote_connection_class_init (DpRemoteConnectionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dp_remote_connection_finalize;
}

static void
dp_remote_connection_init (DpRemoteConnection *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

DpRemoteConnection *
dp_remote_connection_new (DpRemoteNode   *node,
                          DpPlaceChannel *endpoint,
                          guint32         channel_id,
                          const char     *name)
{
  static gint serials;
  DpRemoteConnection *self = g_object_new (DP_TYPE_REMOTE_CONNECTION, NULL);

  self->serial = (guint) g_atomic_int_add (&serials, 1);
  self->node = g_object_ref (node);
  self->endpoint = g_object_ref (endpoint);
  self->channel_id = channel_id;
  self->name = g_strdup (name);

  return self;
}

/* For g_ptr_array_sort(): in the order they were launched. */
gint
dp_remote_connection_compare_launch (gconstpointer a,
                                     gconstpointer b)
{
  const DpRemoteConnection *pa = *(DpRemoteConnection * const *) a;
  const DpRemoteConnection *pb = *(DpRemoteConnection * const *) b;

  return pa->serial < pb->serial ? -1 : pa->serial > pb->serial;
}

guint32
dp_remote_connection_get_channel_id (DpRemoteConnection *self)
{
  guint32 id;

  g_mutex_lock (&self->lock);
  id = self->channel_id;
  g_mutex_unlock (&self->lock);

  return id;
}

/* Which launch this is, in this process: it stays the same when the
 * place is started again (the channel does not). */
guint
dp_remote_connection_get_launch (DpRemoteConnection *self)
{
  return self->serial;
}

/* Tells the monitor about a place this connection launched: @kind with
 * `place` (its name, or MODULE:FUNCTION for a private one), `node`
 * (host:port), `channel` (u), `launch` (u, see
 * dp_remote_connection_get_launch()), `module`, `function`, and @extra's
 * items. */
void
dp_remote_connection_emit (DpRemoteConnection *self,
                           const char         *kind,
                           GVariant           *extra)
{
  g_autoptr(GVariant) owned_extra = extra != NULL ? g_variant_ref_sink (extra) : NULL;
  g_autoptr(GVariant) request = NULL;
  g_autofree char *place = NULL;
  g_autofree char *node = NULL;
  const char *module = "", *function = "";
  GVariantDict dict;
  guint32 channel;

  g_mutex_lock (&self->lock);
  request = self->request != NULL ? g_variant_ref (self->request) : NULL;
  channel = self->channel_id;
  g_mutex_unlock (&self->lock);
  if (request == NULL)
    return;   /* a connection to a named place, not a place we launched */

  g_variant_get_child (request, 1, "&s", &module);
  g_variant_get_child (request, 2, "&s", &function);
  place = self->name != NULL ? g_strdup (self->name) : g_strdup_printf ("%s:%s", module, function);
  node = g_strdup_printf ("%s:%u", dp_remote_node_get_host (self->node),
                          dp_remote_node_get_listen_port (self->node));

  g_variant_dict_init (&dict, owned_extra);
  g_variant_dict_insert (&dict, "place", "s", place);
  g_variant_dict_insert (&dict, "node", "s", node);
  g_variant_dict_insert (&dict, "channel", "u", channel);
  g_variant_dict_insert (&dict, "launch", "u", self->serial);
  g_variant_dict_insert (&dict, "module", "s", module);
  g_variant_dict_insert (&dict, "function", "s", function);
  dp_monitor_emit (dp_monitor_get_default (), kind, g_variant_dict_end (&dict));
}

/* The place ended for good: waiters wake. */
void
dp_remote_connection_finish (DpRemoteConnection *self,
                             gint                status,
                             const char         *reason)
{
  GList *tasks = NULL;

  g_mutex_lock (&self->lock);
  if (!self->exited)
    {
      self->exited = TRUE;
      self->down = FALSE;
      self->exit_status = status;
      self->exit_reason = g_strdup (reason);
      tasks = g_steal_pointer (&self->wait_tasks);
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->lock);

  for (GList *l = tasks; l != NULL; l = l->next)
    {
      g_task_return_int (l->data, status);
      g_object_unref (l->data);
    }
  g_list_free (tasks);
}

/* The node said the place ended: its supervisor decides, if it has one. */
void
dp_remote_connection_report_exit (DpRemoteConnection *self,
                                  gint                status,
                                  const char         *reason)
{
  DpSupervisor *supervisor = NULL;

  g_mutex_lock (&self->lock);
  if (self->supervisor != NULL && !self->exited && !dp_supervisor_is_finished (self->supervisor))
    {
      supervisor = g_object_ref (self->supervisor);
      self->down = TRUE;
    }
  g_mutex_unlock (&self->lock);

  dp_remote_connection_emit (self, DP_MONITOR_EVENT_PLACE_EXIT,
                             g_variant_new_parsed ("{'status': <%i>, 'reason': <%s>}", status,
                                                   reason != NULL ? reason : ""));
  if (supervisor == NULL)
    {
      dp_remote_connection_finish (self, status, reason);
      return;
    }
  dp_supervisor_exited (supervisor, status, reason);
  g_object_unref (supervisor);
}

/* The place's node died. @coming_back: the node is being restarted, and
 * will start the place again. Otherwise the place is lost: its supervisor
 * gives up (on-final-fail runs), or, with @quietly (we told the node to
 * exit), supervision just ends. */
void
dp_remote_connection_node_lost (DpRemoteConnection *self,
                                const char         *reason,
                                gboolean            coming_back,
                                gboolean            quietly)
{
  DpSupervisor *supervisor = NULL;

  g_mutex_lock (&self->lock);
  if (self->exited)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  if (coming_back && self->request_kind != 0)
    {
      self->down = TRUE;
      g_mutex_unlock (&self->lock);
      return;
    }
  if (self->supervisor != NULL && !dp_supervisor_is_finished (self->supervisor))
    supervisor = g_object_ref (self->supervisor);
  g_mutex_unlock (&self->lock);

  if (!quietly)
    dp_remote_connection_emit (self, DP_MONITOR_EVENT_PLACE_EXIT,
                               g_variant_new_parsed ("{'status': <%i>, 'reason': <%s>}", 1, reason));
  if (supervisor != NULL && !quietly)
    {
      /* Its done function finishes the place. */
      dp_supervisor_give_up (supervisor, reason);
      g_object_unref (supervisor);
      return;
    }
  if (supervisor != NULL)
    {
      dp_supervisor_stop (supervisor);
      g_object_unref (supervisor);
    }
  dp_remote_connection_finish (self, 1, reason);
}

/* What to send the node to start the place again. */
void
dp_remote_connection_set_request (DpRemoteConnection *self,
                                  guint               kind,
                                  GVariant           *request)
{
  g_mutex_lock (&self->lock);
  self->request_kind = kind;
  g_clear_pointer (&self->request, g_variant_unref);
  self->request = request != NULL ? g_variant_ref_sink (request) : NULL;
  g_mutex_unlock (&self->lock);
}

/* A message put to every new instance of the place (initial-message=). */
void
dp_remote_connection_set_initial_message (DpRemoteConnection *self,
                                          GVariant           *message)
{
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->initial_message, g_variant_unref);
  self->initial_message = message != NULL ? g_variant_ref_sink (message) : NULL;
  g_mutex_unlock (&self->lock);
}

/* Returns: (transfer full) (nullable) */
GVariant *
dp_remote_connection_dup_initial_message (DpRemoteConnection *self)
{
  GVariant *message;

  g_mutex_lock (&self->lock);
  message = self->initial_message != NULL ? g_variant_ref (self->initial_message) : NULL;
  g_mutex_unlock (&self->lock);

  return message;
}

/* Returns: (transfer full) (nullable): the request that starts the place,
 * if it is a place that can be started again and has not ended for good */
GVariant *
dp_remote_connection_dup_request (DpRemoteConnection *self,
                                  guint              *out_kind)
{
  GVariant *request = NULL;

  g_mutex_lock (&self->lock);
  if (self->request_kind != 0 && !self->exited && self->request != NULL)
    {
      request = g_variant_ref (self->request);
      *out_kind = self->request_kind;
    }
  g_mutex_unlock (&self->lock);

  return request;
}

gboolean
dp_remote_connection_is_down (DpRemoteConnection *self)
{
  gboolean down;

  g_mutex_lock (&self->lock);
  down = self->down;
  g_mutex_unlock (&self->lock);

  return down;
}

void
dp_remote_connection_set_supervisor (DpRemoteConnection *self,
                                     DpSupervisor       *supervisor)
{
  g_mutex_lock (&self->lock);
  g_set_object (&self->supervisor, supervisor);
  g_mutex_unlock (&self->lock);
}

/* Returns: (transfer full) (nullable) */
DpSupervisor *
dp_remote_connection_dup_supervisor (DpRemoteConnection *self)
{
  DpSupervisor *supervisor;

  g_mutex_lock (&self->lock);
  supervisor = self->supervisor != NULL ? g_object_ref (self->supervisor) : NULL;
  g_mutex_unlock (&self->lock);

  return supervisor;
}

/* The place runs again, on @endpoint (channel @channel_id of its node's
 * connection). The old endpoint stays alive for whoever still reads it. */
void
dp_remote_connection_replace_endpoint (DpRemoteConnection *self,
                                       DpPlaceChannel     *endpoint,
                                       guint32             channel_id)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(DpPlaceChannel) oldest = NULL;
  DpPlaceChannel *old;

  g_mutex_lock (&self->lock);
  old = g_atomic_pointer_exchange (&self->endpoint, g_object_ref (endpoint));
  if (self->retired == NULL)
    self->retired = g_ptr_array_new_with_free_func (g_object_unref);
  if (old != NULL)
    g_ptr_array_add (self->retired, old);
  /* A reader may still hold an endpoint it got just before a restart
   * (dp_channel_get() borrows it): the last few are kept. An older one
   * ended restarts ago, is closed, and wakes no one: it goes, with what
   * its instance left unread, or a place restarted all day would keep
   * them all. */
  if (self->retired->len > RETIRED_KEPT)
    oldest = g_ptr_array_steal_index (self->retired, 0);
  self->channel_id = channel_id;
  self->down = FALSE;
  self->restarts++;
  if (self->on_channel != NULL && self->events_context != NULL)
    context = g_main_context_ref (self->events_context);
  g_mutex_unlock (&self->lock);

  if (context != NULL)
    {
      GSource *source = dp_channel_create_source (DP_CHANNEL (self));

      g_source_set_callback (source, G_SOURCE_FUNC (on_channel_ready_cb), self, NULL);
      g_source_attach (source, context);
      g_source_unref (source);
    }
}

/**
 * dp_remote_connection_get_restarts:
 * @self: a remote connection
 *
 * Returns: how many times the place was started again, by its own restart
 *   strategy or because its node was restarted
 */
guint
dp_remote_connection_get_restarts (DpRemoteConnection *self)
{
  guint restarts;

  g_return_val_if_fail (DP_IS_REMOTE_CONNECTION (self), 0);

  g_mutex_lock (&self->lock);
  restarts = self->restarts;
  g_mutex_unlock (&self->lock);

  return restarts;
}

/**
 * dp_remote_connection_get_node:
 * @self: a remote connection
 *
 * Returns: (transfer none): the node the place runs on
 */
DpRemoteNode *
dp_remote_connection_get_node (DpRemoteConnection *self)
{
  g_return_val_if_fail (DP_IS_REMOTE_CONNECTION (self), NULL);
  return self->node;
}

/**
 * dp_remote_connection_get_name:
 * @self: a remote connection
 *
 * Returns: (nullable): the place's name, for a named place
 */
const char *
dp_remote_connection_get_name (DpRemoteConnection *self)
{
  g_return_val_if_fail (DP_IS_REMOTE_CONNECTION (self), NULL);
  return self->name;
}

/**
 * dp_remote_connection_set_on_channel:
 * @self: a remote connection
 * @callback: (scope notified) (closure user_data) (destroy destroy): handles
 *   each message from the place
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data
 *
 * Installs a handler for the place's messages (the seeds'
 * `set-on-channel!`). It runs in the message router's loop, once
 * @self has been given to it.
 */
void
dp_remote_connection_set_on_channel (DpRemoteConnection *self,
                                     DpOnChannelFunc     callback,
                                     gpointer            user_data,
                                     GDestroyNotify      destroy)
{
  g_return_if_fail (DP_IS_REMOTE_CONNECTION (self));

  if (self->on_channel_destroy != NULL)
    self->on_channel_destroy (self->on_channel_data);
  self->on_channel = callback;
  self->on_channel_data = user_data;
  self->on_channel_destroy = destroy;
}

/**
 * dp_remote_connection_wait:
 * @self: a remote connection to a place
 *
 * Waits for the remote place to end — for a supervised place, to end for
 * good: given up on by its strategy, or its node gone.
 *
 * Returns: its completion value; 1 if its node died first
 */
gint
dp_remote_connection_wait (DpRemoteConnection *self)
{
  gint status;

  g_return_val_if_fail (DP_IS_REMOTE_CONNECTION (self), 1);

  g_mutex_lock (&self->lock);
  while (!self->exited)
    g_cond_wait (&self->cond, &self->lock);
  status = self->exit_status;
  g_mutex_unlock (&self->lock);

  return status;
}

/**
 * dp_remote_connection_wait_async:
 * @self: a remote connection to a place
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the place has ended
 * @user_data: data for @callback
 *
 * Waits for the remote place to end without blocking.
 */
void
dp_remote_connection_wait_async (DpRemoteConnection  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DP_IS_REMOTE_CONNECTION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dp_remote_connection_wait_async);

  g_mutex_lock (&self->lock);
  if (self->exited)
    {
      gint status = self->exit_status;
      g_mutex_unlock (&self->lock);
      g_task_return_int (task, status);
      return;
    }
  self->wait_tasks = g_list_prepend (self->wait_tasks, g_steal_pointer (&task));
  g_mutex_unlock (&self->lock);
}

/**
 * dp_remote_connection_wait_finish:
 * @self: a remote connection
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: the place's completion value, or -1 with @error set
 */
gint
dp_remote_connection_wait_finish (DpRemoteConnection  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return (gint) g_task_propagate_int (G_TASK (result), error);
}

gboolean
dp_remote_connection_has_exited (DpRemoteConnection *self)
{
  gboolean exited;

  g_return_val_if_fail (DP_IS_REMOTE_CONNECTION (self), TRUE);

  g_mutex_lock (&self->lock);
  exited = self->exited;
  g_mutex_unlock (&self->lock);

  return exited;
}

/**
 * dp_remote_connection_get_exit_reason:
 * @self: a remote connection
 *
 * Returns: (nullable): how the remote place ended, once it has
 */
const char *
dp_remote_connection_get_exit_reason (DpRemoteConnection *self)
{
  g_return_val_if_fail (DP_IS_REMOTE_CONNECTION (self), NULL);
  return self->exit_reason;
}

/**
 * dp_distributed_place_wait:
 * @place: a remote place
 *
 * The seeds' `distributed-place-wait`.
 *
 * Returns: its completion value
 */
gint
dp_distributed_place_wait (DpRemoteConnection *place)
{
  return dp_remote_connection_wait (place);
}
