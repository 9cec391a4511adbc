/* dp-remote-connection.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-node"

#include "config.h"

#include "dp-error.h"
#include "dp-event-container.h"
#include "dp-place-channel-private.h"
#include "dp-remote-connection-private.h"
#include "dp-remote-node.h"

/**
 * DpRemoteConnection:
 *
 * A place running on another node, or a connection to a named place there
 * (the seeds' `remote-connection%`). It is a [iface@Dp.Channel]: what you
 * put reaches the place, what the place puts you get. When the place or
 * its node dies, gets fail with the reason and
 * [method@Dp.RemoteConnection.wait] returns.
 */

struct _DpRemoteConnection
{
  GObject parent_instance;

  DpRemoteNode *node;
  DpPlaceChannel *endpoint;
  guint32 channel_id;
  char *name;

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
  return DP_REMOTE_CONNECTION (channel)->endpoint;
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
  g_clear_object (&self->endpoint);
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
  DpRemoteConnection *self = g_object_new (DP_TYPE_REMOTE_CONNECTION, NULL);

  self->node = g_object_ref (node);
  self->endpoint = g_object_ref (endpoint);
  self->channel_id = channel_id;
  self->name = g_strdup (name);

  return self;
}

guint32
dp_remote_connection_get_channel_id (DpRemoteConnection *self)
{
  return self->channel_id;
}

/* The node said the place ended, or the node is gone. */
void
dp_remote_connection_report_exit (DpRemoteConnection *self,
                                  gint                status,
                                  const char         *reason)
{
  GList *tasks = NULL;

  g_mutex_lock (&self->lock);
  if (!self->exited)
    {
      self->exited = TRUE;
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
 * Waits for the remote place to end.
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
