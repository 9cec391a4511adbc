/* dp-config.c: keyfiles, validated against the schema
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-config"

#include "config.h"

#include <json-glib/json-glib.h>

#include "dp-config.h"
#include "dp-error.h"
#include "dp-message.h"
#include "dp-plugin-registry.h"

/**
 * DpConfig:
 *
 * A keyfile checked against the schema in `schemas/dplaces.keyfile.json`
 * (compiled into the library): known groups, known keys, values of the
 * right type, required keys present, references to places that exist.
 * Keys a plugin adds — a place backend's, say — are checked against the
 * plugin's GObject properties.
 *
 * Every problem is reported as `FILE:LINE: [group] key: what was expected`,
 * all of them at once, in a %DP_ERROR_CONFIG error.
 */

/* The schema, read once from the resource. */

typedef struct {
  char *name;
  char *type;           /* string, boolean, integer, double, variant, enum,
                         * path-list, place-ref, format */
  char *doc;
  char *default_value;
  char *requires;
  GStrv values;         /* enum */
  gdouble min, max;
  gboolean has_min, has_max, required;
} SchemaKey;

/* A key of a group that names a plugin: the plugin's writable properties
 * are keys of the group too. A group may have several (a place's backend=
 * and restart=); a key two of its plugins both take is an error. */
typedef struct {
  char *key;
  char *extension_point;
} SchemaPlugin;

typedef struct {
  char *name;
  char *argument;       /* NULL: the group takes no NAME */
  GPtrArray *plugins;   /* SchemaPlugin* */
  GPtrArray *keys;      /* SchemaKey* */
  GPtrArray *one_of;    /* GStrv */
} SchemaGroup;

static GPtrArray *schema_groups;  /* SchemaGroup* */

static const char *
member_string (JsonObject *object,
               const char *name)
{
  return json_object_has_member (object, name) ? json_object_get_string_member (object, name) : NULL;
}

static GStrv
array_to_strv (JsonArray *array)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < json_array_get_length (array); i++)
    g_strv_builder_add (builder, json_array_get_string_element (array, i));

  return g_strv_builder_end (builder);
}

/**
 * dp_config_get_schema:
 *
 * Returns: (transfer full): the keyfile schema, as JSON
 */
GBytes *
dp_config_get_schema (void)
{
  return g_resources_lookup_data ("/org/dplaces/schemas/dplaces.keyfile.json",
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}

static void
load_schema (void)
{
  static gsize initialized;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *groups;

  if (!g_once_init_enter (&initialized))
    return;

  bytes = dp_config_get_schema ();
  parser = json_parser_new ();
  if (bytes == NULL ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), &error))
    g_error ("The built-in keyfile schema is broken: %s",
             error != NULL ? error->message : "missing");

  schema_groups = g_ptr_array_new ();
  groups = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "groups");
  for (guint i = 0; i < json_array_get_length (groups); i++)
    {
      JsonObject *g = json_array_get_object_element (groups, i);
      SchemaGroup *group = g_new0 (SchemaGroup, 1);
      JsonArray *keys = json_object_get_array_member (g, "keys");

      group->name = g_strdup (member_string (g, "name"));
      group->argument = g_strdup (member_string (g, "argument"));
      group->plugins = g_ptr_array_new ();
      group->keys = g_ptr_array_new ();

      /* "plugins": [{"key": …, "extension-point": …}, …], or the older
       * single "plugin-key" and "plugin-extension-point". */
      if (json_object_has_member (g, "plugins"))
        {
          JsonArray *plugins = json_object_get_array_member (g, "plugins");
          for (guint j = 0; j < json_array_get_length (plugins); j++)
            {
              JsonObject *p = json_array_get_object_element (plugins, j);
              SchemaPlugin *plugin = g_new0 (SchemaPlugin, 1);

              plugin->key = g_strdup (member_string (p, "key"));
              plugin->extension_point = g_strdup (member_string (p, "extension-point"));
              g_ptr_array_add (group->plugins, plugin);
            }
        }
      else if (json_object_has_member (g, "plugin-key"))
        {
          SchemaPlugin *plugin = g_new0 (SchemaPlugin, 1);

          plugin->key = g_strdup (member_string (g, "plugin-key"));
          plugin->extension_point = g_strdup (member_string (g, "plugin-extension-point"));
          g_ptr_array_add (group->plugins, plugin);
        }

      group->one_of = g_ptr_array_new ();

      for (guint j = 0; j < json_array_get_length (keys); j++)
        {
          JsonObject *k = json_array_get_object_element (keys, j);
          SchemaKey *key = g_new0 (SchemaKey, 1);

          key->name = g_strdup (member_string (k, "name"));
          key->type = g_strdup (member_string (k, "type"));
          key->doc = g_strdup (member_string (k, "doc"));
          key->default_value = g_strdup (member_string (k, "default"));
          key->requires = g_strdup (member_string (k, "requires"));
          key->required = json_object_has_member (k, "required") &&
                          json_object_get_boolean_member (k, "required");
          if ((key->has_min = json_object_has_member (k, "min")))
            key->min = json_object_get_double_member (k, "min");
          if ((key->has_max = json_object_has_member (k, "max")))
            key->max = json_object_get_double_member (k, "max");
          if (json_object_has_member (k, "values"))
            key->values = array_to_strv (json_object_get_array_member (k, "values"));
          g_ptr_array_add (group->keys, key);
        }

      if (json_object_has_member (g, "one-of"))
        {
          JsonArray *sets = json_object_get_array_member (g, "one-of");
          for (guint j = 0; j < json_array_get_length (sets); j++)
            g_ptr_array_add (group->one_of, array_to_strv (json_array_get_array_element (sets, j)));
        }

      g_ptr_array_add (schema_groups, group);
    }

  g_once_init_leave (&initialized, 1);
}

static SchemaGroup *
schema_lookup_group (const char *kind)
{
  for (guint i = 0; i < schema_groups->len; i++)
    {
      SchemaGroup *group = g_ptr_array_index (schema_groups, i);
      if (g_str_equal (group->name, kind))
        return group;
    }
  return NULL;
}

static SchemaKey *
schema_lookup_key (SchemaGroup *group,
                   const char  *name)
{
  for (guint i = 0; i < group->keys->len; i++)
    {
      SchemaKey *key = g_ptr_array_index (group->keys, i);
      if (g_str_equal (key->name, name))
        return key;
    }
  return NULL;
}

static char *
schema_group_list (void)
{
  GString *list = g_string_new (NULL);

  for (guint i = 0; i < schema_groups->len; i++)
    {
      SchemaGroup *group = g_ptr_array_index (schema_groups, i);
      if (i > 0)
        g_string_append (list, ", ");
      if (group->argument != NULL)
        g_string_append_printf (list, "[%s %s]", group->name, group->argument);
      else
        g_string_append_printf (list, "[%s]", group->name);
    }

  return g_string_free (list, FALSE);
}

/* The config. */

typedef struct {
  guint line;
  GHashTable *keys;     /* key → line */
} GroupLines;

struct _DpConfig
{
  GObject parent_instance;

  char *path;
  char *directory;
  GKeyFile *key_file;
  GHashTable *lines;    /* group → GroupLines* */
  GPtrArray *groups;    /* group names in file order */
  GPtrArray *service_groups;  /* groups naming a service plugin */
};

G_DEFINE_FINAL_TYPE (DpConfig, dp_config, G_TYPE_OBJECT)

static void
group_lines_free (gpointer data)
{
  GroupLines *lines = data;

  g_hash_table_unref (lines->keys);
  g_free (lines);
}

static void
dp_config_finalize (GObject *object)
{
  DpConfig *self = DP_CONFIG (object);

  g_free (self->path);
  g_free (self->directory);
  g_key_file_unref (self->key_file);
  g_hash_table_unref (self->lines);
  g_ptr_array_unref (self->groups);
  g_ptr_array_unref (self->service_groups);

  G_OBJECT_CLASS (dp_config_parent_class)->finalize (object);
}

static void
dp_config_class_init (DpConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dp_config_finalize;
}

static void
dp_config_init (DpConfig *self)
{
  self->key_file = g_key_file_new ();
  self->lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, group_lines_free);
  self->groups = g_ptr_array_new_with_free_func (g_free);
  self->service_groups = g_ptr_array_new_with_free_func (g_free);
}

/* Problems found, one line each. */
typedef struct {
  guint line;
  guint order;
  char *text;
} Problem;

typedef struct {
  DpConfig *config;
  GArray *problems;     /* Problem, reported in line order */
} Check;

static void
problem_clear (gpointer data)
{
  g_free (((Problem *) data)->text);
}

static gint
problem_compare (gconstpointer a,
                 gconstpointer b)
{
  const Problem *pa = a, *pb = b;

  if (pa->line != pb->line)
    return pa->line < pb->line ? -1 : 1;
  return pa->order < pb->order ? -1 : pa->order > pb->order;
}

G_GNUC_PRINTF (5, 6)
static void
check_fail (Check      *check,
            guint       line,
            const char *group,
            const char *key,
            const char *format,
            ...)
{
  g_autofree char *message = NULL;
  GString *text = g_string_new (NULL);
  Problem problem;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_string_append_printf (text, "%s:%u: ", check->config->path, line);
  if (group != NULL && key != NULL)
    g_string_append_printf (text, "[%s] %s: ", group, key);
  else if (group != NULL)
    g_string_append_printf (text, "[%s]: ", group);
  g_string_append (text, message);

  problem.line = line;
  problem.order = check->problems->len;
  problem.text = g_string_free (text, FALSE);
  g_array_append_val (check->problems, problem);
}

/* Records where every group and key is, and finds the lines GKeyFile would
 * reject, since its own errors carry no line number. Appends to @clean the
 * text with those lines blanked out (a duplicate or broken group with all
 * its keys), so that GKeyFile can still load the rest and every other
 * problem is reported too, all at once. */
static void
scan_lines (Check      *check,
            const char *data,
            gsize       length,
            GString    *clean)
{
  DpConfig *self = check->config;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) originals = NULL;
  g_autofree char *text = g_strndup (data, length);
  GroupLines *current = NULL;
  const char *current_name = NULL;
  gboolean in_bad_group = FALSE;

  lines = g_strsplit (text, "\n", -1);
  originals = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint number = i + 1;
      char *line = g_strchug (lines[i]);
      char *equals;
      gboolean keep = FALSE;

      g_strchomp (line);
      if (line[0] == '\0' || line[0] == '#')
        keep = TRUE;
      else if (line[0] == '[')
        {
          char *end = strchr (line, ']');
          g_autofree char *name = NULL;

          in_bad_group = TRUE;
          current = NULL;
          current_name = NULL;
          if (end == NULL || end[1] != '\0' || end == line + 1 ||
              memchr (line + 1, '[', end - line - 1) != NULL)
            check_fail (check, number, NULL, NULL,
                        "expected a group header like [place NAME], got “%s”", line);
          else if (g_hash_table_contains (self->lines,
                                          (name = g_strndup (line + 1, end - line - 1))))
            check_fail (check, number, name, NULL, "group given twice (first on line %u)",
                        ((GroupLines *) g_hash_table_lookup (self->lines, name))->line);
          else
            {
              current = g_new0 (GroupLines, 1);
              current->line = number;
              current->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
              g_ptr_array_add (self->groups, g_strdup (name));
              current_name = self->groups->pdata[self->groups->len - 1];
              g_hash_table_insert (self->lines, g_steal_pointer (&name), current);
              in_bad_group = FALSE;
              keep = TRUE;
            }
        }
      else if ((equals = strchr (line, '=')) == NULL || equals == line)
        check_fail (check, number, NULL, NULL,
                    "expected key=value, a [group] or a # comment, got “%s”", line);
      else if (current == NULL)
        {
          /* The keys of a broken or duplicate group go with it. */
          if (!in_bad_group)
            check_fail (check, number, NULL, NULL, "key=value before the first [group]");
        }
      else
        {
          g_autofree char *key = g_strndup (line, equals - line);

          g_strchomp (key);
          if (strpbrk (key, "[]") != NULL)
            check_fail (check, number, current_name, key,
                        "expected a key name without [ or ]");
          else if (g_hash_table_contains (current->keys, key))
            check_fail (check, number, current_name, key, "key given twice (first on line %u)",
                        GPOINTER_TO_UINT (g_hash_table_lookup (current->keys, key)));
          else
            {
              g_hash_table_insert (current->keys, g_steal_pointer (&key), GUINT_TO_POINTER (number));
              keep = TRUE;
            }
        }

      if (keep)
        g_string_append (clean, originals[i]);
      if (lines[i + 1] != NULL)
        g_string_append_c (clean, '\n');
    }
}

static gboolean
value_is_boolean (const char *value)
{
  return g_str_equal (value, "true") || g_str_equal (value, "false") ||
         g_str_equal (value, "1") || g_str_equal (value, "0");
}

static gboolean
parse_integer (const char *value,
               gint64     *out)
{
  return g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, out, NULL);
}

static gboolean
parse_double (const char *value,
              gdouble    *out)
{
  char *end = NULL;

  if (value[0] == '\0')
    return FALSE;
  *out = g_ascii_strtod (value, &end);
  return end != NULL && *end == '\0';
}

static gboolean
format_is_valid (const char *format)
{
  guint n_placeholders = 0;

  for (const char *p = format; *p != '\0'; p++)
    {
      if (*p != '%')
        continue;
      p++;
      if (*p == 's')
        n_placeholders++;
      else if (*p != '%')
        return FALSE;
    }
  return n_placeholders <= 1;
}

/* GVariant's parse errors start with the byte range they concern ("11:"
 * or "0-11:" or "0-3,5-7:"). A keyfile report is one line: say the column
 * instead of printing the context. */
static char *
describe_parse_error (const GError *error)
{
  const char *message = error->message;
  const char *colon = strchr (message, ':');

  if (g_error_matches (error, G_VARIANT_PARSE_ERROR, error->code) &&
      g_ascii_isdigit (message[0]) && colon != NULL)
    return g_strdup_printf ("%s (at column %" G_GUINT64_FORMAT ")", colon + 1,
                            g_ascii_strtoull (message, NULL, 10) + 1);
  return g_strdup (message);
}

static void
check_schema_value (Check      *check,
                    const char *group,
                    SchemaKey  *key,
                    guint       line)
{
  DpConfig *self = check->config;
  g_autofree char *value = g_key_file_get_string (self->key_file, group, key->name, NULL);
  g_autofree char *raw = g_key_file_get_value (self->key_file, group, key->name, NULL);

  if (g_str_equal (key->type, "string") || g_str_equal (key->type, "path-list"))
    {
      if (value == NULL)
        check_fail (check, line, group, key->name, "expected text, got “%s”", raw);
    }
  else if (g_str_equal (key->type, "boolean"))
    {
      if (value == NULL || !value_is_boolean (value))
        check_fail (check, line, group, key->name,
                    "expected a boolean (true or false), got “%s”", raw);
    }
  else if (g_str_equal (key->type, "integer"))
    {
      gint64 number;

      if (value == NULL || !parse_integer (value, &number) ||
          (key->has_min && number < key->min) || (key->has_max && number > key->max))
        {
          if (key->has_min && key->has_max)
            check_fail (check, line, group, key->name,
                        "expected an integer from %g to %g, got “%s”", key->min, key->max, raw);
          else
            check_fail (check, line, group, key->name, "expected an integer, got “%s”", raw);
        }
    }
  else if (g_str_equal (key->type, "double"))
    {
      gdouble number;

      if (value == NULL || !parse_double (value, &number) ||
          (key->has_min && number < key->min) || (key->has_max && number > key->max))
        {
          if (key->has_min)
            check_fail (check, line, group, key->name,
                        "expected a number of at least %g, got “%s”", key->min, raw);
          else
            check_fail (check, line, group, key->name, "expected a number, got “%s”", raw);
        }
    }
  else if (g_str_equal (key->type, "variant"))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) message = value != NULL ? g_variant_parse (NULL, value, NULL, NULL, &error)
                                                  : NULL;

      if (message == NULL)
        {
          g_autofree char *reason = error != NULL ? describe_parse_error (error) : NULL;
          check_fail (check, line, group, key->name,
                      "expected a message in GVariant text form, got “%s”: %s",
                      raw, reason != NULL ? reason : "not text");
        }
    }
  else if (g_str_equal (key->type, "enum"))
    {
      if (value == NULL || !g_strv_contains ((const char * const *) key->values, value))
        {
          g_autofree char *choices = g_strjoinv (", ", key->values);
          check_fail (check, line, group, key->name, "expected one of %s, got “%s”", choices, raw);
        }
    }
  else if (g_str_equal (key->type, "place-ref"))
    {
      g_autofree char *target = value != NULL ? g_strconcat ("place ", value, NULL) : NULL;

      if (target == NULL || !g_hash_table_contains (self->lines, target))
        check_fail (check, line, group, key->name,
                    "expected the NAME of a [place NAME] group, but there is no [place %s]", raw);
    }
  else if (g_str_equal (key->type, "node-ref"))
    {
      g_autofree char *target = value != NULL ? g_strconcat ("node ", value, NULL) : NULL;

      if (target == NULL || !g_hash_table_contains (self->lines, target))
        check_fail (check, line, group, key->name,
                    "expected the NAME of a [node NAME] group, but there is no [node %s]", raw);
    }
  else if (g_str_equal (key->type, "format"))
    {
      if (value == NULL || !format_is_valid (value))
        check_fail (check, line, group, key->name,
                    "expected a line with at most one %%s (and %%%% for a percent sign), got “%s”",
                    raw);
    }
  else
    g_error ("keyfile schema: unknown type “%s”", key->type);
}

/* The bounds of an integer property, within gint64. */
static gboolean
integer_range (GParamSpec *pspec,
               gint64     *min,
               gint64     *max)
{
  if (G_IS_PARAM_SPEC_INT (pspec))
    *min = G_PARAM_SPEC_INT (pspec)->minimum, *max = G_PARAM_SPEC_INT (pspec)->maximum;
  else if (G_IS_PARAM_SPEC_UINT (pspec))
    *min = G_PARAM_SPEC_UINT (pspec)->minimum, *max = G_PARAM_SPEC_UINT (pspec)->maximum;
  else if (G_IS_PARAM_SPEC_INT64 (pspec))
    *min = G_PARAM_SPEC_INT64 (pspec)->minimum, *max = G_PARAM_SPEC_INT64 (pspec)->maximum;
  else if (G_IS_PARAM_SPEC_UINT64 (pspec))
    *min = (gint64) MIN (G_PARAM_SPEC_UINT64 (pspec)->minimum, G_MAXINT64),
    *max = (gint64) MIN (G_PARAM_SPEC_UINT64 (pspec)->maximum, G_MAXINT64);
  else
    return FALSE;
  return TRUE;
}

/* Reads @key of @group as the type of @pspec. */
static gboolean
value_from_key_file (GKeyFile    *key_file,
                     const char  *group,
                     const char  *key,
                     GParamSpec  *pspec,
                     GValue      *value,
                     char       **expected)
{
  g_autofree char *text = g_key_file_get_string (key_file, group, key, NULL);
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  gint64 number, min, max;
  gdouble real;

  g_value_init (value, type);
  if (text == NULL)
    {
      *expected = g_strdup ("expected text");
      return FALSE;
    }

  if (type == G_TYPE_BOOLEAN)
    {
      if (!value_is_boolean (text))
        {
          *expected = g_strdup ("expected a boolean (true or false)");
          return FALSE;
        }
      g_value_set_boolean (value, g_str_equal (text, "true") || g_str_equal (text, "1"));
    }
  else if (integer_range (pspec, &min, &max))
    {
      if (!parse_integer (text, &number) || number < min || number > max)
        {
          *expected = g_strdup_printf ("expected an integer from %" G_GINT64_FORMAT
                                       " to %" G_GINT64_FORMAT, min, max);
          return FALSE;
        }
      if (type == G_TYPE_INT)
        g_value_set_int (value, (gint) number);
      else if (type == G_TYPE_UINT)
        g_value_set_uint (value, (guint) number);
      else if (type == G_TYPE_INT64)
        g_value_set_int64 (value, number);
      else
        g_value_set_uint64 (value, (guint64) number);
    }
  else if (type == G_TYPE_DOUBLE)
    {
      if (!parse_double (text, &real))
        {
          *expected = g_strdup ("expected a number");
          return FALSE;
        }
      g_value_set_double (value, real);
      if (g_param_value_validate (pspec, value))
        {
          *expected = g_strdup_printf ("expected a number from %g to %g",
                                       G_PARAM_SPEC_DOUBLE (pspec)->minimum,
                                       G_PARAM_SPEC_DOUBLE (pspec)->maximum);
          return FALSE;
        }
    }
  else if (type == G_TYPE_STRING)
    g_value_set_string (value, text);
  else if (type == G_TYPE_STRV)
    {
      /* A list, separated by ; as GKeyFile lists are. */
      g_auto(GStrv) list = g_key_file_get_string_list (key_file, group, key, NULL, NULL);
      g_value_set_boxed (value, list);
    }
  else if (G_TYPE_IS_ENUM (type))
    {
      GEnumClass *enum_class = G_PARAM_SPEC_ENUM (pspec)->enum_class;
      GEnumValue *enum_value = g_enum_get_value_by_nick (enum_class, text);

      if (enum_value == NULL)
        {
          GString *choices = g_string_new ("expected one of ");
          for (guint i = 0; i < enum_class->n_values; i++)
            g_string_append_printf (choices, "%s%s", i > 0 ? ", " : "",
                                    enum_class->values[i].value_nick);
          *expected = g_string_free (choices, FALSE);
          return FALSE;
        }
      g_value_set_enum (value, enum_value->value);
    }
  else
    {
      *expected = g_strdup_printf ("a property of type %s, which keyfiles cannot set",
                                   g_type_name (type));
      return FALSE;
    }

  return TRUE;
}

static GParamSpec *
plugin_key_pspec (GType       plugin_type,
                  const char *key)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (plugin_type);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), key);

  if (pspec == NULL || !(pspec->flags & G_PARAM_WRITABLE))
    return NULL;
  return pspec;
}

/* The plugin @plugin's key names in @group (or its default): its type,
 * or G_TYPE_INVALID if the group names none or an unknown one. */
static GType
group_plugin_type (DpConfig      *self,
                   SchemaGroup   *schema,
                   SchemaPlugin  *plugin,
                   const char    *group,
                   GError       **error)
{
  g_autofree char *name = NULL;
  SchemaKey *plugin_key;

  plugin_key = schema_lookup_key (schema, plugin->key);
  name = g_key_file_get_string (self->key_file, group, plugin->key, NULL);
  if (name == NULL && plugin_key != NULL)
    name = g_strdup (plugin_key->default_value);
  if (name == NULL)
    return G_TYPE_INVALID;   /* optional, and absent: restart= */

  return dp_plugin_registry_lookup_plugin (dp_plugin_registry_get_default (),
                                           plugin->extension_point, name, error);
}

/* The types of every plugin @group names, one per schema plugin (G_TYPE_INVALID
 * where none); unknown plugins reported when @check is given. */
static GArray *
group_plugin_types (Check       *check,
                    DpConfig    *self,
                    SchemaGroup *schema,
                    const char  *group,
                    GroupLines  *lines)
{
  GArray *types = g_array_new (FALSE, TRUE, sizeof (GType));

  for (guint i = 0; i < schema->plugins->len; i++)
    {
      SchemaPlugin *plugin = g_ptr_array_index (schema->plugins, i);
      g_autoptr(GError) error = NULL;
      GType type = group_plugin_type (self, schema, plugin, group, &error);

      if (type == G_TYPE_INVALID && error != NULL && check != NULL)
        {
          gpointer line = g_hash_table_lookup (lines->keys, plugin->key);
          check_fail (check, line != NULL ? GPOINTER_TO_UINT (line) : lines->line,
                      group, plugin->key, "%s", error->message);
        }
      g_array_append_val (types, type);
    }
  return types;
}

/* The key of @schema that names the plugin of @type in @types. */
static const char *
schema_plugin_key_for (SchemaGroup *schema,
                       GArray      *types,
                       GType        type)
{
  for (guint i = 0; i < types->len; i++)
    if (g_array_index (types, GType, i) == type)
      return ((SchemaPlugin *) g_ptr_array_index (schema->plugins, i))->key;
  return "?";
}

/* A group named after a service plugin — [rmpi], [mapreduce], [http] —
 * takes the plugin's writable properties as keys. */
static gboolean
check_service_group (Check      *check,
                     const char *group,
                     GroupLines *lines)
{
  DpConfig *self = check->config;
  GType type = dp_plugin_registry_lookup_plugin (dp_plugin_registry_get_default (),
                                                 "dplaces-service", group, NULL);
  g_auto(GStrv) keys = NULL;

  if (type == G_TYPE_INVALID)
    return FALSE;

  keys = g_key_file_get_keys (self->key_file, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      guint line = GPOINTER_TO_UINT (g_hash_table_lookup (lines->keys, keys[i]));
      GParamSpec *pspec = plugin_key_pspec (type, keys[i]);
      GValue value = G_VALUE_INIT;
      g_autofree char *expected = NULL;
      g_autofree char *raw = g_key_file_get_value (self->key_file, group, keys[i], NULL);

      if (pspec == NULL)
        {
          check_fail (check, line, group, keys[i],
                      "unknown key; the %s service's keys are listed by dplaces inspect %s",
                      group, group);
          continue;
        }
      if (!value_from_key_file (self->key_file, group, keys[i], pspec, &value, &expected))
        check_fail (check, line, group, keys[i], "%s (a key of plugin %s), got “%s”",
                    expected, g_type_name (type), raw);
      g_value_unset (&value);
    }

  g_ptr_array_add (self->service_groups, g_strdup (group));
  return TRUE;
}

static void
check_group (Check      *check,
             const char *group)
{
  DpConfig *self = check->config;
  GroupLines *lines = g_hash_table_lookup (self->lines, group);
  const char *space = strchr (group, ' ');
  g_autofree char *kind = space != NULL ? g_strndup (group, space - group) : g_strdup (group);
  const char *argument = space != NULL ? space + 1 : NULL;
  SchemaGroup *schema = schema_lookup_group (kind);
  g_auto(GStrv) keys = NULL;
  g_autoptr(GArray) plugin_types = NULL;

  if (schema == NULL && argument == NULL && check_service_group (check, group, lines))
    return;
  if (schema == NULL)
    {
      g_autofree char *known = schema_group_list ();
      check_fail (check, lines->line, group, NULL,
                  "unknown group; expected one of %s, or the name of a service plugin "
                  "(dplaces inspect lists them)", known);
      return;
    }
  if (schema->argument != NULL && (argument == NULL || argument[0] == '\0' ||
                                   strchr (argument, ' ') != NULL))
    {
      check_fail (check, lines->line, group, NULL, "expected [%s %s] with a %s of one word",
                  schema->name, schema->argument, schema->argument);
      return;
    }
  if (schema->argument == NULL && argument != NULL)
    {
      check_fail (check, lines->line, group, NULL, "expected [%s], without a name", schema->name);
      return;
    }

  plugin_types = group_plugin_types (check, self, schema, group, lines);

  keys = g_key_file_get_keys (self->key_file, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      SchemaKey *key = schema_lookup_key (schema, keys[i]);
      guint line = GPOINTER_TO_UINT (g_hash_table_lookup (lines->keys, keys[i]));

      GType plugin_type = G_TYPE_INVALID;
      guint n_plugins = 0;

      /* Which of the group's plugins take this key. */
      for (guint j = 0; key == NULL && j < plugin_types->len; j++)
        {
          GType type = g_array_index (plugin_types, GType, j);

          if (type == G_TYPE_INVALID || plugin_key_pspec (type, keys[i]) == NULL)
            continue;
          if (n_plugins++ == 0)
            plugin_type = type;
          else
            check_fail (check, line, group, keys[i],
                        "ambiguous key: both plugin %s (%s=) and plugin %s (%s=) take it",
                        g_type_name (plugin_type), schema_plugin_key_for (schema, plugin_types, plugin_type),
                        g_type_name (type), ((SchemaPlugin *) g_ptr_array_index (schema->plugins, j))->key);
        }

      if (key != NULL)
        {
          check_schema_value (check, group, key, line);
          if (key->requires != NULL &&
              !g_key_file_has_key (self->key_file, group, key->requires, NULL))
            check_fail (check, line, group, keys[i], "needs %s= in the same group", key->requires);
        }
      else if (n_plugins == 1)
        {
          GValue value = G_VALUE_INIT;
          g_autofree char *expected = NULL;
          g_autofree char *raw = g_key_file_get_value (self->key_file, group, keys[i], NULL);

          if (!value_from_key_file (self->key_file, group, keys[i],
                                    plugin_key_pspec (plugin_type, keys[i]), &value, &expected))
            check_fail (check, line, group, keys[i], "%s (a key of plugin %s), got “%s”",
                        expected, g_type_name (plugin_type), raw);
          g_value_unset (&value);
        }
      else if (n_plugins == 0)
        {
          GString *known = g_string_new (NULL);
          for (guint j = 0; j < schema->keys->len; j++)
            g_string_append_printf (known, "%s%s", j > 0 ? ", " : "",
                                    ((SchemaKey *) g_ptr_array_index (schema->keys, j))->name);
          for (guint j = 0; j < plugin_types->len; j++)
            if (g_array_index (plugin_types, GType, j) != G_TYPE_INVALID)
              g_string_append_printf (known, ", or a key of plugin %s (see dplaces inspect)",
                                      g_type_name (g_array_index (plugin_types, GType, j)));
          check_fail (check, line, group, keys[i], "unknown key; expected %s", known->str);
          g_string_free (known, TRUE);
        }
    }

  for (guint i = 0; i < schema->keys->len; i++)
    {
      SchemaKey *key = g_ptr_array_index (schema->keys, i);
      if (key->required && !g_key_file_has_key (self->key_file, group, key->name, NULL))
        check_fail (check, lines->line, group, key->name, "missing; this group needs %s=", key->name);
    }

  for (guint i = 0; i < schema->one_of->len; i++)
    {
      GStrv set = g_ptr_array_index (schema->one_of, i);
      g_autofree char *names = g_strjoinv ("= or ", set);
      guint n_present = 0;

      for (guint j = 0; set[j] != NULL; j++)
        n_present += g_key_file_has_key (self->key_file, group, set[j], NULL);
      if (n_present != 1)
        check_fail (check, lines->line, group, NULL, "expected exactly one of %s=, got %u",
                    names, n_present);
    }
}

static gboolean
dp_config_load (DpConfig    *self,
                const char  *data,
                gsize        length,
                GError     **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GString) clean = g_string_new (NULL);
  g_autoptr(GArray) problems = g_array_new (FALSE, FALSE, sizeof (Problem));
  Check check = { self, problems };

  g_array_set_clear_func (problems, problem_clear);

  load_schema ();
  scan_lines (&check, data, length, clean);

  /* The lines scan_lines() rejected are blanked out of clean: what is left
   * loads, and is checked too. */
  if (!g_key_file_load_from_data (self->key_file, clean->str, clean->len, G_KEY_FILE_NONE,
                                  &parse_error))
    check_fail (&check, 1, NULL, NULL, "%s", parse_error->message);
  else
    {
      /* Plugin directories first: the other groups' plugin keys need them. */
      if (g_hash_table_contains (self->lines, "dplaces"))
        {
          g_auto(GStrv) dirs = g_key_file_get_string_list (self->key_file, "dplaces",
                                                           "plugin-dirs", NULL, NULL);
          for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++)
            {
              g_autofree char *dir = dp_config_resolve_path (self, dirs[i]);
              dp_plugin_registry_add_directory (dp_plugin_registry_get_default (), dir);
            }
        }

      for (guint i = 0; i < self->groups->len; i++)
        check_group (&check, g_ptr_array_index (self->groups, i));
    }

  if (problems->len > 0)
    {
      g_autoptr(GString) errors = g_string_new (NULL);

      /* One line each, in the order of the file. */
      g_array_sort (problems, problem_compare);
      for (guint i = 0; i < problems->len; i++)
        g_string_append_printf (errors, "%s%s", i > 0 ? "\n" : "",
                                g_array_index (problems, Problem, i).text);
      g_set_error_literal (error, DP_ERROR, DP_ERROR_CONFIG, errors->str);
      return FALSE;
    }

  return TRUE;
}

/**
 * dp_config_new_from_data:
 * @data: keyfile text
 * @length: its length, or -1 if nul-terminated
 * @path: the file name to give in messages and to resolve relative paths
 *   against
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the checked config, or %NULL with @error set
 *   to a %DP_ERROR_CONFIG listing every problem as `FILE:LINE: …`
 */
DpConfig *
dp_config_new_from_data (const char  *data,
                         gssize       length,
                         const char  *path,
                         GError     **error)
{
  g_autoptr(DpConfig) self = NULL;
  g_autofree char *absolute = NULL;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (DP_TYPE_CONFIG, NULL);
  self->path = g_strdup (path);
  absolute = g_canonicalize_filename (path, NULL);
  self->directory = g_path_get_dirname (absolute);

  if (!dp_config_load (self, data, length < 0 ? strlen (data) : (gsize) length, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * dp_config_new_from_file:
 * @path: a keyfile
 * @error: return location for a #GError
 *
 * Reads and checks @path.
 *
 * Returns: (transfer full): the checked config, or %NULL with @error set
 */
DpConfig *
dp_config_new_from_file (const char  *path,
                         GError     **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "%s: %s", path, local_error->message);
      return NULL;
    }

  return dp_config_new_from_data (data, length, path, error);
}

const char *
dp_config_get_path (DpConfig *self)
{
  g_return_val_if_fail (DP_IS_CONFIG (self), NULL);
  return self->path;
}

/**
 * dp_config_get_key_file:
 * @self: a config
 *
 * Returns: (transfer none): the checked keyfile
 */
GKeyFile *
dp_config_get_key_file (DpConfig *self)
{
  g_return_val_if_fail (DP_IS_CONFIG (self), NULL);
  return self->key_file;
}

/**
 * dp_config_get_line:
 * @self: a config
 * @group: a group
 * @key: (nullable): a key of it, or %NULL for the group's own line
 *
 * Returns: the line @key (or @group) is on, or 0 if it is absent
 */
guint
dp_config_get_line (DpConfig   *self,
                    const char *group,
                    const char *key)
{
  GroupLines *lines;
  gpointer line;

  g_return_val_if_fail (DP_IS_CONFIG (self), 0);

  lines = g_hash_table_lookup (self->lines, group);
  if (lines == NULL)
    return 0;
  if (key == NULL)
    return lines->line;
  line = g_hash_table_lookup (lines->keys, key);
  return line != NULL ? GPOINTER_TO_UINT (line) : lines->line;
}

/**
 * dp_config_dup_group_names:
 * @self: a config
 * @kind: a group kind, such as `place`
 *
 * Returns: (transfer full): the full names of the groups of @kind (such as
 *   `place hello`), in file order
 */
GStrv
dp_config_dup_group_names (DpConfig   *self,
                           const char *kind)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *prefix = g_strconcat (kind, " ", NULL);

  g_return_val_if_fail (DP_IS_CONFIG (self), NULL);

  for (guint i = 0; i < self->groups->len; i++)
    {
      const char *group = g_ptr_array_index (self->groups, i);
      if (g_str_equal (group, kind) || g_str_has_prefix (group, prefix))
        g_strv_builder_add (builder, group);
    }

  return g_strv_builder_end (builder);
}

/**
 * dp_config_resolve_path:
 * @self: a config
 * @path: a path from the keyfile
 *
 * Returns: (transfer full): @path, relative to the keyfile's directory if
 *   it is not absolute
 */
char *
dp_config_resolve_path (DpConfig   *self,
                        const char *path)
{
  g_return_val_if_fail (DP_IS_CONFIG (self), NULL);
  return g_canonicalize_filename (path, self->directory);
}

/**
 * dp_config_apply_plugin_keys:
 * @self: a config
 * @group: a group with a plugin (such as a place's backend)
 * @object: the plugin instance
 * @error: return location for a #GError
 *
 * Sets every key of @group that is a writable property of @object.
 *
 * Returns: %TRUE on success
 */
gboolean
dp_config_apply_plugin_keys (DpConfig    *self,
                             const char  *group,
                             GObject     *object,
                             GError     **error)
{
  g_auto(GStrv) keys = NULL;

  g_return_val_if_fail (DP_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);

  keys = g_key_file_get_keys (self->key_file, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      GParamSpec *pspec = plugin_key_pspec (G_OBJECT_TYPE (object), keys[i]);
      GValue value = G_VALUE_INIT;
      g_autofree char *expected = NULL;

      if (pspec == NULL)
        continue;
      if (!value_from_key_file (self->key_file, group, keys[i], pspec, &value, &expected))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "%s:%u: [%s] %s: %s", self->path,
                       dp_config_get_line (self, group, keys[i]), group, keys[i], expected);
          g_value_unset (&value);
          return FALSE;
        }
      g_object_set_property (object, keys[i], &value);
      g_value_unset (&value);
    }

  return TRUE;
}

/**
 * dp_config_create_plugin:
 * @self: a config
 * @group: a group, such as `place worker`
 * @plugin_key: the key of @group that names a plugin, such as `restart` or
 *   `backend`
 * @error: return location for a #GError
 *
 * Makes the plugin @group names with @plugin_key (or the key's default),
 * its properties set from @group's keys at construction — so a key may set
 * a construct-only property too, such as a restarter's `seconds`.
 *
 * Returns: (transfer full) (nullable): the plugin instance; %NULL with
 *   @error unset if @group names no plugin with @plugin_key and the key
 *   has no default, or with @error set (placed in the keyfile)
 */
GObject *
dp_config_create_plugin (DpConfig    *self,
                         const char  *group,
                         const char  *plugin_key,
                         GError     **error)
{
  g_autofree char *kind = NULL;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GArray) values = NULL;
  SchemaGroup *schema;
  SchemaPlugin *plugin = NULL;
  const char *space;
  GType type;

  g_return_val_if_fail (DP_IS_CONFIG (self), NULL);
  g_return_val_if_fail (group != NULL && plugin_key != NULL, NULL);

  load_schema ();
  space = strchr (group, ' ');
  kind = space != NULL ? g_strndup (group, space - group) : g_strdup (group);
  schema = schema_lookup_group (kind);
  for (guint i = 0; schema != NULL && i < schema->plugins->len; i++)
    if (g_str_equal (((SchemaPlugin *) g_ptr_array_index (schema->plugins, i))->key, plugin_key))
      plugin = g_ptr_array_index (schema->plugins, i);
  if (plugin == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "%s: [%s] has no plugin key %s=",
                   self->path, group, plugin_key);
      return NULL;
    }

  type = group_plugin_type (self, schema, plugin, group, error);
  if (type == G_TYPE_INVALID)
    {
      dp_config_prefix_error (self, error, group, plugin_key);
      return NULL;
    }

  names = g_ptr_array_new ();
  values = g_array_new (FALSE, TRUE, sizeof (GValue));
  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  keys = g_key_file_get_keys (self->key_file, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      GParamSpec *pspec = plugin_key_pspec (type, keys[i]);
      g_autofree char *expected = NULL;
      GValue value = G_VALUE_INIT;

      /* The group's own keys are not the plugin's. */
      if (pspec == NULL || schema_lookup_key (schema, keys[i]) != NULL)
        continue;
      if (!value_from_key_file (self->key_file, group, keys[i], pspec, &value, &expected))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_CONFIG, "%s:%u: [%s] %s: %s", self->path,
                       dp_config_get_line (self, group, keys[i]), group, keys[i], expected);
          g_value_unset (&value);
          return NULL;
        }
      g_ptr_array_add (names, keys[i]);
      g_array_append_val (values, value);
    }

  return g_object_new_with_properties (type, names->len, (const char **) names->pdata,
                                       (const GValue *) values->data);
}

/**
 * dp_config_prefix_error:
 * @self: a config
 * @error: (inout) (optional) (nullable): an error to place in the keyfile
 * @group: the group it concerns
 * @key: (nullable): the key it concerns
 *
 * Prefixes @error's message with `FILE:LINE: [group] key: `.
 */
void
dp_config_prefix_error (DpConfig    *self,
                        GError     **error,
                        const char  *group,
                        const char  *key)
{
  g_return_if_fail (DP_IS_CONFIG (self));

  if (error == NULL || *error == NULL)
    return;

  if (key != NULL)
    g_prefix_error (error, "%s:%u: [%s] %s: ", self->path,
                    dp_config_get_line (self, group, key), group, key);
  else
    g_prefix_error (error, "%s:%u: [%s]: ", self->path, dp_config_get_line (self, group, NULL), group);
}

/**
 * dp_config_dup_service_groups:
 * @self: a config
 *
 * Returns: (transfer full): the groups that start a service plugin, named
 *   after it (such as `rmpi`), in file order
 */
GStrv
dp_config_dup_service_groups (DpConfig *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (DP_IS_CONFIG (self), NULL);

  for (guint i = 0; i < self->service_groups->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->service_groups, i));
  return g_strv_builder_end (builder);
}
