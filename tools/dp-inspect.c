/* dp-inspect.c: `dplaces inspect` — what plugins are installed, and their keys
 *
 * Like gst-inspect: without an argument, every plugin by extension point;
 * with one, that plugin's description, file and keyfile keys (its writable
 * GObject properties).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "dp-inspect.h"

#include <dplaces/dplaces.h>

typedef struct {
  const char *name;
  const char *extension_point;
  GType type;
} PluginEntry;

static GArray *
collect_plugins (const char *only)
{
  const char * const *points = dp_plugin_registry_get_extension_points ();
  GArray *plugins = g_array_new (FALSE, FALSE, sizeof (PluginEntry));

  for (guint i = 0; points[i] != NULL; i++)
    {
      GIOExtensionPoint *point = g_io_extension_point_lookup (points[i]);

      for (GList *l = g_io_extension_point_get_extensions (point); l != NULL; l = l->next)
        {
          PluginEntry entry = {
            g_io_extension_get_name (l->data),
            points[i],
            g_io_extension_get_type (l->data),
          };
          if (only == NULL || g_str_equal (only, entry.name))
            g_array_append_val (plugins, entry);
        }
    }

  return plugins;
}

static char *
format_default (GParamSpec *pspec)
{
  const GValue *value = g_param_spec_get_default_value (pspec);

  if (G_VALUE_HOLDS_STRING (value))
    return g_strdup (g_value_get_string (value) != NULL ? g_value_get_string (value) : "");
  if (G_VALUE_HOLDS_BOOLEAN (value))
    return g_strdup (g_value_get_boolean (value) ? "true" : "false");
  if (G_VALUE_HOLDS (value, G_TYPE_STRV))
    {
      const char * const *list = g_value_get_boxed (value);
      return list != NULL ? g_strjoinv (";", (char **) list) : g_strdup ("");
    }
  if (G_VALUE_HOLDS_ENUM (value))
    {
      GEnumValue *enum_value = g_enum_get_value (G_PARAM_SPEC_ENUM (pspec)->enum_class,
                                                 g_value_get_enum (value));
      return g_strdup (enum_value != NULL ? enum_value->value_nick : "");
    }
  return g_strdup_value_contents (value);
}

static const char *
key_type_name (GParamSpec *pspec)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);

  if (type == G_TYPE_BOOLEAN)
    return "boolean";
  if (type == G_TYPE_INT || type == G_TYPE_UINT || type == G_TYPE_INT64 || type == G_TYPE_UINT64)
    return "integer";
  if (type == G_TYPE_DOUBLE)
    return "double";
  if (type == G_TYPE_STRING)
    return "string";
  if (G_TYPE_IS_ENUM (type))
    return "enum";
  if (type == G_TYPE_STRV)
    return "string-list";
  return g_type_name (type);
}

static GPtrArray *
plugin_keys (GType type)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (type);
  guint n_pspecs;
  g_autofree GParamSpec **pspecs = g_object_class_list_properties (G_OBJECT_CLASS (klass), &n_pspecs);
  GPtrArray *keys = g_ptr_array_new ();

  for (guint i = 0; i < n_pspecs; i++)
    if ((pspecs[i]->flags & G_PARAM_WRITABLE) && pspecs[i]->owner_type != G_TYPE_OBJECT)
      g_ptr_array_add (keys, pspecs[i]);

  return keys;
}

static void
print_text (GArray  *plugins,
            gboolean details)
{
  const char *last_point = NULL;

  for (guint i = 0; i < plugins->len; i++)
    {
      PluginEntry *entry = &g_array_index (plugins, PluginEntry, i);
      const char *description = dp_plugin_get_description (entry->type);
      g_autoptr(GPtrArray) keys = plugin_keys (entry->type);

      if (!details)
        {
          if (g_strcmp0 (last_point, entry->extension_point) != 0)
            {
              printf ("%s%s plugins (%s):\n", last_point != NULL ? "\n" : "",
                      dp_plugin_registry_describe_extension_point (entry->extension_point),
                      entry->extension_point);
              last_point = entry->extension_point;
            }
          printf ("  %-12s %s\n", entry->name, description != NULL ? description : "");
          continue;
        }

      printf ("Plugin: %s\n", entry->name);
      printf ("  Kind:            %s (%s)\n",
              dp_plugin_registry_describe_extension_point (entry->extension_point),
              entry->extension_point);
      printf ("  Type:            %s\n", g_type_name (entry->type));
      printf ("  File:            %s\n", dp_plugin_get_module_path (entry->type) != NULL
                                         ? dp_plugin_get_module_path (entry->type) : "(built in)");
      printf ("  Description:     %s\n\n", description != NULL ? description : "");
      printf ("  Keys:\n");
      if (keys->len == 0)
        printf ("    (none)\n");
      for (guint k = 0; k < keys->len; k++)
        {
          GParamSpec *pspec = g_ptr_array_index (keys, k);
          g_autofree char *default_value = format_default (pspec);

          printf ("    %-18s %-8s default %s\n", g_param_spec_get_name (pspec),
                  key_type_name (pspec), default_value);
          if (g_param_spec_get_blurb (pspec) != NULL)
            printf ("    %-18s %s\n", "", g_param_spec_get_blurb (pspec));
        }
    }
}

static void
print_json (GArray *plugins)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "plugins");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plugins->len; i++)
    {
      PluginEntry *entry = &g_array_index (plugins, PluginEntry, i);
      g_autoptr(GPtrArray) keys = plugin_keys (entry->type);
      const char *description = dp_plugin_get_description (entry->type);
      const char *file = dp_plugin_get_module_path (entry->type);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, entry->name);
      json_builder_set_member_name (builder, "extension_point");
      json_builder_add_string_value (builder, entry->extension_point);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, dp_plugin_registry_describe_extension_point (entry->extension_point));
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, g_type_name (entry->type));
      json_builder_set_member_name (builder, "file");
      if (file != NULL)
        json_builder_add_string_value (builder, file);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, description != NULL ? description : "");
      json_builder_set_member_name (builder, "keys");
      json_builder_begin_array (builder);
      for (guint k = 0; k < keys->len; k++)
        {
          GParamSpec *pspec = g_ptr_array_index (keys, k);
          g_autofree char *default_value = format_default (pspec);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, g_param_spec_get_name (pspec));
          json_builder_set_member_name (builder, "type");
          json_builder_add_string_value (builder, key_type_name (pspec));
          json_builder_set_member_name (builder, "default");
          json_builder_add_string_value (builder, default_value);
          json_builder_set_member_name (builder, "doc");
          json_builder_add_string_value (builder, g_param_spec_get_blurb (pspec) != NULL
                                                  ? g_param_spec_get_blurb (pspec) : "");
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

int
dp_inspect_command (int    argc,
                    char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[PLUGIN] — list plugins and their keyfile keys");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) plugins = NULL;
  const char *only;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces inspect: %s\n", error->message);
      return 2;
    }
  if (argc > 2)
    {
      g_printerr ("Usage: dplaces inspect [PLUGIN] [--json]\n");
      return 2;
    }
  only = argc == 2 ? argv[1] : NULL;

  dp_plugin_registry_load_all (dp_plugin_registry_get_default ());
  plugins = collect_plugins (only);

  if (only != NULL && plugins->len == 0)
    {
      g_auto(GStrv) dirs = dp_plugin_registry_dup_directories (dp_plugin_registry_get_default ());
      g_autofree char *searched = g_strjoinv (", ", dirs);
      g_printerr ("dplaces inspect: no plugin “%s” (looked for libdplaces-%s.so in %s)\n",
                  only, only, searched);
      return 1;
    }

  if (json)
    print_json (plugins);
  else
    print_text (plugins, only != NULL);

  return 0;
}
