/* dp-node.c: a node and its message router
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-node"

#include "config.h"

#include "dp-node.h"

/**
 * DpNode:
 *
 * A node: an OS process's message router (the seeds' `node%`). It runs a
 * [struct@GLib.MainLoop] on its own [struct@GLib.MainContext] and waits
 * there on the sources of every [iface@Dp.EventContainer] added to it:
 * timers, places, connections. It keeps the places started on it, by name
 * when they are named.
 */

struct _DpNode
{
  GObject parent_instance;

  guint listen_port;
  GMainContext *context;
  GMainLoop *loop;
  GPtrArray *containers;      /* DpEventContainer* */
  GPtrArray *places;          /* DpPlace* */
  GHashTable *named_places;   /* name → DpPlace* */
  gint exit_status;
  gboolean exit_requested;
  GMutex lock;
};

enum {
  PROP_0,
  PROP_LISTEN_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (DpNode, dp_node, G_TYPE_OBJECT)

static void
dp_node_finalize (GObject *object)
{
  DpNode *self = DP_NODE (object);

  g_ptr_array_unref (self->containers);
  g_ptr_array_unref (self->places);
  g_hash_table_unref (self->named_places);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_node_parent_class)->finalize (object);
}

static void
dp_node_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  DpNode *self = DP_NODE (object);

  switch (prop_id)
    {
    case PROP_LISTEN_PORT:
      g_value_set_uint (value, self->listen_port);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_node_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  DpNode *self = DP_NODE (object);

  switch (prop_id)
    {
    case PROP_LISTEN_PORT:
      self->listen_port = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_node_class_init (DpNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_node_finalize;
  object_class->get_property = dp_node_get_property;
  object_class->set_property = dp_node_set_property;

  /**
   * DpNode:listen-port:
   *
   * The TCP port the node's router listens on for other nodes; 0 for a
   * node that does not listen.
   */
  properties[PROP_LISTEN_PORT] =
    g_param_spec_uint ("listen-port", NULL, NULL, 0, 65535, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_node_init (DpNode *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->containers = g_ptr_array_new_with_free_func (g_object_unref);
  self->places = g_ptr_array_new_with_free_func (g_object_unref);
  self->named_places = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/**
 * dp_node_new:
 * @listen_port: the port to listen on for other nodes, or 0
 *
 * Returns: (transfer full): a new node (the seeds' `new node%`)
 */
DpNode *
dp_node_new (guint listen_port)
{
  g_return_val_if_fail (listen_port <= 65535, NULL);

  return g_object_new (DP_TYPE_NODE, "listen-port", listen_port, NULL);
}

guint
dp_node_get_listen_port (DpNode *self)
{
  g_return_val_if_fail (DP_IS_NODE (self), 0);
  return self->listen_port;
}

/**
 * dp_node_get_context:
 * @self: a node
 *
 * Returns: (transfer none): the main context the node's loop runs
 */
GMainContext *
dp_node_get_context (DpNode *self)
{
  g_return_val_if_fail (DP_IS_NODE (self), NULL);
  return self->context;
}

static void
register_container (DpNode           *self,
                    DpEventContainer *container)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);

  dp_event_container_register (container, events);
  for (guint i = 0; i < events->len; i++)
    g_source_attach (g_ptr_array_index (events, i), self->context);
}

/**
 * dp_node_add:
 * @self: a node
 * @container: an event container
 *
 * Adds @container to the events @self waits on. It registers its sources
 * when the loop starts, or at once if the loop runs already. Call it from
 * the thread that runs the loop.
 */
void
dp_node_add (DpNode           *self,
             DpEventContainer *container)
{
  g_return_if_fail (DP_IS_NODE (self));
  g_return_if_fail (DP_IS_EVENT_CONTAINER (container));

  g_ptr_array_add (self->containers, g_object_ref (container));
  if (g_main_loop_is_running (self->loop))
    register_container (self, container);
}

/**
 * dp_node_sync_events:
 * @self: a node
 *
 * Runs the node's loop — the seeds' `sync-events` — until
 * [method@Dp.Node.exit] is called. The node's context is the thread
 * default meanwhile, so places started from its callbacks report there.
 *
 * Returns: the status given to [method@Dp.Node.exit]
 */
gint
dp_node_sync_events (DpNode *self)
{
  g_return_val_if_fail (DP_IS_NODE (self), 1);

  g_main_context_push_thread_default (self->context);

  /* Containers register here, so timers count from the start of the loop. */
  for (guint i = 0; i < self->containers->len; i++)
    register_container (self, g_ptr_array_index (self->containers, i));

  g_mutex_lock (&self->lock);
  if (!self->exit_requested)
    {
      g_mutex_unlock (&self->lock);
      g_main_loop_run (self->loop);
    }
  else
    g_mutex_unlock (&self->lock);

  g_main_context_pop_thread_default (self->context);

  return self->exit_status;
}

static gboolean
quit_cb (gpointer data)
{
  DpNode *self = data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

/**
 * dp_node_exit:
 * @self: a node
 * @status: the status [method@Dp.Node.sync_events] returns
 *
 * Stops the node's loop. Safe from any thread; the first status wins.
 */
void
dp_node_exit (DpNode *self,
              gint    status)
{
  g_return_if_fail (DP_IS_NODE (self));

  g_mutex_lock (&self->lock);
  if (!self->exit_requested)
    {
      self->exit_requested = TRUE;
      self->exit_status = status;
    }
  g_mutex_unlock (&self->lock);

  g_main_context_invoke_full (self->context, G_PRIORITY_HIGH, quit_cb,
                              g_object_ref (self), g_object_unref);
}

gboolean
dp_node_is_running (DpNode *self)
{
  g_return_val_if_fail (DP_IS_NODE (self), FALSE);
  return g_main_loop_is_running (self->loop);
}

/**
 * dp_node_add_place:
 * @self: a node
 * @place: a place running on this node
 * @name: (nullable): its public name, or %NULL for a private place
 *
 * Keeps @place on @self; a named place can be found by its name.
 */
void
dp_node_add_place (DpNode     *self,
                   DpPlace    *place,
                   const char *name)
{
  g_return_if_fail (DP_IS_NODE (self));
  g_return_if_fail (DP_IS_PLACE (place));

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->places, g_object_ref (place));
  if (name != NULL)
    g_hash_table_replace (self->named_places, g_strdup (name), g_object_ref (place));
  g_mutex_unlock (&self->lock);
}

/**
 * dp_node_lookup_place:
 * @self: a node
 * @name: a place name
 *
 * Returns: (transfer full) (nullable): the named place, or %NULL
 */
DpPlace *
dp_node_lookup_place (DpNode     *self,
                      const char *name)
{
  DpPlace *place;

  g_return_val_if_fail (DP_IS_NODE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  g_mutex_lock (&self->lock);
  place = g_hash_table_lookup (self->named_places, name);
  if (place != NULL)
    g_object_ref (place);
  g_mutex_unlock (&self->lock);

  return place;
}

/**
 * dp_node_list_places:
 * @self: a node
 *
 * Returns: (transfer container) (element-type DpPlace): the places on
 *   @self
 */
GPtrArray *
dp_node_list_places (DpNode *self)
{
  GPtrArray *places;

  g_return_val_if_fail (DP_IS_NODE (self), NULL);

  g_mutex_lock (&self->lock);
  places = g_ptr_array_new_full (self->places->len, g_object_unref);
  for (guint i = 0; i < self->places->len; i++)
    g_ptr_array_add (places, g_object_ref (g_ptr_array_index (self->places, i)));
  g_mutex_unlock (&self->lock);

  return places;
}

/**
 * dp_message_routerv:
 * @node: (nullable): the node to run, or %NULL for a new one
 * @containers: (array length=n_containers): what to wait on
 * @n_containers: how many
 *
 * Adds @containers to @node and runs its loop: the seeds'
 * `message-router`.
 *
 * Returns: the status given to [method@Dp.Node.exit]
 */
gint
dp_message_routerv (DpNode            *node,
                    DpEventContainer **containers,
                    guint              n_containers)
{
  g_autoptr(DpNode) owned = NULL;

  if (node == NULL)
    node = owned = dp_node_new (0);

  for (guint i = 0; i < n_containers; i++)
    dp_node_add (node, containers[i]);

  return dp_node_sync_events (node);
}

/**
 * dp_message_router:
 * @node: (nullable): the node to run, or %NULL for a new one
 * @first: (nullable): the first container to wait on
 * @...: more containers, then %NULL
 *
 * The seeds' `message-router`: runs @node's loop over the given event
 * containers until [method@Dp.Node.exit].
 *
 * Returns: the status given to [method@Dp.Node.exit]
 */
gint
dp_message_router (DpNode           *node,
                   DpEventContainer *first,
                   ...)
{
  g_autoptr(GPtrArray) containers = g_ptr_array_new ();
  DpEventContainer *container;
  va_list args;

  va_start (args, first);
  for (container = first; container != NULL; container = va_arg (args, DpEventContainer *))
    g_ptr_array_add (containers, container);
  va_end (args);

  return dp_message_routerv (node, (DpEventContainer **) containers->pdata, containers->len);
}

/**
 * dp_port_no_p:
 * @value: a number
 *
 * The seeds' `port-no?`.
 *
 * Returns: whether @value is a TCP port number, 0 to 65535
 */
gboolean
dp_port_no_p (gint64 value)
{
  return value >= 0 && value <= 65535;
}
