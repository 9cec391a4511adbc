/* dp-rpc-server.c: a place that serves RPC requests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rpc"

#include <dplaces/dplaces.h>

#include "dp-rpc-client.h"
#include "dp-rpc-error.h"
#include "dp-rpc-server.h"

/**
 * DpRpcServer:
 *
 * An RPC server: the loop of a place that takes requests from its
 * channel, runs the method each names and answers — the seeds'
 * `define-remote-server` and `define-named-remote-server`, whose
 * `make-NAME` place function is a [method@Dp.RpcServer.run] of a server
 * with its methods added.
 *
 * One server serves both kinds of clients, so the two Racket forms are
 * one type here: a request that comes bare is its creator's (a private
 * server started with `supervise-place-at`, or the creator of a named
 * one) and is answered on the place's channel; a request that comes as
 * `(message, reply)` is a named place's client's (see
 * [func@Dp.named_place_message_unwrap]) and is answered on its reply
 * channel. Any number of clients on any nodes may call at once; the
 * server runs their requests one at a time, in the order they arrive.
 *
 * Requests are %DP_RPC_REQUEST_TYPE, replies %DP_RPC_REPLY_TYPE. Each
 * method declares the type of its arguments (a tuple type, possibly
 * indefinite such as `r`) and, for a `define-rpc`, of its result; the
 * server checks the arguments before the handler runs and answers
 * %DP_RPC_ERROR_INVALID_ARGS, or %DP_RPC_ERROR_UNKNOWN_METHOD, when they
 * do not fit. A cast that cannot run has nobody to answer: that is logged
 * to the server's parent (`log-to-parent`) instead.
 *
 * The server's state (`define-state`) is any data the handlers share:
 * [method@Dp.RpcServer.set_state].
 *
 * When the server ends — its loop returns, or its place ends, even from
 * inside a handler with [func@Dp.place_exit] — it closes the reply
 * channels of the named place's clients it has served, so their calls
 * fail with %DP_RPC_ERROR_SERVER_DIED at once rather than wait.
 */

typedef struct {
  char *name;
  gboolean cast;
  GVariantType *args_type;
  GVariantType *reply_type;   /* NULL: any */
  DpRpcHandler handler;
  gpointer user_data;
  GDestroyNotify destroy;
} Method;

/* The reply channels of the named place's clients, weakly: closed when
 * the server ends. Shared with the handler of the place's end, which may
 * run after the server is gone. */
typedef struct {
  gatomicrefcount ref;
  GMutex lock;
  GHashTable *replies;   /* DpPlaceChannel* → GWeakRef* */
  guint prune_at;
} ReplySet;

struct _DpRpcServer
{
  GObject parent_instance;

  char *name;
  ReplySet *replies;
  DpPlace *watched_place;   /* whose end closes the replies; not a reference */
  GHashTable *methods;        /* name → Method*, owned */
  GPtrArray *method_names;    /* in the order they were added; owned by methods */
  gpointer state;
  GDestroyNotify state_destroy;
  gint quit;
  guint64 n_handled;
};

enum {
  PROP_0,
  PROP_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (DpRpcServer, dp_rpc_server, G_TYPE_OBJECT)

static GPrivate current_server;

static void
weak_ref_free (gpointer data)
{
  GWeakRef *weak = data;

  g_weak_ref_clear (weak);
  g_free (weak);
}

static ReplySet *
reply_set_new (void)
{
  ReplySet *set = g_new0 (ReplySet, 1);

  g_atomic_ref_count_init (&set->ref);
  g_mutex_init (&set->lock);
  set->replies = g_hash_table_new_full (NULL, NULL, NULL, weak_ref_free);
  set->prune_at = 64;
  return set;
}

static ReplySet *
reply_set_ref (ReplySet *set)
{
  g_atomic_ref_count_inc (&set->ref);
  return set;
}

static void
reply_set_unref (gpointer data)
{
  ReplySet *set = data;

  if (!g_atomic_ref_count_dec (&set->ref))
    return;
  g_hash_table_unref (set->replies);
  g_mutex_clear (&set->lock);
  g_free (set);
}

static gboolean
weak_ref_is_dead (gpointer key,
                  gpointer value,
                  gpointer user_data)
{
  g_autoptr(GObject) object = g_weak_ref_get (value);

  return object == NULL;
}

/* Remembers @endpoint, a client's reply channel. Cheap when it is known:
 * one lookup under an uncontended lock. */
static void
reply_set_add (ReplySet       *set,
               DpPlaceChannel *endpoint)
{
  GWeakRef *weak;

  g_mutex_lock (&set->lock);
  weak = g_hash_table_lookup (set->replies, endpoint);
  if (weak == NULL)
    {
      weak = g_new0 (GWeakRef, 1);
      g_weak_ref_init (weak, endpoint);
      g_hash_table_insert (set->replies, endpoint, weak);
      if (g_hash_table_size (set->replies) >= set->prune_at)
        {
          g_hash_table_foreach_remove (set->replies, weak_ref_is_dead, NULL);
          set->prune_at = MAX (64, 2 * g_hash_table_size (set->replies));
        }
    }
  else
    {
      g_autoptr(GObject) known = g_weak_ref_get (weak);

      /* A new endpoint at the address of one that is gone. */
      if (known == NULL)
        g_weak_ref_set (weak, endpoint);
    }
  g_mutex_unlock (&set->lock);
}

/* The server ended: its clients' calls fail now. */
static void
reply_set_close_all (ReplySet *set)
{
  g_autoptr(GPtrArray) endpoints = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer weak;

  g_mutex_lock (&set->lock);
  g_hash_table_iter_init (&iter, set->replies);
  while (g_hash_table_iter_next (&iter, NULL, &weak))
    {
      GObject *endpoint = g_weak_ref_get (weak);

      if (endpoint != NULL)
        g_ptr_array_add (endpoints, endpoint);
    }
  g_hash_table_remove_all (set->replies);
  g_mutex_unlock (&set->lock);

  for (guint i = 0; i < endpoints->len; i++)
    dp_channel_close (g_ptr_array_index (endpoints, i));
}

static void
place_exited_cb (DpPlace  *place,
                 gint      status,
                 gpointer  data)
{
  reply_set_close_all (data);
}

static void
reply_set_closure_free (gpointer  data,
                        GClosure *closure)
{
  reply_set_unref (data);
}

static void
method_free (gpointer data)
{
  Method *method = data;

  if (method->destroy != NULL)
    method->destroy (method->user_data);
  g_variant_type_free (method->args_type);
  g_clear_pointer (&method->reply_type, g_variant_type_free);
  g_free (method->name);
  g_free (method);
}

static void
dp_rpc_server_finalize (GObject *object)
{
  DpRpcServer *self = DP_RPC_SERVER (object);

  g_ptr_array_unref (self->method_names);
  g_hash_table_unref (self->methods);
  reply_set_unref (self->replies);
  if (self->state_destroy != NULL)
    self->state_destroy (self->state);
  g_free (self->name);

  G_OBJECT_CLASS (dp_rpc_server_parent_class)->finalize (object);
}

static void
dp_rpc_server_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DpRpcServer *self = DP_RPC_SERVER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_rpc_server_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DpRpcServer *self = DP_RPC_SERVER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      if (self->name == NULL)
        self->name = g_strdup ("rpc-server");
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_rpc_server_class_init (DpRpcServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_rpc_server_finalize;
  object_class->get_property = dp_rpc_server_get_property;
  object_class->set_property = dp_rpc_server_set_property;

  /**
   * DpRpcServer:name:
   *
   * The server's name, as in `(define-remote-server NAME …)`: in its log
   * lines and error messages.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_rpc_server_init (DpRpcServer *self)
{
  self->methods = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, method_free);
  self->method_names = g_ptr_array_new ();
  self->replies = reply_set_new ();
}

/**
 * dp_rpc_server_new:
 * @name: the server's name, for messages, such as `tuple-server`
 *
 * Creates a server without methods. Add them, then run it in a place.
 *
 * Returns: (transfer full): the server
 */
DpRpcServer *
dp_rpc_server_new (const char *name)
{
  return g_object_new (DP_TYPE_RPC_SERVER, "name", name, NULL);
}

/**
 * dp_rpc_server_get_name:
 * @self: a server
 *
 * Returns: its name
 */
const char *
dp_rpc_server_get_name (DpRpcServer *self)
{
  g_return_val_if_fail (DP_IS_RPC_SERVER (self), NULL);
  return self->name;
}

/**
 * dp_rpc_server_set_state:
 * @self: a server
 * @state: (nullable): the data the handlers share
 * @destroy: (nullable): frees @state with the server
 *
 * Gives the server its state: the seeds' `define-state`, which the
 * methods close over. Generated skeletons make a struct with one field
 * per `define-state` of the interface.
 */
void
dp_rpc_server_set_state (DpRpcServer    *self,
                         gpointer        state,
                         GDestroyNotify  destroy)
{
  gpointer old_state;
  GDestroyNotify old_destroy;

  g_return_if_fail (DP_IS_RPC_SERVER (self));

  old_state = self->state;
  old_destroy = self->state_destroy;
  self->state = state;
  self->state_destroy = destroy;
  if (old_destroy != NULL)
    old_destroy (old_state);
}

/**
 * dp_rpc_server_get_state:
 * @self: a server
 *
 * Returns: (transfer none) (nullable): its state
 */
gpointer
dp_rpc_server_get_state (DpRpcServer *self)
{
  g_return_val_if_fail (DP_IS_RPC_SERVER (self), NULL);
  return self->state;
}

static void
add_method (DpRpcServer    *self,
            const char     *name,
            gboolean        cast,
            const char     *args_type,
            const char     *reply_type,
            DpRpcHandler    handler,
            gpointer        user_data,
            GDestroyNotify  destroy)
{
  Method *method;

  g_return_if_fail (DP_IS_RPC_SERVER (self));
  g_return_if_fail (name != NULL && name[0] != '\0');
  g_return_if_fail (args_type == NULL || (g_variant_type_string_is_valid (args_type) &&
                                          g_variant_type_is_tuple (G_VARIANT_TYPE (args_type))));
  g_return_if_fail (reply_type == NULL || g_variant_type_string_is_valid (reply_type));
  g_return_if_fail (handler != NULL);

  method = g_new0 (Method, 1);
  method->name = g_strdup (name);
  method->cast = cast;
  method->args_type = g_variant_type_new (args_type != NULL ? args_type : "()");
  method->reply_type = reply_type != NULL ? g_variant_type_new (reply_type) : NULL;
  method->handler = handler;
  method->user_data = user_data;
  method->destroy = destroy;

  if (g_hash_table_lookup (self->methods, name) != NULL)
    {
      g_ptr_array_remove (self->method_names, g_hash_table_lookup (self->methods, name));
      g_hash_table_remove (self->methods, name);
    }
  g_hash_table_insert (self->methods, method->name, method);
  g_ptr_array_add (self->method_names, method);
}

/**
 * dp_rpc_server_add_rpc:
 * @self: a server
 * @method: the method's name, such as `set`
 * @args_type: (nullable): the GVariant type of its arguments, a tuple
 *   type such as `(sv)`; `()` for none, %NULL likewise
 * @reply_type: (nullable): the GVariant type of its result, such as `v`;
 *   %NULL for any
 * @handler: runs it
 * @user_data: passed to @handler
 * @destroy: (nullable): frees @user_data with the server
 *
 * Adds a method that answers: the seeds' `define-rpc`. A method of the
 * same name is replaced. Add methods before the server runs.
 */
void
dp_rpc_server_add_rpc (DpRpcServer    *self,
                       const char     *method,
                       const char     *args_type,
                       const char     *reply_type,
                       DpRpcHandler    handler,
                       gpointer        user_data,
                       GDestroyNotify  destroy)
{
  add_method (self, method, FALSE, args_type, reply_type, handler, user_data, destroy);
}

/**
 * dp_rpc_server_add_cast:
 * @self: a server
 * @method: the method's name, such as `hello`
 * @args_type: (nullable): the GVariant type of its arguments, a tuple
 *   type; `()` or %NULL for none
 * @handler: runs it; its result is ignored, its error logged to the
 *   server's parent
 * @user_data: passed to @handler
 * @destroy: (nullable): frees @user_data with the server
 *
 * Adds a one-way method: the seeds' `define-cast`. Should a client call
 * it with [func@Dp.rpc_call] rather than cast it, it is answered with
 * `()` once it ran.
 */
void
dp_rpc_server_add_cast (DpRpcServer    *self,
                        const char     *method,
                        const char     *args_type,
                        DpRpcHandler    handler,
                        gpointer        user_data,
                        GDestroyNotify  destroy)
{
  add_method (self, method, TRUE, args_type, "()", handler, user_data, destroy);
}

/**
 * dp_rpc_server_list_methods:
 * @self: a server
 *
 * Returns: (transfer full): the names of its methods, in the order they
 *   were added
 */
GStrv
dp_rpc_server_list_methods (DpRpcServer *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (DP_IS_RPC_SERVER (self), NULL);

  for (guint i = 0; i < self->method_names->len; i++)
    g_strv_builder_add (builder, ((Method *) g_ptr_array_index (self->method_names, i))->name);
  return g_strv_builder_end (builder);
}

static void
send_reply (DpRpcServer  *self,
            DpChannel    *reply_to,
            guint32       serial,
            const char   *method,
            GVariant     *result,
            const GError *error)
{
  g_autoptr(GError) put_error = NULL;
  GVariant *reply;

  if (error != NULL)
    reply = g_variant_new ("(ubv)", serial, FALSE,
                           g_variant_new ("(sis)", g_quark_to_string (error->domain),
                                          error->code, error->message));
  else
    reply = g_variant_new ("(ubv)", serial, TRUE, result);

  /* A client that left before its answer is not the server's problem. */
  if (!dp_channel_put (reply_to, reply, &put_error))
    g_debug ("%s: cannot answer %s: %s", self->name, method, put_error->message);
}

/* Runs @method with @args; returns the result or NULL with @error set. */
static GVariant *
run_method (DpRpcServer  *self,
            Method       *method,
            GVariant     *args,
            GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GVariant) result = NULL;
  DpRpcServer *previous = g_private_get (&current_server);

  g_private_set (&current_server, self);
  result = method->handler (self, args, method->user_data, &local_error);
  g_private_set (&current_server, previous);
  if (result != NULL)
    result = g_variant_take_ref (result);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (method->cast)
    return g_variant_ref_sink (g_variant_new ("()"));
  if (result == NULL)
    {
      if (method->reply_type == NULL || g_variant_type_equal (method->reply_type, G_VARIANT_TYPE_UNIT))
        return g_variant_ref_sink (g_variant_new ("()"));
      g_set_error (error, DP_RPC_ERROR, DP_RPC_ERROR_FAILED,
                   "Method “%s” of RPC server “%s” returned no result", method->name, self->name);
      return NULL;
    }
  if (method->reply_type != NULL && !g_variant_is_of_type (result, method->reply_type))
    {
      g_autofree char *expected = g_variant_type_dup_string (method->reply_type);

      g_set_error (error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_REPLY,
                   "Method “%s” of RPC server “%s” returned a value of type %s; its interface says %s",
                   method->name, self->name, g_variant_get_type_string (result), expected);
      dp_rpc_server_log_to_parent (self, DP_LOG_WARNING, (*error)->message);
      return NULL;
    }
  return g_steal_pointer (&result);
}

/**
 * dp_rpc_server_handle:
 * @self: a server
 * @channel: (nullable): the channel @message came on: a bare request is
 *   answered there
 * @message: a request, bare or as a named place's `(message, reply)`
 *
 * Handles one message: runs the method it names and answers. For a place
 * that serves requests in a loop of its own, among other messages; the
 * usual loop is [method@Dp.RpcServer.run].
 */
void
dp_rpc_server_handle (DpRpcServer *self,
                      DpChannel   *channel,
                      GVariant    *message)
{
  g_autoptr(GVariant) request = NULL;
  g_autoptr(GVariant) args = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(DpChannel) reply_to = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint32 serial;
  Method *method;

  g_return_if_fail (DP_IS_RPC_SERVER (self));
  g_return_if_fail (channel == NULL || DP_IS_CHANNEL (channel));
  g_return_if_fail (message != NULL);

  self->n_handled++;

  if (g_variant_is_of_type (message, G_VARIANT_TYPE ("(vh)")))
    {
      request = dp_named_place_message_unwrap (message, &reply_to, &error);
      if (request == NULL)
        {
          dp_rpc_server_log_to_parent (self, DP_LOG_WARNING, error->message);
          return;
        }
      reply_set_add (self->replies, dp_channel_get_endpoint (reply_to));
    }
  else
    {
      request = g_variant_ref (message);
      reply_to = channel != NULL ? g_object_ref (channel) : NULL;
    }

  if (!g_variant_is_of_type (request, G_VARIANT_TYPE (DP_RPC_REQUEST_TYPE)))
    {
      g_autofree char *text = g_variant_print (request, TRUE);
      g_autofree char *line = NULL;

      /* (method, serial, not a tuple): a caller waits, so answer it. */
      if (g_variant_is_of_type (request, G_VARIANT_TYPE ("(su*)")))
        {
          g_autoptr(GVariant) not_args = g_variant_get_child_value (request, 2);

          g_variant_get_child (request, 0, "&s", &name);
          g_variant_get_child (request, 1, "u", &serial);
          g_set_error (&error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_ARGS,
                       "RPC server “%s”: the arguments of “%s” must be a tuple, not a value of type %s",
                       self->name, name, g_variant_get_type_string (not_args));
          if (serial != 0 && reply_to != NULL)
            {
              send_reply (self, reply_to, serial, name, NULL, error);
              return;
            }
          dp_rpc_server_log_to_parent (self, DP_LOG_WARNING, error->message);
          return;
        }

      line = g_strdup_printf ("ignored a message that is not an RPC request %s: %.200s",
                              DP_RPC_REQUEST_TYPE, text);
      dp_rpc_server_log_to_parent (self, DP_LOG_WARNING, line);
      return;
    }

  g_variant_get (request, "(&su@r)", &name, &serial, &args);
  method = g_hash_table_lookup (self->methods, name);
  if (method == NULL)
    g_set_error (&error, DP_RPC_ERROR, DP_RPC_ERROR_UNKNOWN_METHOD,
                 "RPC server “%s” has no method “%s”", self->name, name);
  else if (!g_variant_is_of_type (args, method->args_type))
    {
      g_autofree char *expected = g_variant_type_dup_string (method->args_type);

      g_set_error (&error, DP_RPC_ERROR, DP_RPC_ERROR_INVALID_ARGS,
                   "Method “%s” of RPC server “%s” takes arguments of type %s, got %s",
                   name, self->name, expected, g_variant_get_type_string (args));
    }
  else
    result = run_method (self, method, args, &error);

  if (serial != 0 && reply_to != NULL)
    send_reply (self, reply_to, serial, name, result, error);
  else if (error != NULL)
    {
      g_autofree char *line = g_strdup_printf ("cast %s: %s", name, error->message);
      dp_rpc_server_log_to_parent (self, DP_LOG_WARNING, line);
    }
}

/**
 * dp_rpc_server_run:
 * @self: a server
 * @channel: the place's channel
 *
 * Serves requests from @channel until it closes — its creator, or the
 * node, went away — or a handler calls [method@Dp.RpcServer.quit]: the
 * loop of the seeds' `make-NAME` place function.
 */
void
dp_rpc_server_run (DpRpcServer *self,
                   DpChannel   *channel)
{
  DpPlace *place = dp_place_get_current ();

  g_return_if_fail (DP_IS_RPC_SERVER (self));
  g_return_if_fail (DP_IS_CHANNEL (channel));

  /* Should the place end inside a handler, its clients learn it too. */
  if (place != NULL && place != self->watched_place)
    {
      self->watched_place = place;
      g_signal_connect_data (place, "exited", G_CALLBACK (place_exited_cb),
                             reply_set_ref (self->replies), reply_set_closure_free, 0);
    }

  g_atomic_int_set (&self->quit, FALSE);
  while (!g_atomic_int_get (&self->quit))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = dp_channel_get (channel, &error);

      if (message == NULL)
        {
          g_debug ("%s: its channel closed (%s): the server ends", self->name, error->message);
          break;
        }
      dp_rpc_server_handle (self, channel, message);
    }

  reply_set_close_all (self->replies);
}

typedef struct {
  DpRpcServer *server;
  DpChannel *channel;
} SourceData;

static void
source_data_free (gpointer data)
{
  SourceData *source_data = data;

  g_object_unref (source_data->server);
  g_object_unref (source_data->channel);
  g_free (source_data);
}

static gboolean
source_ready_cb (DpChannel *channel,
                 gpointer   data)
{
  SourceData *source_data = data;

  while (!g_atomic_int_get (&source_data->server->quit))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = dp_channel_try_get (channel, &error);

      if (message == NULL && error == NULL)
        return G_SOURCE_CONTINUE;
      if (message == NULL)
        break;
      dp_rpc_server_handle (source_data->server, channel, message);
    }
  reply_set_close_all (source_data->server->replies);
  return G_SOURCE_REMOVE;
}

/**
 * dp_rpc_server_create_source:
 * @self: a server
 * @channel: the channel requests come on
 *
 * Serves requests from @channel in a main loop rather than in a place's
 * loop of its own: attach the source to a #GMainContext. It is removed
 * when @channel closes or a handler calls [method@Dp.RpcServer.quit].
 *
 * Returns: (transfer full): the source, not attached
 */
GSource *
dp_rpc_server_create_source (DpRpcServer *self,
                             DpChannel   *channel)
{
  SourceData *data;
  GSource *source;

  g_return_val_if_fail (DP_IS_RPC_SERVER (self), NULL);
  g_return_val_if_fail (DP_IS_CHANNEL (channel), NULL);

  data = g_new0 (SourceData, 1);
  data->server = g_object_ref (self);
  data->channel = g_object_ref (channel);
  g_atomic_int_set (&self->quit, FALSE);

  source = dp_channel_create_source (channel);
  g_source_set_callback (source, G_SOURCE_FUNC (source_ready_cb), data, source_data_free);
  g_source_set_static_name (source, "DpRpcServer");
  return source;
}

/**
 * dp_rpc_server_quit:
 * @self: a server
 *
 * Ends [method@Dp.RpcServer.run] once the request being handled is
 * answered. Call it from a handler.
 */
void
dp_rpc_server_quit (DpRpcServer *self)
{
  g_return_if_fail (DP_IS_RPC_SERVER (self));
  g_atomic_int_set (&self->quit, TRUE);
}

/**
 * dp_rpc_server_get_n_handled:
 * @self: a server
 *
 * Returns: how many messages the server has handled
 */
guint64
dp_rpc_server_get_n_handled (DpRpcServer *self)
{
  g_return_val_if_fail (DP_IS_RPC_SERVER (self), 0);
  return self->n_handled;
}

/**
 * dp_rpc_server_log_to_parent:
 * @self: a server
 * @severity: how grave
 * @message: the text
 *
 * Sends a log line to the server's owner, which passes it on to the
 * root: the seeds' `log-to-parent`. The line is prefixed with the
 * server's name.
 */
void
dp_rpc_server_log_to_parent (DpRpcServer   *self,
                             DpLogSeverity  severity,
                             const char    *message)
{
  g_autofree char *line = NULL;

  g_return_if_fail (DP_IS_RPC_SERVER (self));
  g_return_if_fail (message != NULL);

  line = g_strdup_printf ("%s: %s", self->name, message);
  dp_log_message (severity, line);
}

/**
 * dp_rpc_server_get_current:
 *
 * Returns: (transfer none) (nullable): the server whose handler runs on
 *   this thread, or %NULL outside handlers
 */
DpRpcServer *
dp_rpc_server_get_current (void)
{
  return g_private_get (&current_server);
}

/**
 * dp_rpc_log_to_parent:
 * @severity: how grave (the seeds' `#:severity`, `'info` by default there)
 * @format: a printf() format
 * @...: its arguments
 *
 * `log-to-parent` inside a handler: logs to the owner of the server whose
 * handler runs on this thread (see [method@Dp.RpcServer.log_to_parent]);
 * outside handlers, a plain [func@Dp.log_message].
 */
void
dp_rpc_log_to_parent (DpLogSeverity  severity,
                      const char    *format,
                      ...)
{
  g_autofree char *message = NULL;
  DpRpcServer *server = g_private_get (&current_server);
  va_list args;

  g_return_if_fail (format != NULL);

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (server != NULL)
    dp_rpc_server_log_to_parent (server, severity, message);
  else
    dp_log_message (severity, message);
}
