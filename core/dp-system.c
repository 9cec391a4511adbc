/* dp-system.c: the system a keyfile declares, running
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-system"

#include "config.h"

#include <stdio.h>

#include "dp-after-seconds.h"
#include "dp-cookie.h"
#include "dp-launcher.h"
#include "dp-remote-connection-private.h"
#include "dp-remote-node.h"
#include "dp-service.h"
#include "dp-error.h"
#include "dp-every-seconds.h"
#include "dp-message.h"
#include "dp-monitor.h"
#include "dp-node-private.h"
#include "dp-place-private.h"
#include "dp-plugin-registry.h"
#include "dp-restart-strategy.h"
#include "dp-supervisor-private.h"
#include "dp-system.h"

/* How long the end of a run waits for a node's last output lines. */
#define NODE_OUTPUT_DRAIN_MS 2000

/**
 * DpSystem:
 *
 * What `dplaces run FILE.ini` runs: a root [class@Dp.Node] with the places
 * and timers a [class@Dp.Config] declares. Timers' actions run on the
 * node's loop without blocking it: a put, then waiting for and printing
 * the reply, a log line, waiting for a place to end, an exit.
 *
 * With `exit-when-idle=true` (the default) the system ends once every
 * place has ended and no timer or action is left: with status 0, or 1 if
 * a place ended with another status.
 *
 * A `[place NAME]` or `[node NAME]` group with `restart=` is supervised:
 * the strategy (a plugin, its keys in the same group) decides whether and
 * when it is started again. A place on the root is started again here,
 * under its name — timers and new connections to the name reach the new
 * instance; a place on another node is started again there by this
 * process (see [method@Dp.RemoteNode.launch_place_full]); a node is
 * spawned again with its places. A supervised place counts as live until
 * its strategy gives up; then its `on-final-fail-put=`,
 * `on-final-fail-log=` and `on-final-fail-exit=` run, once, on the root's
 * loop. A strategy that escalates (`intensity`) ends the system with
 * status 1 unless `on-final-fail-exit=` said otherwise first.
 */

struct _DpSystem
{
  GObject parent_instance;

  DpConfig *config;
  DpNode *node;
  GHashTable *nodes;      /* NAME → DpRemoteNode* */
  GHashTable *places;     /* NAME → DpPlace* or DpRemoteConnection* (both DpChannels) */
  guint n_live_places;
  guint n_pending_timers;
  guint n_running_actions;
  guint n_holds;          /* services with work to finish */
  GPtrArray *services;    /* DpService* */
  GHashTable *supervised; /* group → Supervised* */
  gboolean exit_when_idle;
  gboolean started;
  gboolean place_failed;  /* a place ended with a status other than 0 */
};

G_DEFINE_FINAL_TYPE (DpSystem, dp_system, G_TYPE_OBJECT)

/* One firing of a timer's actions, stepping through them asynchronously. */
typedef struct {
  DpSystem *system;
  char *group;
  gboolean one_shot;
} Timer;

typedef enum {
  STEP_PUT,
  STEP_PRINT_REPLY,
  STEP_LOG,
  STEP_WAIT,
  STEP_EXIT,
  STEP_DONE,
} Step;

typedef struct {
  DpSystem *system;
  char *group;
  Step step;
  DpChannel *target;    /* of put= */
} ActionRun;

static void action_run_continue (ActionRun *run);

/* A group with restart=: a place (on the root or on a node) or a node. */
typedef struct {
  DpSystem *system;             /* no reference: the system owns this */
  char *group;
  char *name;
  DpRestartStrategy *strategy;
  gulong gave_up_id;
  DpSupervisor *supervisor;     /* places on the root only */
  gboolean finished;            /* given up on, or stopped */
  GList *waiters;               /* ActionRun* waiting in wait= */
} Supervised;

static void
supervised_free (gpointer data)
{
  Supervised *child = data;

  if (child->supervisor != NULL)
    dp_supervisor_stop (child->supervisor);
  g_clear_object (&child->supervisor);
  if (child->gave_up_id != 0)
    g_signal_handler_disconnect (child->strategy, child->gave_up_id);
  g_clear_object (&child->strategy);
  g_free (child->group);
  g_free (child->name);
  g_list_free (child->waiters);
  g_free (child);
}

static void
dp_system_finalize (GObject *object)
{
  DpSystem *self = DP_SYSTEM (object);

  g_clear_object (&self->config);
  g_clear_object (&self->node);
  g_clear_pointer (&self->places, g_hash_table_unref);
  g_clear_pointer (&self->nodes, g_hash_table_unref);
  g_clear_pointer (&self->services, g_ptr_array_unref);
  g_clear_pointer (&self->supervised, g_hash_table_unref);

  G_OBJECT_CLASS (dp_system_parent_class)->finalize (object);
}

static void
dp_system_class_init (DpSystemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dp_system_finalize;
}

static void
dp_system_init (DpSystem *self)
{
  self->places = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->nodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->services = g_ptr_array_new_with_free_func (g_object_unref);
  self->supervised = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, supervised_free);
  self->exit_when_idle = TRUE;
}

/**
 * dp_system_new:
 * @config: a checked keyfile
 *
 * Returns: (transfer full): a system ready to start
 */
DpSystem *
dp_system_new (DpConfig *config)
{
  DpSystem *self;

  g_return_val_if_fail (DP_IS_CONFIG (config), NULL);

  self = g_object_new (DP_TYPE_SYSTEM, NULL);
  self->config = g_object_ref (config);
  self->node = dp_node_new (0);
  return self;
}

/**
 * dp_system_get_node:
 * @self: a system
 *
 * Returns: (transfer none): its root node
 */
DpNode *
dp_system_get_node (DpSystem *self)
{
  g_return_val_if_fail (DP_IS_SYSTEM (self), NULL);
  return self->node;
}

/**
 * dp_system_lookup_place:
 * @self: a system
 * @name: the NAME of a `[place NAME]` group
 *
 * Returns: (transfer none) (nullable): the place — a [class@Dp.Place] on
 *   the root node, a [class@Dp.RemoteConnection] on another — once started
 */
DpChannel *
dp_system_lookup_place (DpSystem   *self,
                        const char *name)
{
  g_return_val_if_fail (DP_IS_SYSTEM (self), NULL);
  return g_hash_table_lookup (self->places, name);
}

static gboolean
check_idle_cb (gpointer data)
{
  DpSystem *self = data;

  if (self->exit_when_idle && self->n_live_places == 0 && self->n_holds == 0 &&
      self->n_pending_timers == 0 && self->n_running_actions == 0)
    {
      g_debug ("nothing left to do: exiting");
      dp_node_exit (self->node, self->place_failed ? 1 : 0);
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_idle_check (DpSystem *self)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_LOW);
  g_source_set_callback (source, check_idle_cb, g_object_ref (self), g_object_unref);
  g_source_attach (source, dp_node_get_context (self->node));
  g_source_unref (source);
}

static void
place_exited_cb (DpPlace  *place,
                 gint      status,
                 DpSystem *self)
{
  Supervised *child = g_object_get_data (G_OBJECT (place), "dp-supervised");

  g_debug ("place %s %s", dp_place_get_name (place), dp_place_get_exit_reason (place));

  /* A supervised place lives on until its strategy gives up. */
  if (child != NULL && !child->finished)
    {
      dp_supervisor_exited (child->supervisor, status, dp_place_get_exit_reason (place));
      return;
    }

  if (status != 0)
    self->place_failed = TRUE;
  self->n_live_places--;
  schedule_idle_check (self);
}

/* Supervision. */

static DpPlace *start_place (DpSystem    *self,
                             const char  *group,
                             GError     **error);
static void     put_initial_message (DpSystem   *self,
                                     const char *group,
                                     DpChannel  *place);

typedef struct {
  DpSystem *system;
  char *group;
  char *child;
  DpRestartDecision decision;
} GaveUp;

static void
gave_up_free (gpointer data)
{
  GaveUp *gave_up = data;

  g_object_unref (gave_up->system);
  g_free (gave_up->group);
  g_free (gave_up->child);
  g_free (gave_up);
}

/* On the root's loop: a strategy gave up on a group's child. Its
 * on-final-fail actions run, in the order of a timer's: put, log, exit.
 * An escalation then ends the system: nothing above it supervises it. */
static gboolean
run_final_fail_cb (gpointer data)
{
  GaveUp *gave_up = data;
  DpSystem *self = gave_up->system;
  GKeyFile *key_file = dp_config_get_key_file (self->config);
  const char *group = gave_up->group;

  if (g_key_file_has_key (key_file, group, "on-final-fail-put", NULL))
    {
      g_autofree char *target_name = g_key_file_get_string (key_file, group, "on-final-fail-put", NULL);
      g_autofree char *text = g_key_file_get_string (key_file, group, "on-final-fail-message", NULL);
      g_autoptr(GVariant) message = text != NULL ? dp_message_parse (text, NULL)
                                                 : g_variant_ref_sink (g_variant_new_string (gave_up->child));
      DpChannel *target = g_hash_table_lookup (self->places, target_name);
      g_autoptr(GError) error = NULL;

      if (target == NULL || !dp_channel_put (target, message, &error))
        g_warning ("%s:%u: [%s] on-final-fail-put: %s", dp_config_get_path (self->config),
                   dp_config_get_line (self->config, group, "on-final-fail-put"), group,
                   error != NULL ? error->message : "the place is not running");
    }

  if (g_key_file_has_key (key_file, group, "on-final-fail-log", NULL))
    {
      g_autofree char *text = g_key_file_get_string (key_file, group, "on-final-fail-log", NULL);
      g_message ("%s", text);
    }

  if (g_key_file_has_key (key_file, group, "on-final-fail-exit", NULL))
    dp_node_exit (self->node, (gint) g_key_file_get_integer (key_file, group, "on-final-fail-exit", NULL));

  if (gave_up->decision == DP_RESTART_DECISION_ESCALATE)
    {
      g_message ("[%s] escalates: the system stops", group);
      dp_node_exit (self->node, 1);
    }

  return G_SOURCE_REMOVE;
}

/* The strategy's "gave-up": on the root's loop for a place on the root,
 * on the worker thread for a remote place or a node. */
static void
strategy_gave_up_cb (DpRestartStrategy *strategy,
                     const char        *child_name,
                     DpRestartDecision  decision,
                     const char        *reason,
                     gpointer           data)
{
  Supervised *child = data;
  GaveUp *gave_up = g_new0 (GaveUp, 1);

  gave_up->system = g_object_ref (child->system);
  gave_up->group = g_strdup (child->group);
  gave_up->child = g_strdup (child_name);
  gave_up->decision = decision;
  g_main_context_invoke_full (dp_node_get_context (child->system->node), G_PRIORITY_DEFAULT,
                              run_final_fail_cb, gave_up, gave_up_free);
}

/* Makes the strategy a group's restart= names, if any; NULL without an
 * error when the group has none. */
static Supervised *
supervise_group (DpSystem    *self,
                 const char  *group,
                 GError     **error)
{
  g_autoptr(GObject) strategy = NULL;
  Supervised *child;

  strategy = dp_config_create_plugin (self->config, group, "restart", error);
  if (strategy == NULL)
    return NULL;

  child = g_new0 (Supervised, 1);
  child->system = self;
  child->group = g_strdup (group);
  child->name = g_strdup (strchr (group, ' ') + 1);
  child->strategy = DP_RESTART_STRATEGY (g_steal_pointer (&strategy));
  child->gave_up_id = g_signal_connect (child->strategy, "gave-up",
                                        G_CALLBACK (strategy_gave_up_cb), child);
  g_hash_table_insert (self->supervised, child->group, child);
  return child;
}

static Supervised *
lookup_supervised_place (DpSystem   *self,
                         const char *name)
{
  g_autofree char *group = g_strconcat ("place ", name, NULL);

  return g_hash_table_lookup (self->supervised, group);
}

/* The root's loop holds a new instance of a supervised place. */
static void
adopt_place (DpSystem   *self,
             Supervised *child,
             DpPlace    *place)
{
  DpPlace *old = g_hash_table_lookup (self->places, child->name);

  if (old != NULL && DP_IS_PLACE (old))
    dp_node_remove_place (self->node, old);
  g_object_set_data (G_OBJECT (place), "dp-supervised", child);
  g_hash_table_replace (self->places, g_strdup (child->name), g_object_ref (place));
  dp_node_add_place (self->node, place,
                     g_key_file_get_boolean (dp_config_get_key_file (self->config), child->group,
                                             "named", NULL) ? child->name : NULL);
  g_signal_connect_object (place, "exited", G_CALLBACK (place_exited_cb), self, 0);
}

/* On the root's loop: start a place on the root again. */
static void
root_place_start_cb (DpSupervisor *supervisor,
                     GObject      *owner,
                     gpointer      data)
{
  Supervised *child = data;
  DpSystem *self = child->system;
  g_autoptr(GError) error = NULL;
  g_autoptr(DpPlace) place = NULL;

  g_main_context_push_thread_default (dp_node_get_context (self->node));
  place = start_place (self, child->group, &error);
  g_main_context_pop_thread_default (dp_node_get_context (self->node));
  if (place == NULL)
    {
      dp_supervisor_exited (supervisor, 1, error->message);
      return;
    }

  adopt_place (self, child, place);
  dp_supervisor_started (supervisor);
  g_debug ("place %s started again", child->name);
  {
    g_autofree char *node = dp_node_describe_self ();

    dp_monitor_emit (dp_monitor_get_default (), DP_MONITOR_EVENT_PLACE_RESTART,
                     g_variant_new_parsed ("{'place': <%s>, 'node': <%s>, 'restarts': <%u>, "
                                           "'delay': <%d>}",
                                           child->name, node, dp_supervisor_get_restarts (supervisor),
                                           dp_supervisor_get_delay (supervisor)));
  }
  put_initial_message (self, child->group, DP_CHANNEL (place));
}

static void
finish_waiters (Supervised *child)
{
  GList *waiters = g_steal_pointer (&child->waiters);

  for (GList *l = waiters; l != NULL; l = l->next)
    {
      ActionRun *run = l->data;

      run->step = STEP_EXIT;
      action_run_continue (run);
    }
  g_list_free (waiters);
}

/* On the root's loop: a place on the root will not be started again. */
static void
root_place_done_cb (DpSupervisor        *supervisor,
                    GObject             *owner,
                    DpRestartDecision    decision,
                    const DpRestartInfo *info,
                    gpointer             data)
{
  Supervised *child = data;
  DpSystem *self = child->system;

  child->finished = TRUE;
  if (decision != DP_RESTART_DECISION_STOP || info->exit_status != 0)
    self->place_failed = TRUE;
  self->n_live_places--;
  finish_waiters (child);
  schedule_idle_check (self);
}

static void
remote_place_exited_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      data)
{
  DpSystem *self = data;

  if (dp_remote_connection_wait_finish (DP_REMOTE_CONNECTION (object), result, NULL) != 0)
    self->place_failed = TRUE;
  g_debug ("remote place %s", dp_remote_connection_get_exit_reason (DP_REMOTE_CONNECTION (object)));
  self->n_live_places--;
  schedule_idle_check (self);
  g_object_unref (self);
}

static char *
key_string (DpSystem   *self,
            const char *group,
            const char *key)
{
  return g_key_file_get_string (dp_config_get_key_file (self->config), group, key, NULL);
}

static gboolean
key_boolean (DpSystem   *self,
             const char *group,
             const char *key)
{
  return g_key_file_get_boolean (dp_config_get_key_file (self->config), group, key, NULL);
}

static DpRemoteNode *
start_node (DpSystem    *self,
            const char  *group,
            GError     **error)
{
  GKeyFile *key_file = dp_config_get_key_file (self->config);
  g_autofree char *host = key_string (self, group, "host");
  g_autofree char *launcher_name = key_string (self, group, "launcher");
  g_autoptr(DpRemoteNode) node = NULL;
  g_autoptr(GObject) launcher = NULL;
  guint port = DP_DEFAULT_ROUTER_PORT;
  gboolean spawn = TRUE;

  if (host == NULL)
    host = g_strdup ("localhost");
  if (g_key_file_has_key (key_file, group, "listen-port", NULL))
    port = (guint) g_key_file_get_integer (key_file, group, "listen-port", NULL);
  if (g_key_file_has_key (key_file, group, "spawn", NULL))
    spawn = g_key_file_get_boolean (key_file, group, "spawn", NULL);

  node = g_object_new (DP_TYPE_REMOTE_NODE, "host", host, "listen-port", port,
                       "solo", key_boolean (self, group, "solo"),
                       "use-current-ports", key_boolean (self, group, "use-current-ports"),
                       NULL);

  /* restart=: spawned again, with its places, when it dies. */
  if (g_key_file_has_key (key_file, group, "restart", NULL))
    {
      Supervised *child;

      if (!spawn)
        {
          g_set_error (error, DP_ERROR, DP_ERROR_CONFIG,
                       "%s:%u: [%s] restart: only a node the system spawns can be restarted; "
                       "this one has spawn=false", dp_config_get_path (self->config),
                       dp_config_get_line (self->config, group, "restart"), group);
          return NULL;
        }
      child = supervise_group (self, group, error);

      if (child == NULL)
        return NULL;
      g_object_set (node, "restart-on-exit", child->strategy, NULL);
    }

  if (spawn)
    {
      launcher = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                            DP_LAUNCHER_EXTENSION_POINT_NAME,
                                            launcher_name != NULL ? launcher_name : "local", error);
      if (launcher == NULL)
        {
          dp_config_prefix_error (self->config, error, group, "launcher");
          return NULL;
        }
      if (!dp_config_apply_plugin_keys (self->config, group, launcher, error))
        return NULL;
      dp_remote_node_set_launcher (node, DP_LAUNCHER (launcher));
      if (!dp_remote_node_spawn (node, error))
        {
          dp_config_prefix_error (self->config, error, group, NULL);
          return NULL;
        }
    }
  else if (!dp_remote_node_connect (node, error))
    {
      dp_config_prefix_error (self->config, error, group, NULL);
      return NULL;
    }

  return g_steal_pointer (&node);
}

static DpRemoteConnection *
start_remote_place (DpSystem    *self,
                    const char  *group,
                    GError     **error)
{
  const char *name = group + strlen ("place ");
  g_autofree char *node_name = key_string (self, group, "node");
  g_autofree char *module = key_string (self, group, "module");
  g_autofree char *function = key_string (self, group, "function");
  g_autofree char *backend = key_string (self, group, "backend");
  DpRemoteNode *node = g_hash_table_lookup (self->nodes, node_name);
  DpRestartStrategy *strategy = NULL;
  DpRemoteConnection *place;

  /* restart=: this process starts it again on its node. */
  if (g_key_file_has_key (dp_config_get_key_file (self->config), group, "restart", NULL))
    {
      Supervised *child = supervise_group (self, group, error);

      if (child == NULL)
        return NULL;
      strategy = child->strategy;
    }

  place = dp_remote_node_launch_place_full (node,
                                            key_boolean (self, group, "thunk") ? DP_PLACE_EXEC_PLACE
                                                                               : DP_PLACE_EXEC_DYNAMIC_PLACE,
                                            module, function,
                                            key_boolean (self, group, "named") ? name : NULL,
                                            backend, strategy, error);
  if (place == NULL)
    dp_config_prefix_error (self->config, error, group, "node");
  else if (strategy != NULL && g_key_file_has_key (dp_config_get_key_file (self->config), group,
                                                   "initial-message", NULL))
    {
      g_autofree char *initial = key_string (self, group, "initial-message");
      g_autoptr(GVariant) message = dp_message_parse (initial, NULL);

      /* Put to each instance started again; the system puts it to this one. */
      dp_remote_connection_set_initial_message (place, message);
    }
  return place;
}

static DpPlace *
start_place (DpSystem    *self,
             const char  *group,
             GError     **error)
{
  const char *name = group + strlen ("place ");
  g_autofree char *module = key_string (self, group, "module");
  g_autofree char *function = key_string (self, group, "function");
  g_autofree char *backend_name = key_string (self, group, "backend");
  g_autoptr(DpPlace) place = NULL;
  g_autoptr(GObject) backend = NULL;
  GType backend_type;

  if (key_boolean (self, group, "thunk"))
    {
      place = dp_place_from_thunk (module, function, error);
      if (place == NULL)
        {
          dp_config_prefix_error (self->config, error, group, "function");
          return NULL;
        }
      if (dp_place_get_name (place) == NULL || g_strcmp0 (dp_place_get_name (place), dp_place_get_function (place)) == 0)
        dp_place_set_name (place, name);
      return g_steal_pointer (&place);
    }

  /* Resolve the function here, so a wrong module or symbol is reported
   * against the keyfile line that names it. */
  if (dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (),
                                        module, function, error) == NULL)
    {
      dp_config_prefix_error (self->config, error, group,
                              g_error_matches (*error, DP_ERROR, DP_ERROR_NOT_FOUND) &&
                              strstr ((*error)->message, "has no symbol") != NULL
                              ? "function" : "module");
      return NULL;
    }

  backend_type = dp_plugin_registry_lookup_plugin (dp_plugin_registry_get_default (),
                                                   DP_PLACE_BACKEND_EXTENSION_POINT_NAME,
                                                   backend_name != NULL ? backend_name : "threads",
                                                   error);
  if (backend_type == G_TYPE_INVALID)
    {
      dp_config_prefix_error (self->config, error, group, "backend");
      return NULL;
    }
  backend = g_object_new (backend_type, NULL);
  if (!dp_config_apply_plugin_keys (self->config, group, backend, error))
    return NULL;

  place = g_object_new (DP_TYPE_PLACE, "module", module, "function", function,
                        "name", name, "backend", backend_name, NULL);
  dp_place_set_backend (place, DP_PLACE_BACKEND (backend));
  if (!dp_place_start (place, error))
    {
      dp_config_prefix_error (self->config, error, group, NULL);
      return NULL;
    }

  return g_steal_pointer (&place);
}

/* initial-message=, put when the place starts (and each time it starts
 * again). */
static void
put_initial_message (DpSystem   *self,
                     const char *group,
                     DpChannel  *place)
{
  g_autofree char *initial = key_string (self, group, "initial-message");
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GError) put_error = NULL;

  if (initial == NULL)
    return;
  message = dp_message_parse (initial, NULL);
  if (!dp_channel_put (place, message, &put_error))
    g_warning ("%s:%u: [%s] initial-message: %s", dp_config_get_path (self->config),
               dp_config_get_line (self->config, group, "initial-message"),
               group, put_error->message);
}

/* Timer actions. */

static void
action_run_free (ActionRun *run)
{
  run->system->n_running_actions--;
  schedule_idle_check (run->system);
  g_clear_object (&run->target);
  g_object_unref (run->system);
  g_free (run->group);
  g_free (run);
}

static void
print_reply (ActionRun *run,
             GVariant  *reply)
{
  g_autofree char *format = key_string (run->system, run->group, "print-reply");
  g_autofree char *shown = dp_message_to_display (reply);
  GString *line = g_string_new (NULL);

  for (const char *p = format; *p != '\0'; p++)
    {
      if (p[0] == '%' && p[1] == 's')
        g_string_append (line, shown), p++;
      else if (p[0] == '%' && p[1] == '%')
        g_string_append_c (line, '%'), p++;
      else
        g_string_append_c (line, *p);
    }
  g_string_append_c (line, '\n');

  fputs (line->str, stdout);
  fflush (stdout);
  g_string_free (line, TRUE);
}

static gboolean
reply_ready_cb (DpChannel *channel,
                gpointer   data)
{
  ActionRun *run = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = dp_channel_try_get (channel, &error);

  if (reply == NULL && error == NULL)
    return G_SOURCE_CONTINUE;   /* another reader took it; wait on */

  if (reply != NULL)
    print_reply (run, reply);
  else
    g_warning ("%s:%u: [%s] print-reply: no reply: %s", dp_config_get_path (run->system->config),
               dp_config_get_line (run->system->config, run->group, "print-reply"),
               run->group, error->message);

  run->step = STEP_LOG;
  action_run_continue (run);
  return G_SOURCE_REMOVE;
}

static void
place_waited_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  ActionRun *run = data;

  if (DP_IS_PLACE (object))
    dp_place_wait_finish (DP_PLACE (object), result, NULL);
  else
    dp_remote_connection_wait_finish (DP_REMOTE_CONNECTION (object), result, NULL);
  run->step = STEP_EXIT;
  action_run_continue (run);
}

static DpChannel *
action_place (ActionRun  *run,
              const char *key)
{
  g_autofree char *name = key_string (run->system, run->group, key);
  DpChannel *place = g_hash_table_lookup (run->system->places, name);

  return place != NULL ? g_object_ref (place) : NULL;
}

static void
action_run_continue (ActionRun *run)
{
  DpSystem *self = run->system;
  GKeyFile *key_file = dp_config_get_key_file (self->config);

  for (;;)
    switch (run->step)
      {
      case STEP_PUT:
        run->step = STEP_PRINT_REPLY;
        if (g_key_file_has_key (key_file, run->group, "put", NULL))
          {
            g_autofree char *text = key_string (self, run->group, "message");
            g_autoptr(GVariant) message = dp_message_parse (text, NULL);
            g_autoptr(GError) error = NULL;

            run->target = action_place (run, "put");
            if (!dp_channel_put (run->target, message, &error))
              {
                g_warning ("%s:%u: [%s] put: %s", dp_config_get_path (self->config),
                           dp_config_get_line (self->config, run->group, "put"),
                           run->group, error->message);
                run->step = STEP_LOG;
              }
          }
        else
          run->step = STEP_LOG;
        break;

      case STEP_PRINT_REPLY:
        if (g_key_file_has_key (key_file, run->group, "print-reply", NULL))
          {
            GSource *source = dp_channel_create_source (run->target);
            g_source_set_callback (source, G_SOURCE_FUNC (reply_ready_cb), run, NULL);
            g_source_attach (source, dp_node_get_context (self->node));
            g_source_unref (source);
            return;
          }
        run->step = STEP_LOG;
        break;

      case STEP_LOG:
        run->step = STEP_WAIT;
        if (g_key_file_has_key (key_file, run->group, "log", NULL))
          {
            g_autofree char *text = key_string (self, run->group, "log");
            g_message ("%s", text);
          }
        break;

      case STEP_WAIT:
        run->step = STEP_EXIT;
        if (g_key_file_has_key (key_file, run->group, "wait", NULL))
          {
            g_autoptr(DpChannel) place = action_place (run, "wait");
            g_autofree char *wait_name = key_string (self, run->group, "wait");
            Supervised *child = lookup_supervised_place (self, wait_name);

            /* A supervised place on the root: until it is given up on. */
            if (child != NULL && child->supervisor != NULL)
              {
                if (child->finished)
                  break;
                child->waiters = g_list_append (child->waiters, run);
                return;
              }
            if (DP_IS_PLACE (place))
              dp_place_wait_async (DP_PLACE (place), NULL, place_waited_cb, run);
            else
              dp_remote_connection_wait_async (DP_REMOTE_CONNECTION (place), NULL,
                                               place_waited_cb, run);
            return;
          }
        break;

      case STEP_EXIT:
        run->step = STEP_DONE;
        if (g_key_file_has_key (key_file, run->group, "exit", NULL))
          dp_node_exit (self->node,
                        (gint) g_key_file_get_integer (key_file, run->group, "exit", NULL));
        break;

      case STEP_DONE:
      default:
        action_run_free (run);
        return;
      }
}

static void
timer_fired (gpointer data)
{
  Timer *timer = data;
  ActionRun *run = g_new0 (ActionRun, 1);

  run->system = g_object_ref (timer->system);
  run->group = g_strdup (timer->group);
  run->step = STEP_PUT;
  timer->system->n_running_actions++;
  if (timer->one_shot)
    timer->system->n_pending_timers--;

  action_run_continue (run);
}

static void
timer_free (gpointer data)
{
  Timer *timer = data;

  g_free (timer->group);
  g_free (timer);
}

static void
add_timer (DpSystem   *self,
           const char *group)
{
  GKeyFile *key_file = dp_config_get_key_file (self->config);
  Timer *timer = g_new0 (Timer, 1);
  g_autoptr(GObject) container = NULL;

  /* Timers hold no reference on the system: the node owns them and the
   * system owns the node. */
  timer->system = self;
  timer->group = g_strdup (group);

  if (g_key_file_has_key (key_file, group, "after-seconds", NULL))
    {
      timer->one_shot = TRUE;
      self->n_pending_timers++;
      container = G_OBJECT (dp_after_seconds_new (g_key_file_get_double (key_file, group, "after-seconds", NULL),
                                                  timer_fired, timer, timer_free));
    }
  else
    container = G_OBJECT (dp_every_seconds_new (g_key_file_get_double (key_file, group, "every-seconds", NULL),
                                                timer_fired, timer, timer_free));

  dp_node_add (self->node, DP_EVENT_CONTAINER (container));
}

/**
 * dp_system_start:
 * @self: a system
 * @error: return location for a #GError
 *
 * Starts the declared places, in file order, puts their initial messages
 * and hands the timers to the root node. Errors are placed in the keyfile:
 * `FILE:LINE: [place NAME] module: …`, with code %DP_ERROR_CONFIG.
 *
 * Returns: %TRUE if everything started
 */
gboolean
dp_system_start (DpSystem  *self,
                 GError   **error)
{
  GKeyFile *key_file;
  g_auto(GStrv) nodes = NULL;
  g_auto(GStrv) places = NULL;
  g_auto(GStrv) timers = NULL;
  g_auto(GStrv) services = NULL;

  g_return_val_if_fail (DP_IS_SYSTEM (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  self->started = TRUE;
  key_file = dp_config_get_key_file (self->config);
  if (g_key_file_has_key (key_file, "dplaces", "exit-when-idle", NULL))
    self->exit_when_idle = g_key_file_get_boolean (key_file, "dplaces", "exit-when-idle", NULL);

  /* This process is the system's root node. */
  dp_node_set_default (self->node);

  if (g_key_file_has_key (key_file, "dplaces", "cookie-file", NULL))
    {
      g_autofree char *path = key_string (self, "dplaces", "cookie-file");
      g_autofree char *resolved = dp_config_resolve_path (self->config, path);
      g_autoptr(GBytes) cookie = dp_cookie_load (resolved, error);

      if (cookie == NULL)
        {
          dp_config_prefix_error (self->config, error, "dplaces", "cookie-file");
          return FALSE;
        }
      dp_cookie_set_process (cookie);
    }

  if (g_key_file_has_key (key_file, "dplaces", "listen-port", NULL))
    {
      g_object_set (self->node, "listen-port",
                    (guint) g_key_file_get_integer (key_file, "dplaces", "listen-port", NULL), NULL);
      if (!dp_node_listen (self->node, error))
        {
          dp_config_prefix_error (self->config, error, "dplaces", "listen-port");
          return FALSE;
        }
    }

  nodes = dp_config_dup_group_names (self->config, "node");
  for (guint i = 0; nodes[i] != NULL; i++)
    {
      DpRemoteNode *node = start_node (self, nodes[i], error);

      if (node == NULL)
        return FALSE;
      g_hash_table_insert (self->nodes, g_strdup (nodes[i] + strlen ("node ")), node);
    }

  /* Places report their exit on the node's context. */
  g_main_context_push_thread_default (dp_node_get_context (self->node));

  places = dp_config_dup_group_names (self->config, "place");
  for (guint i = 0; places[i] != NULL; i++)
    {
      const char *group = places[i];
      const char *name = group + strlen ("place ");
      g_autoptr(GObject) place = NULL;

      if (g_key_file_has_key (key_file, group, "node", NULL))
        place = G_OBJECT (start_remote_place (self, group, error));
      else
        place = G_OBJECT (start_place (self, group, error));
      if (place == NULL)
        {
          if (error != NULL && *error != NULL && (*error)->domain == DP_ERROR &&
              (*error)->code == DP_ERROR_NOT_FOUND)
            (*error)->code = DP_ERROR_CONFIG;
          g_main_context_pop_thread_default (dp_node_get_context (self->node));
          return FALSE;
        }

      self->n_live_places++;
      if (DP_IS_PLACE (place) && g_key_file_has_key (key_file, group, "restart", NULL))
        {
          /* restart=: supervised here, on the root's loop. */
          Supervised *child = supervise_group (self, group, error);

          if (child == NULL)
            {
              dp_place_kill (DP_PLACE (place));
              g_main_context_pop_thread_default (dp_node_get_context (self->node));
              return FALSE;
            }
          child->supervisor = dp_supervisor_new (child->strategy, group, dp_node_get_context (self->node),
                                                 NULL, root_place_start_cb, root_place_done_cb,
                                                 child, NULL);
          dp_supervisor_started (child->supervisor);
          adopt_place (self, child, DP_PLACE (place));
        }
      else if (DP_IS_PLACE (place))
        {
          g_hash_table_insert (self->places, g_strdup (name), g_object_ref (place));
          dp_node_add_place (self->node, DP_PLACE (place), key_boolean (self, group, "named") ? name : NULL);
          g_signal_connect_object (place, "exited", G_CALLBACK (place_exited_cb), self, 0);
        }
      else
        {
          g_hash_table_insert (self->places, g_strdup (name), g_object_ref (place));
          dp_remote_connection_wait_async (DP_REMOTE_CONNECTION (place), NULL,
                                           remote_place_exited_cb, g_object_ref (self));
        }

      put_initial_message (self, group, DP_CHANNEL (place));
    }

  g_main_context_pop_thread_default (dp_node_get_context (self->node));

  timers = dp_config_dup_group_names (self->config, "timer");
  for (guint i = 0; timers[i] != NULL; i++)
    add_timer (self, timers[i]);

  services = dp_config_dup_service_groups (self->config);
  for (guint i = 0; services[i] != NULL; i++)
    {
      g_autoptr(GObject) service = dp_plugin_registry_create (dp_plugin_registry_get_default (),
                                                              DP_SERVICE_EXTENSION_POINT_NAME,
                                                              services[i], error);

      if (service == NULL ||
          !dp_config_apply_plugin_keys (self->config, services[i], service, error) ||
          !dp_service_start (DP_SERVICE (service), self, error))
        {
          dp_config_prefix_error (self->config, error, services[i], NULL);
          return FALSE;
        }
      g_ptr_array_add (self->services, g_steal_pointer (&service));
    }

  schedule_idle_check (self);
  return TRUE;
}

/**
 * dp_system_run:
 * @self: a system
 * @error: return location for a #GError
 *
 * Starts the system and runs the root node's message router until a timer
 * exits or, with `exit-when-idle`, nothing is left to do.
 *
 * Returns: the exit status, or -1 with @error set if the system could not
 *   start
 */
gint
dp_system_run (DpSystem  *self,
               GError   **error)
{
  gint status;

  g_return_val_if_fail (DP_IS_SYSTEM (self), -1);

  if (!self->started && !dp_system_start (self, error))
    return -1;

  status = dp_node_sync_events (self->node);

  /* Nothing is restarted once the system ends. */
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, self->supervised);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (((Supervised *) value)->supervisor != NULL)
        dp_supervisor_stop (((Supervised *) value)->supervisor);
  }

  for (guint i = 0; i < self->services->len; i++)
    dp_service_stop (g_ptr_array_index (self->services, i));

  /* The nodes end with the system; what their places printed last is
   * still on its way through their output pipes, so it is forwarded
   * before the caller (typically `dplaces run`) exits. */
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, self->nodes);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      dp_remote_node_send_exit (value);
    g_hash_table_iter_init (&iter, self->nodes);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        DpSpawnedProcess *process = dp_remote_node_get_process (value);

        if (process != NULL)
          dp_spawned_process_wait_output_timeout (process, NODE_OUTPUT_DRAIN_MS);
      }
  }
  return status;
}

/**
 * dp_system_get_config:
 * @self: a system
 *
 * Returns: (transfer none): the keyfile it runs
 */
DpConfig *
dp_system_get_config (DpSystem *self)
{
  g_return_val_if_fail (DP_IS_SYSTEM (self), NULL);
  return self->config;
}

/**
 * dp_system_lookup_node:
 * @self: a system
 * @name: the NAME of a `[node NAME]` group
 *
 * Returns: (transfer none) (nullable): the node, once started
 */
DpRemoteNode *
dp_system_lookup_node (DpSystem   *self,
                       const char *name)
{
  g_return_val_if_fail (DP_IS_SYSTEM (self), NULL);
  return g_hash_table_lookup (self->nodes, name);
}

/**
 * dp_system_dup_node_names:
 * @self: a system
 *
 * Returns: (transfer full): the NAMEs of its `[node NAME]` groups
 */
GStrv
dp_system_dup_node_names (DpSystem *self)
{
  g_autofree gpointer *keys = NULL;
  GStrv names;

  g_return_val_if_fail (DP_IS_SYSTEM (self), NULL);

  keys = g_hash_table_get_keys_as_array (self->nodes, NULL);
  names = g_strdupv ((GStrv) keys);
  return names;
}

static GVariant *
place_group_status (DpSystem   *self,
                    const char *group)
{
  GKeyFile *key_file = dp_config_get_key_file (self->config);
  const char *name = group + strlen ("place ");
  g_autofree char *node = key_string (self, group, "node");
  g_autofree char *module = key_string (self, group, "module");
  g_autofree char *function = key_string (self, group, "function");
  DpChannel *place = g_hash_table_lookup (self->places, name);
  Supervised *child = g_hash_table_lookup (self->supervised, group);
  const char *state = "running";
  const char *reason = NULL;
  gboolean exited = FALSE;
  gint status = 0;
  guint restarts = 0;
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", name);
  g_variant_dict_insert (&dict, "node", "s", node != NULL ? node : "");
  g_variant_dict_insert (&dict, "module", "s", module != NULL ? module : "");
  g_variant_dict_insert (&dict, "function", "s", function != NULL ? function : "");
  g_variant_dict_insert (&dict, "named", "b", g_key_file_get_boolean (key_file, group, "named", NULL));
  g_variant_dict_insert (&dict, "supervised", "b", child != NULL);

  if (DP_IS_PLACE (place))
    {
      exited = dp_place_has_exited (DP_PLACE (place));
      if (exited)
        {
          status = dp_place_get_exit_status (DP_PLACE (place));
          reason = dp_place_get_exit_reason (DP_PLACE (place));
        }
      if (child != NULL && child->supervisor != NULL)
        restarts = dp_supervisor_get_restarts (child->supervisor);
      if (exited && child != NULL && !child->finished)
        state = "restarting";
      else if (exited)
        state = "exited";
    }
  else if (DP_IS_REMOTE_CONNECTION (place))
    {
      DpRemoteConnection *remote = DP_REMOTE_CONNECTION (place);

      restarts = dp_remote_connection_get_restarts (remote);
      exited = dp_remote_connection_has_exited (remote);
      if (exited)
        {
          status = dp_remote_connection_wait (remote);   /* returns at once: it ended */
          reason = dp_remote_connection_get_exit_reason (remote);
          state = "exited";
        }
      else if (dp_remote_connection_is_down (remote))
        state = "restarting";
      g_variant_dict_insert (&dict, "channel", "u", dp_remote_connection_get_channel_id (remote));
      g_variant_dict_insert (&dict, "launch", "u", dp_remote_connection_get_launch (remote));
    }
  else
    state = "not-started";

  g_variant_dict_insert (&dict, "state", "s", state);
  g_variant_dict_insert (&dict, "restarts", "u", restarts);
  if (exited)
    {
      g_variant_dict_insert (&dict, "exit-status", "i", status);
      g_variant_dict_insert (&dict, "exit-reason", "s", reason != NULL ? reason : "");
    }
  return g_variant_dict_end (&dict);
}

static GVariant *
node_group_status (DpSystem   *self,
                   const char *group)
{
  const char *name = group + strlen ("node ");
  DpRemoteNode *node = g_hash_table_lookup (self->nodes, name);
  DpSpawnedProcess *process = node != NULL ? dp_remote_node_get_process (node) : NULL;
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", name);
  if (node != NULL)
    {
      g_variant_dict_insert (&dict, "host", "s", dp_remote_node_get_host (node));
      g_variant_dict_insert (&dict, "listen-port", "u", dp_remote_node_get_listen_port (node));
      g_variant_dict_insert (&dict, "alive", "b", dp_remote_node_is_alive (node));
      g_variant_dict_insert (&dict, "restarts", "u", dp_remote_node_get_restarts (node));
      g_variant_dict_insert (&dict, "spawned", "b", process != NULL);
      if (process != NULL)
        g_variant_dict_insert (&dict, "pid", "i", (gint32) dp_spawned_process_get_pid (process));
    }
  else
    g_variant_dict_insert (&dict, "alive", "b", FALSE);
  return g_variant_dict_end (&dict);
}

/**
 * dp_system_dup_status:
 * @self: a started system
 *
 * The system as its keyfile declares it, for a control plane: what the
 * root knows of each node and place, restarts included. What runs inside
 * each node — traffic, queues, connections — is the node's own status
 * ([method@Dp.Node.dup_status], [method@Dp.RemoteNode.query_status]).
 * Call it from the root node's loop. An `a{sv}`:
 *
 * - `name` (s): the root node's name, as other nodes know it
 * - `nodes` (aa{sv}): each `[node NAME]` — `name`, `host` (s),
 *   `listen-port` (u), `alive`, `spawned` (b), `pid` (i, when spawned),
 *   `restarts` (u)
 * - `places` (aa{sv}): each `[place NAME]` — `name`, `node` (s: the
 *   `[node NAME]` it runs on, empty for the root), `module`, `function`
 *   (s), `named`, `supervised` (b), `state` (s: `running`, `restarting`,
 *   `exited`), `restarts` (u), `exit-status` (i) and `exit-reason` (s)
 *   once it ended; for a place on another node, `channel` (u: its channel
 *   on the connection to that node, as the node reports it in
 *   `launched-by` and `channel`) and `launch` (u: which launch of this
 *   process it is, as the monitor's events about it say)
 *
 * Returns: (transfer full): the status
 */
GVariant *
dp_system_dup_status (DpSystem *self)
{
  g_auto(GStrv) nodes = NULL;
  g_auto(GStrv) places = NULL;
  g_autofree char *name = NULL;
  GVariantBuilder list;
  GVariantDict dict;

  g_return_val_if_fail (DP_IS_SYSTEM (self), NULL);

  name = dp_node_describe_self ();
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", name);

  nodes = dp_config_dup_group_names (self->config, "node");
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; nodes[i] != NULL; i++)
    g_variant_builder_add_value (&list, node_group_status (self, nodes[i]));
  g_variant_dict_insert_value (&dict, "nodes", g_variant_builder_end (&list));

  places = dp_config_dup_group_names (self->config, "place");
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; places[i] != NULL; i++)
    g_variant_builder_add_value (&list, place_group_status (self, places[i]));
  g_variant_dict_insert_value (&dict, "places", g_variant_builder_end (&list));

  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * dp_system_hold:
 * @self: a system
 *
 * Keeps the system from ending when idle: a service with work to finish
 * holds it until [method@Dp.System.release]. Call both from the node's
 * loop.
 */
void
dp_system_hold (DpSystem *self)
{
  g_return_if_fail (DP_IS_SYSTEM (self));
  self->n_holds++;
}

/**
 * dp_system_release:
 * @self: a system
 *
 * Undoes one [method@Dp.System.hold].
 */
void
dp_system_release (DpSystem *self)
{
  g_return_if_fail (DP_IS_SYSTEM (self));
  g_return_if_fail (self->n_holds > 0);

  self->n_holds--;
  schedule_idle_check (self);
}

/**
 * dp_system_exit:
 * @self: a system
 * @status: the exit status
 *
 * Ends the system with @status.
 */
void
dp_system_exit (DpSystem *self,
                gint      status)
{
  g_return_if_fail (DP_IS_SYSTEM (self));
  dp_node_exit (self->node, status);
}
