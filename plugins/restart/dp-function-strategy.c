/* dp-function-strategy.c: the `function` restart strategy — a user's
 * DpRestartFunc exported by a module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-supervision"

#include "config.h"

#include "dp-function-strategy.h"
#include "dp-restart-plugin.h"

/* DpFunctionStrategy: the seeds' restart procedure, or object with a
 * `restart` method: restart-function= names a DpRestartFunc exported by
 * the module restart-module= (found in the plugin directories like any
 * place module). It is called with the child each time the child ends and
 * decides, as any strategy does. A module or symbol that cannot be found
 * gives up on the child, saying why. */

struct _DpFunctionStrategy
{
  GObject parent_instance;

  char *module;
  char *function;
  DpRestartFunc func;
};

enum {
  PROP_0,
  PROP_RESTART_MODULE,
  PROP_RESTART_FUNCTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void dp_function_strategy_restart_strategy_init (DpRestartStrategyInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpFunctionStrategy, dp_function_strategy, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_RESTART_STRATEGY,
                                                               dp_function_strategy_restart_strategy_init))

static DpRestartDecision
dp_function_strategy_decide (DpRestartStrategy   *strategy,
                             const DpRestartInfo *info,
                             gint64              *out_delay_us)
{
  DpFunctionStrategy *self = DP_FUNCTION_STRATEGY (strategy);

  if (self->func == NULL)
    {
      g_autoptr(GError) error = NULL;

      if (self->module == NULL || self->function == NULL)
        {
          g_message ("%s: the function restart strategy needs restart-module= and "
                     "restart-function=: giving up", info->name);
          return DP_RESTART_DECISION_GIVE_UP;
        }
      self->func = (DpRestartFunc) dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (),
                                                                     self->module, self->function,
                                                                     &error);
      if (self->func == NULL)
        {
          g_message ("%s: %s: giving up", info->name, error->message);
          return DP_RESTART_DECISION_GIVE_UP;
        }
    }

  return self->func (strategy, info, out_delay_us);
}

static void
dp_function_strategy_restart_strategy_init (DpRestartStrategyInterface *iface)
{
  iface->decide = dp_function_strategy_decide;
}

static void
dp_function_strategy_finalize (GObject *object)
{
  DpFunctionStrategy *self = DP_FUNCTION_STRATEGY (object);

  g_free (self->module);
  g_free (self->function);

  G_OBJECT_CLASS (dp_function_strategy_parent_class)->finalize (object);
}

static void
dp_function_strategy_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  DpFunctionStrategy *self = DP_FUNCTION_STRATEGY (object);

  switch (prop_id)
    {
    case PROP_RESTART_MODULE:
      g_value_set_string (value, self->module);
      break;
    case PROP_RESTART_FUNCTION:
      g_value_set_string (value, self->function);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_function_strategy_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  DpFunctionStrategy *self = DP_FUNCTION_STRATEGY (object);

  switch (prop_id)
    {
    case PROP_RESTART_MODULE:
      g_free (self->module);
      self->module = g_value_dup_string (value);
      self->func = NULL;
      break;
    case PROP_RESTART_FUNCTION:
      g_free (self->function);
      self->function = g_value_dup_string (value);
      self->func = NULL;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_function_strategy_class_init (DpFunctionStrategyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_function_strategy_finalize;
  object_class->get_property = dp_function_strategy_get_property;
  object_class->set_property = dp_function_strategy_set_property;

  properties[PROP_RESTART_MODULE] =
    g_param_spec_string ("restart-module", "Restart module",
                         "The module exporting the strategy function, found in the plugin "
                         "directories like a place module (NAME.so or libNAME.so) or a path",
                         NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESTART_FUNCTION] =
    g_param_spec_string ("restart-function", "Restart function",
                         "The exported DpRestartFunc called each time the child ends; it "
                         "decides whether, and after how long, to restart it",
                         NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_function_strategy_class_finalize (DpFunctionStrategyClass *klass)
{
}

static void
dp_function_strategy_init (DpFunctionStrategy *self)
{
}

void
dp_restart_plugin_load (GIOModule *module)
{
  dp_function_strategy_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (DP_RESTART_STRATEGY_EXTENSION_POINT_NAME,
                                  DP_TYPE_FUNCTION_STRATEGY, "function", 10);
  dp_plugin_set_description (DP_TYPE_FUNCTION_STRATEGY,
                             "Your own strategy: calls the DpRestartFunc restart-function= "
                             "exported by restart-module= each time the child ends; it decides "
                             "whether, and after how long, to restart it.");
}
