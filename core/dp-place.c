/* dp-place.c: a place, an isolated unit of computation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-place"

#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>

#include "dp-error.h"
#include "dp-handles-private.h"
#include "dp-monitor.h"
#include "dp-node-private.h"
#include "dp-place-channel-private.h"
#include "dp-place-private.h"
#include "dp-plugin-registry.h"
#include "dp-util-private.h"

/**
 * DpPlace:
 *
 * A place: a function exported by a module, running apart from every other
 * place and talking to them only through channels (the seeds' place
 * descriptor). A place is itself a [iface@Dp.Channel] — its creator's end
 * of the channel the place function receives.
 *
 * How it runs is up to its backend plugin: `threads` (the default) runs it
 * in a thread of this process with messages passed by reference;
 * `processes` runs it in a child process, isolated from crashes.
 */

struct _DpPlace
{
  GObject parent_instance;

  char *module;
  char *function;
  char *name;
  char *backend_name;
  DpPlaceBackend *backend;

  DpPlaceChannel *endpoint;     /* the creator's end */
  GMainContext *creator_context;

  GMutex lock;
  GCond exited_cond;
  gboolean started;
  gboolean exited;
  gboolean death_told;          /* its channels know how it ended */
  gint killed;                  /* atomic */
  gint exit_status;
  char *exit_reason;
  GList *wait_tasks;            /* GTask* waiting in dp_place_wait_async() */
  GHashTable *owned;            /* DpPlaceChannel* → itself, strong */
  GMutex *wait_mutex;           /* where the place's code sleeps, if it does */
  GCond *wait_cond;

  /* What the place's code put and got, on any channel, for the control
   * plane: written by the thread that runs the place only (relaxed
   * atomics, no lock), once it entered it in this process. */
  gboolean entered;
  guint64 n_put, bytes_put;
  guint64 n_got, bytes_got;
};

enum {
  PROP_0,
  PROP_MODULE,
  PROP_FUNCTION,
  PROP_NAME,
  PROP_BACKEND,
  N_PROPS
};

enum {
  SIGNAL_EXITED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static GPrivate current_place;
static GPrivate creator_context_override;   /* GMainContext*, no reference */

static void dp_place_channel_iface_init (DpChannelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DpPlace, dp_place, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DP_TYPE_CHANNEL,
                                                      dp_place_channel_iface_init))

static DpPlaceChannel *
dp_place_get_endpoint_impl (DpChannel *channel)
{
  DpPlace *self = DP_PLACE (channel);

  /* A place that never started still answers, with a closed channel. */
  if (G_UNLIKELY (self->endpoint == NULL))
    {
      g_mutex_lock (&self->lock);
      if (self->endpoint == NULL)
        {
          self->endpoint = g_object_new (DP_TYPE_PLACE_CHANNEL, NULL);
          dp_place_channel_close_with_reason (self->endpoint, NULL);
        }
      g_mutex_unlock (&self->lock);
    }

  return self->endpoint;
}

static void
dp_place_channel_iface_init (DpChannelInterface *iface)
{
  iface->get_endpoint = dp_place_get_endpoint_impl;
}

static void
dp_place_finalize (GObject *object)
{
  DpPlace *self = DP_PLACE (object);

  g_free (self->module);
  g_free (self->function);
  g_free (self->name);
  g_free (self->backend_name);
  g_free (self->exit_reason);
  g_clear_object (&self->backend);
  g_clear_object (&self->endpoint);
  g_clear_pointer (&self->creator_context, g_main_context_unref);
  g_clear_pointer (&self->owned, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->exited_cond);

  G_OBJECT_CLASS (dp_place_parent_class)->finalize (object);
}

static void
dp_place_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  DpPlace *self = DP_PLACE (object);

  switch (prop_id)
    {
    case PROP_MODULE:
      g_value_set_string (value, self->module);
      break;
    case PROP_FUNCTION:
      g_value_set_string (value, self->function);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_BACKEND:
      g_value_set_string (value, self->backend_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_place_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  DpPlace *self = DP_PLACE (object);

  switch (prop_id)
    {
    case PROP_MODULE:
      dp_set_str (&self->module, g_value_get_string (value));
      break;
    case PROP_FUNCTION:
      dp_set_str (&self->function, g_value_get_string (value));
      break;
    case PROP_NAME:
      dp_place_set_name (self, g_value_get_string (value));
      break;
    case PROP_BACKEND:
      dp_set_str (&self->backend_name, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_place_class_init (DpPlaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_place_finalize;
  object_class->get_property = dp_place_get_property;
  object_class->set_property = dp_place_set_property;

  /**
   * DpPlace:module:
   *
   * The module the place function comes from: a plugin module name found
   * in the plugin directories, or a path to a shared object.
   */
  properties[PROP_MODULE] =
    g_param_spec_string ("module", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * DpPlace:function:
   *
   * The name of the [callback@Dp.PlaceFunc] the module exports.
   */
  properties[PROP_FUNCTION] =
    g_param_spec_string ("function", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * DpPlace:name:
   *
   * A name for logs and, on a node, for named places.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * DpPlace:backend:
   *
   * The place backend plugin that runs the place.
   */
  properties[PROP_BACKEND] =
    g_param_spec_string ("backend", NULL, NULL, "threads",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DpPlace::exited:
   * @self: the place
   * @status: its completion value: 0 when the function returned, 1 when
   *   killed, otherwise what it gave dp_place_exit()
   *
   * The place ended. Emitted in the thread-default main context of the
   * code that started it.
   */
  signals[SIGNAL_EXITED] =
    g_signal_new ("exited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
dp_place_init (DpPlace *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->exited_cond);
  self->owned = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
}

/**
 * dp_place_new:
 * @module: a plugin module name or a path to a shared object
 * @function: the name of the [callback@Dp.PlaceFunc] it exports
 *
 * Creates a place without starting it, to set its properties first.
 *
 * Returns: (transfer full): a new place
 */
DpPlace *
dp_place_new (const char *module,
              const char *function)
{
  g_return_val_if_fail (module != NULL, NULL);
  g_return_val_if_fail (function != NULL, NULL);

  return g_object_new (DP_TYPE_PLACE, "module", module, "function", function, NULL);
}

/**
 * dp_place_start:
 * @self: a place made by [ctor@Dp.Place.new]
 * @error: return location for a #GError
 *
 * Starts @self with its backend.
 *
 * Returns: %TRUE if the place is running
 */
gboolean
dp_place_start (DpPlace  *self,
                GError  **error)
{
  g_return_val_if_fail (DP_IS_PLACE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->lock);
  if (self->started)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "Place “%s” already started",
                   dp_place_get_name (self));
      return FALSE;
    }
  self->started = TRUE;
  g_mutex_unlock (&self->lock);

  if (self->backend == NULL)
    {
      self->backend = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                                 DP_PLACE_BACKEND_EXTENSION_POINT_NAME,
                                                 self->backend_name, error);
      if (self->backend == NULL)
        return FALSE;
    }

  if (self->creator_context == NULL)
    {
      GMainContext *override = g_private_get (&creator_context_override);

      self->creator_context = override != NULL ? g_main_context_ref (override)
                                               : g_main_context_ref_thread_default ();
    }

  if (!dp_place_backend_launch (self->backend, self, error))
    {
      g_mutex_lock (&self->lock);
      self->exited = TRUE;
      self->exit_status = 1;
      g_mutex_unlock (&self->lock);
      return FALSE;
    }

  g_debug ("place %s started (%s:%s, backend %s)", dp_place_get_name (self),
           self->module, self->function, self->backend_name);
  {
    g_autofree char *node = dp_node_describe_self ();

    dp_monitor_emit (dp_monitor_get_default (), DP_MONITOR_EVENT_PLACE_START,
                     g_variant_new_parsed ("{'place': <%s>, 'node': <%s>, 'module': <%s>, "
                                           "'function': <%s>, 'backend': <%s>}",
                                           dp_place_get_name (self) != NULL ? dp_place_get_name (self) : "",
                                           node, self->module != NULL ? self->module : "",
                                           self->function != NULL ? self->function : "",
                                           self->backend_name != NULL ? self->backend_name : "threads"));
  }
  return TRUE;
}

/**
 * dp_dynamic_place:
 * @module: a plugin module name, or a path to a shared object
 * @function: the name of the [callback@Dp.PlaceFunc] it exports
 * @error: return location for a #GError
 *
 * Starts a place running @function from @module with the default backend
 * (the seeds' `dynamic-place`). The place is also the channel to talk to
 * it: what it puts on its end you get from the place, and the other way.
 *
 * A module name is looked up in the plugin directories as `NAME.so` or
 * `libNAME.so`; an unknown module or symbol fails with %DP_ERROR_NOT_FOUND
 * naming the directories searched.
 *
 * Returns: (transfer full): the running place, or %NULL with @error set
 */
DpPlace *
dp_dynamic_place (const char  *module,
                  const char  *function,
                  GError     **error)
{
  g_autoptr(DpPlace) place = NULL;

  g_return_val_if_fail (module != NULL, NULL);
  g_return_val_if_fail (function != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  place = dp_place_new (module, function);
  if (!dp_place_start (place, error))
    return NULL;

  return g_steal_pointer (&place);
}

/**
 * dp_place:
 * @function: (scope forever): an exported function of a loaded module or of
 *   the program
 * @error: return location for a #GError
 *
 * Starts a place running @function (the seeds' `place` form). The function
 * must be exported — visible to `dladdr()` — so that a backend in another
 * process can find it again by module and name.
 *
 * Returns: (transfer full): the running place, or %NULL with @error set
 */
DpPlace *
dp_place (DpPlaceFunc   function,
          GError      **error)
{
  Dl_info info;

  g_return_val_if_fail (function != NULL, NULL);

  if (dladdr ((gpointer) function, &info) == 0 || info.dli_sname == NULL ||
      info.dli_saddr != (gpointer) function)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                   "dp_place(): the place function at %p is not an exported symbol "
                   "(build with -rdynamic or export it from a module)", (gpointer) function);
      return NULL;
    }

  return dp_dynamic_place (info.dli_fname, info.dli_sname, error);
}

/**
 * dp_place_from_thunk:
 * @module: a plugin module name, or a path to a shared object
 * @function: the name of the [callback@Dp.PlaceThunk] it exports
 * @error: return location for a #GError
 *
 * Calls @function, which creates a place and returns it (the seeds'
 * `#:thunk #t` and `launch-place` with `'place`).
 *
 * Returns: (transfer full): the place the thunk made, or %NULL with @error
 *   set
 */
DpPlace *
dp_place_from_thunk (const char  *module,
                     const char  *function,
                     GError     **error)
{
  DpPlaceThunk thunk;
  DpPlace *place;

  g_return_val_if_fail (module != NULL, NULL);
  g_return_val_if_fail (function != NULL, NULL);

  thunk = dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (),
                                            module, function, error);
  if (thunk == NULL)
    return NULL;

  place = thunk ();
  if (place == NULL)
    g_set_error (error, DP_ERROR, DP_ERROR_FAILED,
                 "The thunk %s from %s returned no place", function, module);
  return place;
}

const char *
dp_place_get_module (DpPlace *self)
{
  g_return_val_if_fail (DP_IS_PLACE (self), NULL);
  return self->module;
}

const char *
dp_place_get_function (DpPlace *self)
{
  g_return_val_if_fail (DP_IS_PLACE (self), NULL);
  return self->function;
}

/**
 * dp_place_get_name:
 * @self: a place
 *
 * Returns: the place's name, or its function name if it has none
 */
const char *
dp_place_get_name (DpPlace *self)
{
  g_return_val_if_fail (DP_IS_PLACE (self), NULL);
  return self->name != NULL ? self->name : self->function;
}

void
dp_place_set_name (DpPlace    *self,
                   const char *name)
{
  g_return_if_fail (DP_IS_PLACE (self));

  if (dp_set_str (&self->name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

const char *
dp_place_get_backend_name (DpPlace *self)
{
  g_return_val_if_fail (DP_IS_PLACE (self), NULL);
  return self->backend_name;
}

/**
 * dp_place_wait:
 * @self: a started place
 *
 * Waits until @self ends (the seeds' `place-wait`).
 *
 * Returns: its completion value
 */
gint
dp_place_wait (DpPlace *self)
{
  gint status;

  g_return_val_if_fail (DP_IS_PLACE (self), 1);

  g_mutex_lock (&self->lock);
  while (self->started && !self->exited)
    g_cond_wait (&self->exited_cond, &self->lock);
  status = self->exited ? self->exit_status : 1;
  g_mutex_unlock (&self->lock);

  return status;
}

/**
 * dp_place_wait_async:
 * @self: a started place
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when @self has ended
 * @user_data: data for @callback
 *
 * Waits for @self to end without blocking: the seeds' `place-dead-evt`.
 */
void
dp_place_wait_async (DpPlace             *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DP_IS_PLACE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dp_place_wait_async);

  g_mutex_lock (&self->lock);
  if (self->exited || !self->started)
    {
      gint status = self->exited ? self->exit_status : 1;
      g_mutex_unlock (&self->lock);
      g_task_return_int (task, status);
      return;
    }
  self->wait_tasks = g_list_prepend (self->wait_tasks, g_steal_pointer (&task));
  g_mutex_unlock (&self->lock);
}

/**
 * dp_place_wait_finish:
 * @self: a place
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: the completion value, or -1 with @error set if cancelled
 */
gint
dp_place_wait_finish (DpPlace       *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return (gint) g_task_propagate_int (G_TASK (result), error);
}

/**
 * dp_place_kill:
 * @self: a place
 *
 * Ends @self now (the seeds' `place-kill`): its completion value becomes 1
 * if it had none, its channels close, and whoever waits on them gets an
 * error. How abrupt the end is depends on the backend: a child process
 * is killed outright; a thread is told to stop and its next channel
 * operation fails with %DP_ERROR_KILLED.
 */
void
dp_place_kill (DpPlace *self)
{
  g_return_if_fail (DP_IS_PLACE (self));

  g_mutex_lock (&self->lock);
  if (!self->started || self->exited)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  g_atomic_int_set (&self->killed, TRUE);
  if (self->wait_mutex != NULL)
    {
      g_mutex_lock (self->wait_mutex);
      g_cond_broadcast (self->wait_cond);
      g_mutex_unlock (self->wait_mutex);
    }
  g_mutex_unlock (&self->lock);

  dp_place_backend_kill (self->backend, self);
}

gboolean
dp_place_has_exited (DpPlace *self)
{
  gboolean exited;

  g_return_val_if_fail (DP_IS_PLACE (self), TRUE);

  g_mutex_lock (&self->lock);
  exited = self->exited;
  g_mutex_unlock (&self->lock);

  return exited;
}

/**
 * dp_place_get_exit_status:
 * @self: a place
 *
 * Returns: the completion value of an ended place, or -1 while it runs
 */
gint
dp_place_get_exit_status (DpPlace *self)
{
  gint status;

  g_return_val_if_fail (DP_IS_PLACE (self), -1);

  g_mutex_lock (&self->lock);
  status = self->exited ? self->exit_status : -1;
  g_mutex_unlock (&self->lock);

  return status;
}

/**
 * dp_place_get_exit_reason:
 * @self: a place
 *
 * Returns: (nullable): how an ended place ended, in words ("exited with
 *   status 0", "killed by signal SIGABRT"…)
 */
const char *
dp_place_get_exit_reason (DpPlace *self)
{
  g_return_val_if_fail (DP_IS_PLACE (self), NULL);
  return self->exit_reason;
}

/**
 * dp_place_get_current:
 *
 * Returns: (transfer none) (nullable): the place the calling code runs in,
 *   or %NULL outside any place
 */
DpPlace *
dp_place_get_current (void)
{
  return g_private_get (&current_place);
}

/**
 * dp_place_exit:
 * @status: the completion value, 0 to 255
 *
 * Ends the calling place with @status (the seeds' `exit` inside a place).
 * Outside a place it exits the process.
 *
 * In a threads place the thread ends at once, its stack unwound:
 * `g_autoptr()` and `g_autofree` locals of the functions it leaves are
 * freed on the way, as they are when the place function returns, if their
 * code was compiled with `-fexceptions` (dplaces' own is; give a plugin
 * that calls this the flag too). A processes place exits its process.
 */
void
dp_place_exit (gint status)
{
  DpPlace *self = dp_place_get_current ();

  if (self == NULL || self->backend == NULL)
    exit (status);

  DP_PLACE_BACKEND_GET_IFACE (self->backend)->exit_current (self->backend, self, status & 0xff);
  g_assert_not_reached ();
}

/**
 * dp_processor_count:
 *
 * Returns: how many places can run in parallel on this machine (the
 *   seeds' `processor-count`)
 */
guint
dp_processor_count (void)
{
  return g_get_num_processors ();
}

/* Backend API. */

/**
 * dp_place_set_endpoint:
 * @place: a place being launched
 * @endpoint: the creator's end of its channel
 *
 * For backends: gives @place the endpoint its creator talks through.
 */
void
dp_place_set_endpoint (DpPlace        *place,
                       DpPlaceChannel *endpoint)
{
  g_return_if_fail (DP_IS_PLACE (place));
  g_return_if_fail (DP_IS_PLACE_CHANNEL (endpoint));

  g_mutex_lock (&place->lock);
  g_set_object (&place->endpoint, endpoint);
  g_mutex_unlock (&place->lock);
}

/**
 * dp_place_enter:
 * @place: a place
 *
 * For backends: marks the calling thread as running @place, so that
 * [func@Dp.place_get_current] finds it.
 */
void
dp_place_enter (DpPlace *place)
{
  g_atomic_int_set (&place->entered, TRUE);
  g_private_set (&current_place, place);
}

/**
 * dp_place_leave:
 * @place: a place
 *
 * For backends: the calling thread no longer runs @place.
 */
void
dp_place_leave (DpPlace *place)
{
  if (g_private_get (&current_place) == place)
    g_private_set (&current_place, NULL);
}

static gboolean
emit_exited_cb (gpointer data)
{
  DpPlace *self = data;

  g_signal_emit (self, signals[SIGNAL_EXITED], 0, self->exit_status);
  return G_SOURCE_REMOVE;
}

/**
 * dp_place_report_exit:
 * @place: a place
 * @status: its completion value
 * @reason: (nullable): how it ended, in words
 *
 * For backends: @place has ended. Its creator's channel dies (gets drain,
 * then fail with %DP_ERROR_PEER_DIED), the channels it received close,
 * waiters wake and #DpPlace::exited is emitted. Only the first report
 * counts.
 */
void
dp_place_report_exit (DpPlace    *place,
                      gint        status,
                      const char *reason)
{
  g_autoptr(GError) death = NULL;
  g_autoptr(GPtrArray) owned = NULL;
  GList *tasks;

  g_return_if_fail (DP_IS_PLACE (place));

  g_mutex_lock (&place->lock);
  if (place->exited)
    {
      /* The other reporter (the killer, or the place's own thread) tells
       * the channels; ours must not close before they know, or a get on
       * the other end would see "closed" instead of the death. */
      while (!place->death_told)
        g_cond_wait (&place->exited_cond, &place->lock);
      g_mutex_unlock (&place->lock);
      return;
    }
  place->exited = TRUE;
  /* A killed place's completion value is 1, whoever reports first (the
   * place's own thread may, woken by the kill). */
  if (g_atomic_int_get (&place->killed))
    {
      status = 1;
      reason = "killed";
    }
  place->exit_status = status;
  place->exit_reason = reason != NULL ? g_strdup (reason)
                                      : g_strdup_printf ("exited with status %d", status);
  tasks = g_steal_pointer (&place->wait_tasks);
  owned = g_ptr_array_new_with_free_func (g_object_unref);
  {
    GHashTableIter iter;
    gpointer endpoint;

    g_hash_table_iter_init (&iter, place->owned);
    while (g_hash_table_iter_next (&iter, &endpoint, NULL))
      {
        g_ptr_array_add (owned, endpoint);
        g_hash_table_iter_steal (&iter);
      }
  }
  g_cond_broadcast (&place->exited_cond);
  g_mutex_unlock (&place->lock);

  g_debug ("place %s %s", dp_place_get_name (place), place->exit_reason);
  {
    g_autofree char *node = dp_node_describe_self ();

    dp_monitor_emit (dp_monitor_get_default (), DP_MONITOR_EVENT_PLACE_EXIT,
                     g_variant_new_parsed ("{'place': <%s>, 'node': <%s>, 'status': <%i>, 'reason': <%s>}",
                                           dp_place_get_name (place) != NULL ? dp_place_get_name (place) : "",
                                           node, place->exit_status, place->exit_reason));
  }

  death = g_error_new (DP_ERROR, DP_ERROR_PEER_DIED, "Place “%s” %s",
                       dp_place_get_name (place), place->exit_reason);
  if (place->endpoint != NULL)
    dp_place_channel_peer_closed (place->endpoint, death);

  for (guint i = 0; i < owned->len; i++)
    {
      DpPlaceChannel *endpoint = g_ptr_array_index (owned, i);

      if (dp_place_channel_get_owner (endpoint) != place)
        continue;
      dp_place_channel_set_owner (endpoint, NULL);
      /* Close what only this place held (our reference in @owned and the
       * handle table's): its other end would wait forever. A channel
       * others hold too — a place descriptor shared among workers — lives
       * on until they let go: the table stops pinning it, so the last
       * holder's unref closes it. */
      if (G_OBJECT (endpoint)->ref_count <= 1 + (guint) dp_handles_holds (G_OBJECT (endpoint)))
        dp_place_channel_close_with_reason (endpoint, death);
      else
        {
          dp_place_channel_set_close_reason (endpoint, death);
          dp_handles_unpin (G_OBJECT (endpoint));
        }
    }

  g_mutex_lock (&place->lock);
  place->death_told = TRUE;
  g_cond_broadcast (&place->exited_cond);
  g_mutex_unlock (&place->lock);

  for (GList *l = tasks; l != NULL; l = l->next)
    {
      g_task_return_int (l->data, status);
      g_object_unref (l->data);
    }
  g_list_free (tasks);

  if (place->creator_context != NULL)
    g_main_context_invoke_full (place->creator_context, G_PRIORITY_DEFAULT,
                                emit_exited_cb, g_object_ref (place), g_object_unref);
}

/**
 * dp_place_resolve_function:
 * @place: a place
 * @error: return location for a #GError
 *
 * For backends: finds the place function by module and name in the plugin
 * directories.
 *
 * Returns: (nullable): the function, or %NULL with @error set
 */
DpPlaceFunc
dp_place_resolve_function (DpPlace  *place,
                           GError  **error)
{
  g_return_val_if_fail (DP_IS_PLACE (place), NULL);

  return (DpPlaceFunc) dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (),
                                                         place->module, place->function,
                                                         error);
}

/* Private. */

/* Counts a message the place's code put (@put) or got. Only the thread
 * running the place calls it, so a relaxed load and store suffice: no
 * locked instruction on the put and get paths. */
void
dp_place_count_traffic (DpPlace  *self,
                        gboolean  put,
                        gsize     bytes)
{
  guint64 *n = put ? &self->n_put : &self->n_got;
  guint64 *b = put ? &self->bytes_put : &self->bytes_got;

  __atomic_store_n (n, __atomic_load_n (n, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
  __atomic_store_n (b, __atomic_load_n (b, __ATOMIC_RELAXED) + bytes, __ATOMIC_RELAXED);
}

/* What the place's code put and got so far; %FALSE if its code does not
 * run in this process (a processes place, seen from its creator). */
gboolean
dp_place_get_traffic (DpPlace *self,
                      guint64 *n_got,
                      guint64 *bytes_got,
                      guint64 *n_put,
                      guint64 *bytes_put)
{
  *n_got = __atomic_load_n (&self->n_got, __ATOMIC_RELAXED);
  *bytes_got = __atomic_load_n (&self->bytes_got, __ATOMIC_RELAXED);
  *n_put = __atomic_load_n (&self->n_put, __ATOMIC_RELAXED);
  *bytes_put = __atomic_load_n (&self->bytes_put, __ATOMIC_RELAXED);
  return g_atomic_int_get (&self->entered);
}

gboolean
dp_place_begin_wait (DpPlace  *self,
                     GMutex   *mutex,
                     GCond    *cond,
                     GError  **error)
{
  g_mutex_lock (&self->lock);
  if (g_atomic_int_get (&self->killed))
    {
      g_mutex_unlock (&self->lock);
      g_set_error_literal (error, DP_ERROR, DP_ERROR_KILLED, "This place was killed");
      return FALSE;
    }
  self->wait_mutex = mutex;
  self->wait_cond = cond;
  g_mutex_unlock (&self->lock);

  return TRUE;
}

void
dp_place_end_wait (DpPlace *self)
{
  g_mutex_lock (&self->lock);
  self->wait_mutex = NULL;
  self->wait_cond = NULL;
  g_mutex_unlock (&self->lock);
}

gboolean
dp_place_is_killed (DpPlace *self)
{
  return g_atomic_int_get (&self->killed);
}

void
dp_place_adopt_endpoint (DpPlace        *self,
                         DpPlaceChannel *endpoint)
{
  DpPlace *previous = dp_place_channel_get_owner (endpoint);

  if (previous != NULL)
    dp_place_release_endpoint (previous, endpoint);

  g_mutex_lock (&self->lock);
  if (!self->exited && !g_hash_table_contains (self->owned, endpoint))
    {
      g_hash_table_add (self->owned, g_object_ref (endpoint));
      dp_place_channel_set_owner (endpoint, self);
    }
  g_mutex_unlock (&self->lock);
}

void
dp_place_release_endpoint (DpPlace        *self,
                           DpPlaceChannel *endpoint)
{
  gboolean removed;

  g_mutex_lock (&self->lock);
  if (dp_place_channel_get_owner (endpoint) == self)
    dp_place_channel_set_owner (endpoint, NULL);
  removed = g_hash_table_steal (self->owned, endpoint);
  g_mutex_unlock (&self->lock);

  if (removed)
    g_object_unref (endpoint);
}

void
dp_place_set_backend (DpPlace        *self,
                      DpPlaceBackend *backend)
{
  g_set_object (&self->backend, backend);
}

/* Places started by the calling thread from now on report to @context
 * (NULL: the thread-default context, as usual) — for code that starts
 * places on behalf of a main loop running on another thread, such as a
 * node calling a peer's thunk on the thread that reads the peer. */
void
dp_place_set_thread_creator_context (GMainContext *context)
{
  g_private_set (&creator_context_override, context);
}

void
dp_place_set_creator_context (DpPlace      *self,
                              GMainContext *context)
{
  g_clear_pointer (&self->creator_context, g_main_context_unref);
  self->creator_context = g_main_context_ref (context);
}
