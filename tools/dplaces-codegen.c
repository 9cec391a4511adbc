/* dplaces-codegen.c: RPC client stubs and server skeletons from
 * schemas/NAME.rpc.json interface files — what Racket's
 * define-remote-server macro expands to, written out as C
 *
 *   dplaces-codegen [--header FILE] [--client FILE] [--server FILE]
 *                   [--output-dir DIR] [--check] INTERFACE.rpc.json
 *
 * For an interface `tuple-server` with `(define-rpc (set k v))` it writes
 *
 *   tuple-server-rpc.h         the declarations of both halves, and the
 *                              state struct (one field per define-state)
 *   tuple-server-rpc-client.c  tuple_server_set (dest, k, v, &error): the
 *                              typed client stub (define-rpc, client side)
 *   tuple-server-rpc-server.c  make_tuple_server (channel): the place
 *                              function, a DpRpcServer whose dispatch
 *                              unpacks each request and calls
 *                              tuple_server_handle_set (state, k, v,
 *                              &error), which you write
 *
 * The output depends on the interface file alone (not on its path, the
 * time or the machine), so running it twice gives the same bytes. The
 * interface format is described in plugins/rpc/README.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define CODEGEN_ERROR (codegen_error_quark ())
static G_DEFINE_QUARK (dplaces-codegen-error-quark, codegen_error)

#define INTERFACE_VERSION 1

/* ── the interface ─────────────────────────────────────────────────── */

typedef enum {
  KIND_SCALAR,   /* b y n q i u x t d: a C number */
  KIND_STRING,   /* s: const char * in, char * out */
  KIND_STRV,     /* as: const char * const * in, char ** out */
  KIND_HANDLE,   /* h: a DpChannel * */
  KIND_VARIANT,  /* v: any value, boxed on the wire */
  KIND_OTHER,    /* anything else: a GVariant * of that type */
} Kind;

typedef struct {
  char sig;
  const char *ctype;
  const char *suffix;   /* g_variant_new_SUFFIX, g_variant_get_SUFFIX */
  const char *zero;
} Scalar;

static const Scalar scalars[] = {
  { 'b', "gboolean", "boolean", "FALSE" },
  { 'y', "guint8", "byte", "0" },
  { 'n', "gint16", "int16", "0" },
  { 'q', "guint16", "uint16", "0" },
  { 'i', "gint32", "int32", "0" },
  { 'u', "guint32", "uint32", "0" },
  { 'x', "gint64", "int64", "0" },
  { 't', "guint64", "uint64", "0" },
  { 'd', "gdouble", "double", "0.0" },
};

typedef struct {
  char *name;     /* as written */
  char *c_name;   /* - becomes _ */
  char *type;     /* a GVariant type string */
  char *doc;
} Arg;

typedef struct {
  char *name;     /* the method's name on the wire, such as new-account */
  char *c_name;   /* new_account */
  gboolean cast;
  GPtrArray *args;  /* Arg* */
  char *returns;  /* NULL: nothing */
  char *doc;
} Method;

typedef struct {
  char *name;
  char *type;
  char *value;
  char *free_func;
  char *doc;
} StateField;

typedef struct {
  char *file;          /* the interface file's base name */
  char *name;          /* tuple-server */
  char *prefix;        /* tuple_server */
  char *type_prefix;   /* TupleServer */
  char *macro_prefix;  /* TUPLE_SERVER */
  gboolean named;
  char *module;        /* NULL if not given */
  char *doc;
  GPtrArray *state;    /* StateField* */
  GPtrArray *methods;  /* Method* */
} Interface;

static void
arg_free (gpointer data)
{
  Arg *arg = data;

  g_free (arg->name);
  g_free (arg->c_name);
  g_free (arg->type);
  g_free (arg->doc);
  g_free (arg);
}

static void
method_free (gpointer data)
{
  Method *method = data;

  g_free (method->name);
  g_free (method->c_name);
  g_ptr_array_unref (method->args);
  g_free (method->returns);
  g_free (method->doc);
  g_free (method);
}

static void
state_field_free (gpointer data)
{
  StateField *field = data;

  g_free (field->name);
  g_free (field->type);
  g_free (field->value);
  g_free (field->free_func);
  g_free (field->doc);
  g_free (field);
}

static void
interface_free (Interface *iface)
{
  g_free (iface->file);
  g_free (iface->name);
  g_free (iface->prefix);
  g_free (iface->type_prefix);
  g_free (iface->macro_prefix);
  g_free (iface->module);
  g_free (iface->doc);
  g_ptr_array_unref (iface->state);
  g_ptr_array_unref (iface->methods);
  g_free (iface);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Interface, interface_free)

static const Scalar *
scalar_of (const char *type)
{
  if (type[0] == '\0' || type[1] != '\0')
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (scalars); i++)
    if (scalars[i].sig == type[0])
      return &scalars[i];
  return NULL;
}

static Kind
kind_of (const char *type)
{
  if (scalar_of (type) != NULL)
    return KIND_SCALAR;
  if (g_str_equal (type, "s"))
    return KIND_STRING;
  if (g_str_equal (type, "as"))
    return KIND_STRV;
  if (g_str_equal (type, "h"))
    return KIND_HANDLE;
  if (g_str_equal (type, "v"))
    return KIND_VARIANT;
  return KIND_OTHER;
}

/* The C type of an argument, in a stub's parameters and a handler's. */
static const char *
in_ctype (const char *type)
{
  switch (kind_of (type))
    {
    case KIND_SCALAR:
      return scalar_of (type)->ctype;
    case KIND_STRING:
      return "const char *";
    case KIND_STRV:
      return "const char * const *";
    case KIND_HANDLE:
      return "DpChannel *";
    case KIND_VARIANT:
    case KIND_OTHER:
    default:
      return "GVariant *";
    }
}

/* The C type of a result, as a stub returns it and a handler does. */
static const char *
out_ctype (const char *type)
{
  if (type == NULL)
    return "gboolean";
  switch (kind_of (type))
    {
    case KIND_SCALAR:
      return scalar_of (type)->ctype;
    case KIND_STRING:
      return "char *";
    case KIND_STRV:
      return "char **";
    case KIND_HANDLE:
      return "DpChannel *";
    case KIND_VARIANT:
    case KIND_OTHER:
    default:
      return "GVariant *";
    }
}

/* What a stub returns when the call failed. */
static const char *
failure_value (const char *type)
{
  if (type == NULL)
    return "FALSE";
  if (kind_of (type) == KIND_SCALAR)
    return scalar_of (type)->zero;
  return "NULL";
}

static char *
args_type (Method *method)
{
  GString *type = g_string_new ("(");

  for (guint i = 0; i < method->args->len; i++)
    g_string_append (type, ((Arg *) g_ptr_array_index (method->args, i))->type);
  g_string_append_c (type, ')');
  return g_string_free (type, FALSE);
}

/* ── reading and checking the interface file ───────────────────────── */

static const char * const reserved_names[] = {
  /* the generated code's own parameters and locals */
  "dest", "error", "state", "server", "args", "reply", "result", "user_data", "channel",
  /* C */
  "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
  "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
  "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
  "union", "unsigned", "void", "volatile", "while", "_Bool", "_Complex", "_Imaginary",
  NULL
};

/* A name as Racket writes identifiers: letters, digits, - and _, starting
 * with a letter. */
static gboolean
is_name (const char *name)
{
  if (!g_ascii_isalpha (name[0]))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static char *
c_identifier (const char *name)
{
  char *id = g_strdup (name);

  g_strdelimit (id, "-", '_');
  return id;
}

static char *
type_prefix_of (const char *name)
{
  GString *out = g_string_new (NULL);
  gboolean upper = TRUE;

  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '-' || *p == '_')
        {
          upper = TRUE;
          continue;
        }
      g_string_append_c (out, upper ? g_ascii_toupper (*p) : *p);
      upper = FALSE;
    }
  return g_string_free (out, FALSE);
}

static char *
macro_prefix_of (const char *name)
{
  char *macro = c_identifier (name);

  for (char *p = macro; *p != '\0'; p++)
    *p = g_ascii_toupper (*p);
  return macro;
}

static gboolean
is_single_definite_type (const char *type)
{
  const char *end = NULL;

  return type[0] != '\0' && g_variant_type_string_scan (type, NULL, &end) && *end == '\0' &&
         g_variant_type_is_definite (G_VARIANT_TYPE (type));
}

typedef struct {
  const char *file;
  GError **error;
} Reader;

static gboolean reader_fail (Reader     *reader,
                             const char *where,
                             const char *format,
                             ...) G_GNUC_PRINTF (3, 4);

static gboolean
reader_fail (Reader     *reader,
             const char *where,
             const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (reader->error, CODEGEN_ERROR, 1, "%s: %s: %s", reader->file, where, message);
  return FALSE;
}

/* Checks that @object has only @allowed members. */
static gboolean
check_members (Reader             *reader,
               JsonObject         *object,
               const char         *where,
               const char * const *allowed)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_autofree char *known = g_strjoinv (", ", (char **) allowed);
        return reader_fail (reader, where, "unknown member “%s”; expected %s",
                            (const char *) l->data, known);
      }
  return TRUE;
}

/* A string member: required or not; *out NULL when absent. */
static gboolean
get_string (Reader      *reader,
            JsonObject  *object,
            const char  *where,
            const char  *member,
            gboolean     required,
            char       **out)
{
  JsonNode *node = json_object_get_member (object, member);

  *out = NULL;
  if (node == NULL)
    return !required || reader_fail (reader, where, "“%s” is missing", member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return reader_fail (reader, where, "“%s” must be a string", member);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_arg (Reader    *reader,
          JsonNode  *node,
          const char *where,
          Arg      **out)
{
  static const char * const allowed[] = { "name", "type", "doc", NULL };
  JsonObject *object;
  Arg *arg;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return reader_fail (reader, where, "an argument must be an object {\"name\": …, \"type\": …}");
  object = json_node_get_object (node);
  if (!check_members (reader, object, where, allowed))
    return FALSE;

  arg = g_new0 (Arg, 1);
  *out = arg;
  if (!get_string (reader, object, where, "name", TRUE, &arg->name) ||
      !get_string (reader, object, where, "type", TRUE, &arg->type) ||
      !get_string (reader, object, where, "doc", FALSE, &arg->doc))
    return FALSE;

  if (!is_name (arg->name))
    return reader_fail (reader, where, "“%s” is not a name (letters, digits, - and _, "
                        "starting with a letter)", arg->name);
  arg->c_name = c_identifier (arg->name);
  if (g_strv_contains (reserved_names, arg->c_name))
    return reader_fail (reader, where, "“%s” is reserved by the generated code; rename the argument",
                        arg->name);
  if (!is_single_definite_type (arg->type))
    return reader_fail (reader, where, "“%s” is not a definite GVariant type, such as s, x, v or a{sv}",
                        arg->type);
  return TRUE;
}

static gboolean
read_method (Reader     *reader,
             JsonNode   *node,
             const char *where,
             Method    **out)
{
  static const char * const allowed[] = { "name", "kind", "args", "returns", "doc", NULL };
  g_autofree char *kind = NULL;
  JsonObject *object;
  JsonNode *args;
  Method *method;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return reader_fail (reader, where, "a method must be an object");
  object = json_node_get_object (node);
  if (!check_members (reader, object, where, allowed))
    return FALSE;

  method = g_new0 (Method, 1);
  method->args = g_ptr_array_new_with_free_func (arg_free);
  *out = method;
  if (!get_string (reader, object, where, "name", TRUE, &method->name) ||
      !get_string (reader, object, where, "kind", TRUE, &kind) ||
      !get_string (reader, object, where, "returns", FALSE, &method->returns) ||
      !get_string (reader, object, where, "doc", FALSE, &method->doc))
    return FALSE;

  if (!is_name (method->name))
    return reader_fail (reader, where, "“%s” is not a name (letters, digits, - and _, "
                        "starting with a letter)", method->name);
  method->c_name = c_identifier (method->name);

  if (g_str_equal (kind, "cast"))
    method->cast = TRUE;
  else if (!g_str_equal (kind, "rpc"))
    return reader_fail (reader, where, "kind “%s”: expected rpc (define-rpc) or cast (define-cast)",
                        kind);

  if (method->returns != NULL && method->cast)
    return reader_fail (reader, where, "a cast returns nothing: remove “returns”");
  if (method->returns != NULL && !is_single_definite_type (method->returns))
    return reader_fail (reader, where, "returns: “%s” is not a definite GVariant type",
                        method->returns);

  args = json_object_get_member (object, "args");
  if (args != NULL)
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (args))
        return reader_fail (reader, where, "“args” must be an array");
      array = json_node_get_array (args);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *arg_where = g_strdup_printf ("%s.args[%u]", where, i);
          Arg *arg = NULL;
          gboolean ok = read_arg (reader, json_array_get_element (array, i), arg_where, &arg);

          if (arg != NULL)
            g_ptr_array_add (method->args, arg);
          if (!ok)
            return FALSE;
          for (guint j = 0; j + 1 < method->args->len; j++)
            if (g_str_equal (((Arg *) g_ptr_array_index (method->args, j))->c_name, arg->c_name))
              return reader_fail (reader, arg_where, "a second argument named “%s”", arg->name);
        }
    }
  return TRUE;
}

static gboolean
read_state_field (Reader      *reader,
                  JsonNode    *node,
                  const char  *where,
                  StateField **out)
{
  static const char * const allowed[] = { "name", "type", "value", "free", "doc", NULL };
  JsonObject *object;
  StateField *field;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return reader_fail (reader, where, "a define-state must be an object {\"name\", \"type\", \"value\"}");
  object = json_node_get_object (node);
  if (!check_members (reader, object, where, allowed))
    return FALSE;

  field = g_new0 (StateField, 1);
  *out = field;
  if (!get_string (reader, object, where, "name", TRUE, &field->name) ||
      !get_string (reader, object, where, "type", TRUE, &field->type) ||
      !get_string (reader, object, where, "value", FALSE, &field->value) ||
      !get_string (reader, object, where, "free", FALSE, &field->free_func) ||
      !get_string (reader, object, where, "doc", FALSE, &field->doc))
    return FALSE;

  if (!g_ascii_isalpha (field->name[0]) && field->name[0] != '_')
    return reader_fail (reader, where, "“%s” is not a C identifier", field->name);
  for (const char *p = field->name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return reader_fail (reader, where, "“%s” is not a C identifier", field->name);
  if (field->type[0] == '\0' || strpbrk (field->type, ";{}\n") != NULL)
    return reader_fail (reader, where, "type: “%s” is not a C type", field->type);
  if (field->value != NULL && strpbrk (field->value, ";\n") != NULL)
    return reader_fail (reader, where, "value: one C expression, without ; or newlines");
  if (field->free_func != NULL && !is_name (field->free_func))
    return reader_fail (reader, where, "free: “%s” is not the name of a function", field->free_func);
  return TRUE;
}

static Interface *
read_interface (const char  *path,
                GError     **error)
{
  static const char * const allowed[] = {
    "rpc-interface", "name", "named", "module", "doc", "state", "methods", NULL
  };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Interface) iface = g_new0 (Interface, 1);
  g_autoptr(GError) local_error = NULL;
  Reader reader = { path, error };
  JsonObject *root;
  JsonNode *node;

  iface->file = g_path_get_basename (path);
  iface->state = g_ptr_array_new_with_free_func (state_field_free);
  iface->methods = g_ptr_array_new_with_free_func (method_free);

  if (!json_parser_load_from_file (parser, path, &local_error))
    {
      /* json-glib's message names the file and the line. */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      reader_fail (&reader, "top level", "an interface is a JSON object");
      return NULL;
    }
  root = json_node_get_object (node);
  if (!check_members (&reader, root, "top level", allowed))
    return NULL;

  node = json_object_get_member (root, "rpc-interface");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) != INTERFACE_VERSION)
    {
      reader_fail (&reader, "rpc-interface", "expected \"rpc-interface\": %d, the format's version",
                   INTERFACE_VERSION);
      return NULL;
    }

  if (!get_string (&reader, root, "top level", "name", TRUE, &iface->name) ||
      !get_string (&reader, root, "top level", "module", FALSE, &iface->module) ||
      !get_string (&reader, root, "top level", "doc", FALSE, &iface->doc))
    return NULL;
  if (!is_name (iface->name))
    {
      reader_fail (&reader, "name", "“%s” is not a name (letters, digits, - and _, "
                   "starting with a letter)", iface->name);
      return NULL;
    }
  iface->prefix = c_identifier (iface->name);
  iface->type_prefix = type_prefix_of (iface->name);
  iface->macro_prefix = macro_prefix_of (iface->name);

  node = json_object_get_member (root, "named");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          reader_fail (&reader, "named", "expected true (define-named-remote-server) or false "
                       "(define-remote-server)");
          return NULL;
        }
      iface->named = json_node_get_boolean (node);
    }

  node = json_object_get_member (root, "state");
  if (node != NULL)
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          reader_fail (&reader, "state", "expected an array of define-states");
          return NULL;
        }
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *where = g_strdup_printf ("state[%u]", i);
          StateField *field = NULL;
          gboolean ok = read_state_field (&reader, json_array_get_element (array, i), where, &field);

          if (field != NULL)
            g_ptr_array_add (iface->state, field);
          if (!ok)
            return NULL;
          for (guint j = 0; j + 1 < iface->state->len; j++)
            if (g_str_equal (((StateField *) g_ptr_array_index (iface->state, j))->name, field->name))
              {
                reader_fail (&reader, where, "a second define-state named “%s”", field->name);
                return NULL;
              }
        }
    }

  node = json_object_get_member (root, "methods");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (json_node_get_array (node)) == 0)
    {
      reader_fail (&reader, "methods", "expected an array of at least one define-rpc or define-cast");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      g_autofree char *where = g_strdup_printf ("methods[%u]", i);
      Method *method = NULL;
      gboolean ok = read_method (&reader, json_array_get_element (json_node_get_array (node), i),
                                 where, &method);

      if (method != NULL)
        g_ptr_array_add (iface->methods, method);
      if (!ok)
        return NULL;
      for (guint j = 0; j + 1 < iface->methods->len; j++)
        if (g_str_equal (((Method *) g_ptr_array_index (iface->methods, j))->c_name, method->c_name))
          {
            reader_fail (&reader, where, "a second method named “%s”", method->name);
            return NULL;
          }
    }

  return g_steal_pointer (&iface);
}

/* ── writing C ─────────────────────────────────────────────────────── */

typedef struct {
  char *type;   /* without trailing stars */
  guint stars;
  char *name;
} Param;

static void
param_clear (gpointer data)
{
  Param *param = data;

  g_free (param->type);
  g_free (param->name);
}

static void
params_add (GArray     *params,
            const char *ctype,
            const char *name)
{
  Param param;
  gsize length = strlen (ctype);

  param.stars = 0;
  while (length > 0 && (ctype[length - 1] == '*' || ctype[length - 1] == ' '))
    {
      if (ctype[length - 1] == '*')
        param.stars++;
      length--;
    }
  param.type = g_strndup (ctype, length);
  param.name = g_strdup (name);
  g_array_append_val (params, param);
}

static GArray *
params_new (void)
{
  GArray *params = g_array_new (FALSE, FALSE, sizeof (Param));

  g_array_set_clear_func (params, param_clear);
  return params;
}

/* (DpRemoteNode *node, GError **error): the parameters of the generated
 * supervise_at and connect functions, declared and defined alike. */
static GArray *
node_params_new (void)
{
  GArray *params = params_new ();

  params_add (params, "DpRemoteNode *", "node");
  params_add (params, "GError **", "error");
  return params;
}

/* The parameter list in the GNU style of this project: types in one
 * column, names in the next, stars against the names. @indent is the
 * column after the opening parenthesis. */
static void
write_params (GString    *out,
              GArray     *params,
              guint       indent,
              const char *end)
{
  guint width = 0, stars = 0;

  if (params->len == 0)
    {
      g_string_append_printf (out, "(void)%s", end);
      return;
    }
  for (guint i = 0; i < params->len; i++)
    {
      Param *param = &g_array_index (params, Param, i);

      width = MAX (width, strlen (param->type));
      stars = MAX (stars, param->stars);
    }

  g_string_append_c (out, '(');
  for (guint i = 0; i < params->len; i++)
    {
      Param *param = &g_array_index (params, Param, i);

      if (i > 0)
        g_string_append_printf (out, ",\n%*s", indent, "");
      g_string_append (out, param->type);
      g_string_append_printf (out, "%*s", (int) (width - strlen (param->type) + 1 + stars - param->stars), "");
      for (guint s = 0; s < param->stars; s++)
        g_string_append_c (out, '*');
      g_string_append (out, param->name);
    }
  g_string_append_printf (out, ")%s", end);
}

/* A return type followed by the name, as a declaration begins:
 * "GVariant *", "gint64 ". */
static char *
decl_prefix (const char *ctype)
{
  gsize length = strlen (ctype);

  if (length > 0 && ctype[length - 1] == '*')
    return g_strdup (ctype);
  return g_strconcat (ctype, " ", NULL);
}

/* A definition's first lines: the return type alone, then name and
 * parameters. */
static void
write_definition_head (GString    *out,
                       const char *qualifiers,
                       const char *ctype,
                       const char *name,
                       GArray     *params)
{
  g_autofree char *type = g_strdup (ctype);

  g_strchomp (type);
  g_string_append_printf (out, "%s%s\n%s ", qualifiers, type, name);
  write_params (out, params, strlen (name) + 2, "\n");
}

static void
write_declaration (GString    *out,
                   const char *qualifiers,
                   const char *ctype,
                   const char *name,
                   GArray     *params)
{
  g_autofree char *prefix = decl_prefix (ctype);
  g_autofree char *head = g_strdup_printf ("%s%s%s ", qualifiers, prefix, name);

  g_string_append (out, head);
  write_params (out, params, g_utf8_strlen (head, -1) + 1, ";\n");
}

static char *
stub_name (Interface *iface,
           Method    *method)
{
  return g_strdup_printf ("%s_%s", iface->prefix, method->c_name);
}

static char *
handler_name (Interface *iface,
              Method    *method)
{
  return g_strdup_printf ("%s_handle_%s", iface->prefix, method->c_name);
}

static GArray *
stub_params (Method *method)
{
  GArray *params = params_new ();

  params_add (params, "DpChannel *", "dest");
  for (guint i = 0; i < method->args->len; i++)
    {
      Arg *arg = g_ptr_array_index (method->args, i);
      params_add (params, in_ctype (arg->type), arg->c_name);
    }
  params_add (params, "GError **", "error");
  return params;
}

static GArray *
handler_params (Interface *iface,
                Method    *method)
{
  GArray *params = params_new ();
  g_autofree char *state_type = g_strdup_printf ("%sState *", iface->type_prefix);

  if (iface->state->len > 0)
    params_add (params, state_type, "state");
  for (guint i = 0; i < method->args->len; i++)
    {
      Arg *arg = g_ptr_array_index (method->args, i);
      params_add (params, in_ctype (arg->type), arg->c_name);
    }
  if (!method->cast)
    params_add (params, "GError **", "error");
  return params;
}

static const char *
handler_ctype (Method *method)
{
  return method->cast ? "void" : out_ctype (method->returns);
}

static void
write_banner (GString    *out,
              Interface  *iface,
              const char *file,
              const char *what)
{
  g_string_append_printf (out,
                          "/* %s: %s\n"
                          " *\n"
                          " * Generated by dplaces-codegen from %s.\n"
                          " * Do not edit: edit the interface and build again.\n"
                          " */\n",
                          file, what, iface->file);
}

/* A C string literal of @text. */
static char *
c_string (const char *text)
{
  GString *out = g_string_new ("\"");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

/* Text for a comment: no comment terminators, one line per paragraph is
 * wrapped at about 72 columns with @lead in front of each line. */
static void
write_comment_text (GString    *out,
                    const char *lead,
                    const char *text)
{
  g_auto(GStrv) words = NULL;
  g_autofree char *clean = g_strdup (text);
  guint column = 0;
  gboolean first = TRUE;

  for (char *p = clean; *p != '\0'; p++)
    if (p[0] == '*' && p[1] == '/')
      p[1] = ' ';
  g_strdelimit (clean, "\n\t", ' ');
  words = g_strsplit (clean, " ", -1);

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0')
        continue;
      if (first || column + 1 + strlen (words[i]) > 72)
        {
          if (!first)
            g_string_append_c (out, '\n');
          g_string_append (out, lead);
          column = strlen (lead);
          first = FALSE;
        }
      else
        {
          g_string_append_c (out, ' ');
          column++;
        }
      g_string_append (out, words[i]);
      column += strlen (words[i]);
    }
  if (!first)
    g_string_append_c (out, '\n');
}

static const char *
type_words (const char *type)
{
  switch (kind_of (type))
    {
    case KIND_STRING:
      return "a string";
    case KIND_STRV:
      return "an array of strings";
    case KIND_HANDLE:
      return "a channel";
    case KIND_VARIANT:
      return "any value";
    case KIND_SCALAR:
    case KIND_OTHER:
    default:
      return NULL;
    }
}

static void
write_arg_docs (GString *out,
                Method  *method)
{
  for (guint i = 0; i < method->args->len; i++)
    {
      Arg *arg = g_ptr_array_index (method->args, i);
      g_autofree char *line = NULL;
      const char *words = type_words (arg->type);

      if (arg->doc != NULL)
        line = g_strdup_printf ("@%s: %s", arg->c_name, arg->doc);
      else if (words != NULL)
        line = g_strdup_printf ("@%s: `%s`, %s", arg->c_name, arg->name, words);
      else
        line = g_strdup_printf ("@%s: `%s`, of type `%s`", arg->c_name, arg->name, arg->type);
      if (kind_of (arg->type) == KIND_VARIANT || kind_of (arg->type) == KIND_OTHER)
        {
          g_autofree char *more = g_strconcat (line, " (a floating reference is consumed)", NULL);
          write_comment_text (out, " * ", more);
        }
      else
        write_comment_text (out, " * ", line);
    }
}

/* ── the header ────────────────────────────────────────────────────── */

static char *
generate_header (Interface  *iface,
                 const char *header_file)
{
  GString *out = g_string_new (NULL);
  g_autofree char *name_literal = c_string (iface->name);

  write_banner (out, iface, header_file,
                iface->named ? "a named RPC server (define-named-remote-server)"
                             : "an RPC server (define-remote-server)");
  g_string_append (out, "#pragma once\n\n#include <dplaces/dp-rpc.h>\n\nG_BEGIN_DECLS\n\n");

  if (iface->doc != NULL)
    {
      g_string_append (out, "/*\n");
      write_comment_text (out, " * ", iface->doc);
      g_string_append (out, " */\n\n");
    }

  g_string_append_printf (out, "/* The server's name%s. */\n#define %s_NAME %s\n",
                          iface->named ? ", and the place name it is started under" : "",
                          iface->macro_prefix, name_literal);
  if (iface->module != NULL)
    {
      g_autofree char *module_literal = c_string (iface->module);
      g_string_append_printf (out, "/* The module exporting make_%s. */\n#define %s_MODULE %s\n",
                              iface->prefix, iface->macro_prefix, module_literal);
    }
  g_string_append_printf (out, "/* Its place function. */\n#define %s_FUNCTION \"make_%s\"\n\n",
                          iface->macro_prefix, iface->prefix);

  /* The client. */
  g_string_append_printf (out, "/* The client stubs (%s-rpc-client.c). */\n\n", iface->name);
  for (guint i = 0; i < iface->methods->len; i++)
    {
      Method *method = g_ptr_array_index (iface->methods, i);
      g_autofree char *name = stub_name (iface, method);
      g_autoptr(GArray) params = stub_params (method);

      write_declaration (out, "", method->cast ? "gboolean" : out_ctype (method->returns), name, params);
    }
  if (iface->module != NULL)
    {
      g_autoptr(GArray) params = node_params_new ();
      g_autofree char *name = g_strdup_printf ("%s_supervise_at", iface->prefix);

      write_declaration (out, "", "DpRemoteConnection *", name, params);
    }
  if (iface->named)
    {
      g_autoptr(GArray) params = node_params_new ();
      g_autofree char *name = g_strdup_printf ("%s_connect", iface->prefix);

      write_declaration (out, "", "DpRemoteConnection *", name, params);
    }

  /* The server. */
  g_string_append_printf (out, "\n/* The server (%s-rpc-server.c). */\n\n", iface->name);
  if (iface->state->len > 0)
    {
      guint width = 0;

      g_string_append_printf (out, "/* Its define-states, shared by the handlers. */\n"
                              "typedef struct _%sState %sState;\n\nstruct _%sState\n{\n",
                              iface->type_prefix, iface->type_prefix, iface->type_prefix);
      for (guint i = 0; i < iface->state->len; i++)
        {
          StateField *field = g_ptr_array_index (iface->state, i);
          g_autoptr(GArray) one = params_new ();

          params_add (one, field->type, field->name);
          width = MAX (width, strlen (g_array_index (one, Param, 0).type));
        }
      for (guint i = 0; i < iface->state->len; i++)
        {
          StateField *field = g_ptr_array_index (iface->state, i);
          g_autoptr(GArray) one = params_new ();
          Param *param;

          params_add (one, field->type, field->name);
          param = &g_array_index (one, Param, 0);
          if (field->doc != NULL)
            {
              g_string_append (out, "  /*");
              write_comment_text (out, " ", field->doc);
              g_string_truncate (out, out->len - 1);
              g_string_append (out, " */\n");
            }
          g_string_append_printf (out, "  %s%*s", param->type,
                                  (int) (width - strlen (param->type) + 1), "");
          for (guint s = 0; s < param->stars; s++)
            g_string_append_c (out, '*');
          g_string_append_printf (out, "%s;\n", param->name);
        }
      g_string_append (out, "};\n\n");
    }

  g_string_append (out, "/* The handlers: you write these, one per define-rpc and define-cast. */\n");
  for (guint i = 0; i < iface->methods->len; i++)
    {
      Method *method = g_ptr_array_index (iface->methods, i);
      g_autofree char *name = handler_name (iface, method);
      g_autoptr(GArray) params = handler_params (iface, method);

      write_declaration (out, "", handler_ctype (method), name, params);
    }

  g_string_append (out, "\n/* Generated. */\n");
  {
    g_autoptr(GArray) params = params_new ();
    g_autoptr(GArray) place_params = params_new ();
    g_autofree char *name = g_strdup_printf ("%s_skeleton_new", iface->prefix);
    g_autofree char *make = g_strdup_printf ("make_%s", iface->prefix);

    write_declaration (out, "", "DpRpcServer *", name, params);
    params_add (place_params, "DpChannel *", "channel");
    write_declaration (out, "G_MODULE_EXPORT ", "void", make, place_params);
  }

  g_string_append (out, "\nG_END_DECLS\n");
  return g_string_free (out, FALSE);
}

/* ── the client ────────────────────────────────────────────────────── */

/* The expression packing argument @arg into a GVariant. */
static char *
pack_arg (Arg *arg)
{
  switch (kind_of (arg->type))
    {
    case KIND_SCALAR:
      return g_strdup_printf ("g_variant_new_%s (%s)", scalar_of (arg->type)->suffix, arg->c_name);
    case KIND_STRING:
      return g_strdup_printf ("g_variant_new_string (%s)", arg->c_name);
    case KIND_STRV:
      return g_strdup_printf ("g_variant_new_strv (%s, -1)", arg->c_name);
    case KIND_HANDLE:
      return g_strdup_printf ("dp_channel_to_variant (%s)", arg->c_name);
    case KIND_VARIANT:
      return g_strdup_printf ("g_variant_new_variant (%s)", arg->c_name);
    case KIND_OTHER:
    default:
      return g_strdup (arg->c_name);
    }
}

static void
write_client_stub (GString   *out,
                   Interface *iface,
                   Method    *method)
{
  g_autofree char *name = stub_name (iface, method);
  g_autofree char *method_literal = c_string (method->name);
  g_autoptr(GArray) params = stub_params (method);
  const char *ctype = method->cast ? "gboolean" : out_ctype (method->returns);
  const char *failure = method->cast ? "FALSE" : failure_value (method->returns);
  g_autofree char *racket = g_strdup_printf ("%s-%s", iface->name, method->name);
  g_autofree char *summary = NULL;
  g_autofree char *args_expr = NULL;

  /* The documentation. */
  g_string_append_printf (out, "/**\n * %s:\n", name);
  g_string_append (out, " * @dest: the server: its place or remote connection, or a connection to it\n");
  write_arg_docs (out, method);
  g_string_append (out, " * @error: return location for a #GError\n *\n");
  if (method->cast)
    summary = g_strdup_printf ("Casts `%s` to the %s server without waiting: the client side of "
                               "define-cast, Racket's `%s`.", method->name, iface->name, racket);
  else
    summary = g_strdup_printf ("Calls `%s` of the %s server and waits for its result: the client side "
                               "of define-rpc, Racket's `%s`. The call's timeout is the channel's "
                               "(dp_rpc_channel_set_timeout()).", method->name, iface->name, racket);
  write_comment_text (out, " * ", summary);
  if (method->doc != NULL)
    {
      g_string_append (out, " *\n");
      write_comment_text (out, " * ", method->doc);
    }
  g_string_append (out, " *\n");
  if (method->cast)
    write_comment_text (out, " * ", "Returns: %TRUE if sent, %FALSE with @error set if the server is gone");
  else if (method->returns == NULL)
    write_comment_text (out, " * ", "Returns: %TRUE once the server ran it, %FALSE with @error set");
  else
    {
      g_autofree char *line = NULL;

      switch (kind_of (method->returns))
        {
        case KIND_SCALAR:
          line = g_strdup_printf ("Returns: the result; %s with @error set if the call failed", failure);
          break;
        case KIND_STRING:
        case KIND_STRV:
          line = g_strdup ("Returns: (transfer full): the result, or %NULL with @error set");
          break;
        case KIND_HANDLE:
          line = g_strdup ("Returns: (transfer full): the channel the server answered, or %NULL "
                           "with @error set");
          break;
        case KIND_VARIANT:
          line = g_strdup ("Returns: (transfer full): the value the server answered, or %NULL "
                           "with @error set");
          break;
        case KIND_OTHER:
        default:
          line = g_strdup_printf ("Returns: (transfer full): the result, of type `%s`, or %%NULL "
                                  "with @error set", method->returns);
          break;
        }
      write_comment_text (out, " * ", line);
    }
  g_string_append (out, " */\n");

  /* The function. */
  write_definition_head (out, "", ctype, name, params);
  g_string_append (out, "{\n");
  if (method->args->len > 0)
    g_string_append_printf (out, "  GVariant *args[%u];\n", method->args->len);
  if (!method->cast)
    g_string_append (out, "  g_autoptr(GVariant) reply = NULL;\n");
  if (method->args->len > 0 || !method->cast)
    g_string_append (out, "\n");

  g_string_append_printf (out, "  g_return_val_if_fail (DP_IS_CHANNEL (dest), %s);\n", failure);
  for (guint i = 0; i < method->args->len; i++)
    {
      Arg *arg = g_ptr_array_index (method->args, i);

      switch (kind_of (arg->type))
        {
        case KIND_SCALAR:
          break;
        case KIND_HANDLE:
          g_string_append_printf (out, "  g_return_val_if_fail (DP_IS_CHANNEL (%s), %s);\n",
                                  arg->c_name, failure);
          break;
        case KIND_OTHER:
          g_string_append_printf (out, "  g_return_val_if_fail (%s != NULL && g_variant_is_of_type "
                                  "(%s, G_VARIANT_TYPE (\"%s\")), %s);\n",
                                  arg->c_name, arg->c_name, arg->type, failure);
          break;
        case KIND_STRING:
        case KIND_STRV:
        case KIND_VARIANT:
        default:
          g_string_append_printf (out, "  g_return_val_if_fail (%s != NULL, %s);\n", arg->c_name, failure);
          break;
        }
    }
  g_string_append_printf (out, "  g_return_val_if_fail (error == NULL || *error == NULL, %s);\n\n", failure);

  for (guint i = 0; i < method->args->len; i++)
    {
      g_autofree char *pack = pack_arg (g_ptr_array_index (method->args, i));
      g_string_append_printf (out, "  args[%u] = %s;\n", i, pack);
    }
  args_expr = method->args->len > 0 ? g_strdup_printf ("g_variant_new_tuple (args, %u)", method->args->len)
                                    : g_strdup ("NULL");

  if (method->cast)
    {
      g_string_append_printf (out, "  return dp_rpc_cast (dest, %s, %s, error);\n}\n\n",
                              method_literal, args_expr);
      return;
    }

  {
    g_autofree char *head = g_strdup_printf ("  reply = dp_rpc_call (dest, %s, %s,", method_literal, args_expr);
    g_autofree char *tail = g_strdup_printf ("G_VARIANT_TYPE (\"%s\"), error);",
                                             method->returns != NULL ? method->returns : "()");

    if (strlen (head) + 1 + strlen (tail) <= 100)
      g_string_append_printf (out, "%s %s\n", head, tail);
    else
      g_string_append_printf (out, "%s\n%*s%s\n", head, (int) strlen ("  reply = dp_rpc_call ("), "", tail);
  }
  if (method->returns == NULL)
    {
      g_string_append (out, "  return reply != NULL;\n}\n\n");
      return;
    }
  g_string_append_printf (out, "  if (reply == NULL)\n    return %s;\n", failure);
  switch (kind_of (method->returns))
    {
    case KIND_SCALAR:
      g_string_append_printf (out, "  return g_variant_get_%s (reply);\n", scalar_of (method->returns)->suffix);
      break;
    case KIND_STRING:
      g_string_append (out, "  return g_variant_dup_string (reply, NULL);\n");
      break;
    case KIND_STRV:
      g_string_append (out, "  return g_variant_dup_strv (reply, NULL);\n");
      break;
    case KIND_HANDLE:
      g_string_append (out, "  return dp_channel_from_variant (reply, error);\n");
      break;
    case KIND_VARIANT:
      g_string_append (out, "  return g_variant_get_variant (reply);\n");
      break;
    case KIND_OTHER:
    default:
      g_string_append (out, "  return g_steal_pointer (&reply);\n");
      break;
    }
  g_string_append (out, "}\n\n");
}

static char *
generate_client (Interface  *iface,
                 const char *client_file,
                 const char *header_file)
{
  GString *out = g_string_new (NULL);
  g_autofree char *what = g_strdup_printf ("the client stubs of %s", iface->name);

  write_banner (out, iface, client_file, what);
  g_string_append_printf (out, "#include \"%s\"\n\n", header_file);

  for (guint i = 0; i < iface->methods->len; i++)
    write_client_stub (out, iface, g_ptr_array_index (iface->methods, i));

  if (iface->module != NULL)
    {
      g_autoptr(GArray) params = node_params_new ();
      g_autofree char *name = g_strdup_printf ("%s_supervise_at", iface->prefix);
      g_autofree char *named = iface->named ? g_strdup_printf ("%s_NAME", iface->macro_prefix)
                                            : g_strdup ("NULL");

      g_string_append_printf (out,
                              "/**\n * %s:\n * @node: a node\n * @error: return location for a #GError\n *\n",
                              name);
      if (iface->named)
        write_comment_text (out, " * ",
                            "Starts the server on @node as a named place, under its name: the seeds' "
                            "`supervise-place-at` with `#:named`. Clients on any node connect to it "
                            "by name.");
      else
        write_comment_text (out, " * ",
                            "Starts a private server on @node: the seeds' `supervise-place-at`. Call "
                            "it on the connection this returns.");
      g_string_append (out, " *\n * Returns: (transfer full): the place, or %NULL with @error set\n */\n");
      write_definition_head (out, "", "DpRemoteConnection *", name, params);
      g_string_append_printf (out,
                              "{\n"
                              "  return dp_remote_node_launch_place (node, DP_PLACE_EXEC_DYNAMIC_PLACE,\n"
                              "                                      %s_MODULE, %s_FUNCTION,\n"
                              "                                      %s, NULL, error);\n"
                              "}\n\n",
                              iface->macro_prefix, iface->macro_prefix, named);
    }
  if (iface->named)
    {
      g_autoptr(GArray) params = node_params_new ();
      g_autofree char *name = g_strdup_printf ("%s_connect", iface->prefix);

      g_string_append_printf (out,
                              "/**\n * %s:\n * @node: the node the server runs on\n"
                              " * @error: return location for a #GError\n *\n",
                              name);
      write_comment_text (out, " * ",
                          "Opens a new connection to the named server on @node: the seeds' "
                          "`connect-to-named-place`. Each connection is one client.");
      g_string_append (out, " *\n * Returns: (transfer full): the connection, or %NULL with @error set\n */\n");
      write_definition_head (out, "", "DpRemoteConnection *", name, params);
      g_string_append_printf (out, "{\n  return dp_connect_to_named_place (node, %s_NAME, error);\n}\n\n",
                              iface->macro_prefix);
    }

  /* No blank line at the end. */
  g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

/* ── the server ────────────────────────────────────────────────────── */

static void
write_dispatch (GString   *out,
                Interface *iface,
                Method    *method)
{
  g_autofree char *name = g_strdup_printf ("%s_dispatch_%s", iface->prefix, method->c_name);
  g_autofree char *handler = handler_name (iface, method);
  g_autoptr(GArray) params = params_new ();
  GString *call = g_string_new (NULL);
  const char *returns = method->returns;
  Kind kind = returns != NULL ? kind_of (returns) : KIND_OTHER;
  gboolean any_handle = FALSE;

  params_add (params, "DpRpcServer *", "server G_GNUC_UNUSED");
  params_add (params, "GVariant *", method->args->len > 0 ? "args" : "args G_GNUC_UNUSED");
  params_add (params, "gpointer ", iface->state->len > 0 ? "user_data" : "user_data G_GNUC_UNUSED");
  params_add (params, "GError **", method->cast ? "error G_GNUC_UNUSED" : "error");
  write_definition_head (out, "static ", "GVariant *", name, params);
  g_string_append (out, "{\n");

  /* Declarations: the state, each argument as a GVariant, and what the
   * handler takes of it. */
  if (iface->state->len > 0)
    g_string_append_printf (out, "  %sState *state = user_data;\n", iface->type_prefix);
  for (guint i = 0; i < method->args->len; i++)
    {
      Arg *arg = g_ptr_array_index (method->args, i);

      g_string_append_printf (out, "  g_autoptr(GVariant) arg_%s = g_variant_get_child_value (args, %u);\n",
                              arg->c_name, i);
    }
  for (guint i = 0; i < method->args->len; i++)
    {
      Arg *arg = g_ptr_array_index (method->args, i);

      switch (kind_of (arg->type))
        {
        case KIND_STRV:
          g_string_append_printf (out, "  g_autofree const char **in_%s = g_variant_get_strv (arg_%s, NULL);\n",
                                  arg->c_name, arg->c_name);
          break;
        case KIND_HANDLE:
          g_string_append_printf (out, "  g_autoptr(DpChannel) in_%s = NULL;\n", arg->c_name);
          any_handle = TRUE;
          break;
        case KIND_VARIANT:
          g_string_append_printf (out, "  g_autoptr(GVariant) in_%s = g_variant_get_variant (arg_%s);\n",
                                  arg->c_name, arg->c_name);
          break;
        case KIND_SCALAR:
        case KIND_STRING:
        case KIND_OTHER:
        default:
          break;
        }
    }
  if (method->cast || returns == NULL)
    {
      /* No result to keep. */
    }
  else if (kind == KIND_SCALAR)
    g_string_append_printf (out, "  %s result;\n", scalar_of (returns)->ctype);
  else if (kind == KIND_STRING)
    g_string_append (out, "  g_autofree char *result = NULL;\n");
  else if (kind == KIND_STRV)
    g_string_append (out, "  g_auto(GStrv) result = NULL;\n");
  else if (kind == KIND_HANDLE)
    g_string_append (out, "  g_autoptr(DpChannel) result = NULL;\n");
  else if (kind == KIND_VARIANT)
    g_string_append (out, "  g_autoptr(GVariant) result = NULL;\n");
  g_string_append (out, "\n");

  /* Channels come out of the message first: the place takes them. */
  if (any_handle)
    {
      for (guint i = 0; i < method->args->len; i++)
        {
          Arg *arg = g_ptr_array_index (method->args, i);

          if (kind_of (arg->type) != KIND_HANDLE)
            continue;
          g_string_append_printf (out, "  in_%s = dp_channel_from_variant (arg_%s, %s);\n"
                                  "  if (in_%s == NULL)\n    return NULL;\n",
                                  arg->c_name, arg->c_name, method->cast ? "NULL" : "error", arg->c_name);
        }
    }

  /* The call: on one line if it fits, else one argument per line. */
  {
    g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
    g_autofree char *joined = NULL;
    /* "  result = " or "  if (!" or "  " or "  return " comes before it */
    guint lead = method->cast ? 2 : returns == NULL ? 7 : kind == KIND_OTHER ? 9 : 11;

    if (iface->state->len > 0)
      g_ptr_array_add (pieces, g_strdup ("state"));
    for (guint i = 0; i < method->args->len; i++)
      {
        Arg *arg = g_ptr_array_index (method->args, i);

        switch (kind_of (arg->type))
          {
          case KIND_SCALAR:
            g_ptr_array_add (pieces, g_strdup_printf ("g_variant_get_%s (arg_%s)",
                                                      scalar_of (arg->type)->suffix, arg->c_name));
            break;
          case KIND_STRING:
            g_ptr_array_add (pieces, g_strdup_printf ("g_variant_get_string (arg_%s, NULL)", arg->c_name));
            break;
          case KIND_STRV:
            g_ptr_array_add (pieces, g_strdup_printf ("(const char * const *) in_%s", arg->c_name));
            break;
          case KIND_HANDLE:
          case KIND_VARIANT:
            g_ptr_array_add (pieces, g_strdup_printf ("in_%s", arg->c_name));
            break;
          case KIND_OTHER:
          default:
            g_ptr_array_add (pieces, g_strdup_printf ("arg_%s", arg->c_name));
            break;
          }
      }
    if (!method->cast)
      g_ptr_array_add (pieces, g_strdup ("error"));
    g_ptr_array_add (pieces, NULL);

    joined = g_strjoinv (", ", (char **) pieces->pdata);
    if (lead + strlen (handler) + 3 + strlen (joined) <= 100)
      g_string_append_printf (call, "%s (%s)", handler, joined);
    else
      {
        g_autofree char *separator = g_strdup_printf (",\n%*s", (int) (lead + strlen (handler) + 2), "");
        g_autofree char *wrapped = g_strjoinv (separator, (char **) pieces->pdata);

        g_string_append_printf (call, "%s (%s)", handler, wrapped);
      }
  }

  if (method->cast)
    g_string_append_printf (out, "  %s;\n  return NULL;\n", call->str);
  else if (returns == NULL)
    g_string_append_printf (out, "  if (!%s)\n    return NULL;\n  return g_variant_new (\"()\");\n", call->str);
  else
    switch (kind)
      {
      case KIND_SCALAR:
        g_string_append_printf (out, "  result = %s;\n  if (*error != NULL)\n    return NULL;\n"
                                "  return g_variant_new_%s (result);\n",
                                call->str, scalar_of (returns)->suffix);
        break;
      case KIND_STRING:
        g_string_append_printf (out, "  result = %s;\n  if (result == NULL)\n    return NULL;\n"
                                "  return g_variant_new_take_string (g_steal_pointer (&result));\n",
                                call->str);
        break;
      case KIND_STRV:
        g_string_append_printf (out, "  result = %s;\n  if (result == NULL)\n    return NULL;\n"
                                "  return g_variant_new_strv ((const char * const *) result, -1);\n",
                                call->str);
        break;
      case KIND_HANDLE:
        g_string_append_printf (out, "  result = %s;\n  if (result == NULL)\n    return NULL;\n"
                                "  return dp_channel_to_variant (result);\n", call->str);
        break;
      case KIND_VARIANT:
        g_string_append_printf (out, "  result = %s;\n  if (result == NULL)\n    return NULL;\n"
                                "  g_variant_take_ref (result);\n"
                                "  return g_variant_new_variant (result);\n", call->str);
        break;
      case KIND_OTHER:
      default:
        g_string_append_printf (out, "  return %s;\n", call->str);
        break;
      }
  g_string_append (out, "}\n\n");
  g_string_free (call, TRUE);
}

static char *
generate_server (Interface  *iface,
                 const char *server_file,
                 const char *header_file)
{
  GString *out = g_string_new (NULL);
  g_autofree char *what = g_strdup_printf ("the server skeleton of %s", iface->name);
  g_autofree char *name_literal = NULL;
  g_autoptr(GArray) no_params = params_new ();
  g_autoptr(GArray) place_params = params_new ();
  g_autofree char *skeleton = g_strdup_printf ("%s_skeleton_new", iface->prefix);
  g_autofree char *make = g_strdup_printf ("make_%s", iface->prefix);

  name_literal = g_strdup_printf ("%s_NAME", iface->macro_prefix);

  write_banner (out, iface, server_file, what);
  g_string_append_printf (out, "#include \"%s\"\n\n", header_file);

  /* The state. */
  if (iface->state->len > 0)
    {
      g_autoptr(GArray) params = params_new ();
      g_autofree char *free_name = g_strdup_printf ("%s_state_free", iface->prefix);

      params_add (params, "gpointer ", "data");
      write_definition_head (out, "static ", "void", free_name, params);
      g_string_append_printf (out, "{\n  %sState *state = data;\n\n", iface->type_prefix);
      for (guint i = iface->state->len; i > 0; i--)
        {
          StateField *field = g_ptr_array_index (iface->state, i - 1);

          if (field->free_func != NULL)
            g_string_append_printf (out, "  g_clear_pointer (&state->%s, %s);\n", field->name, field->free_func);
        }
      g_string_append (out, "  g_free (state);\n}\n\n");
    }

  for (guint i = 0; i < iface->methods->len; i++)
    write_dispatch (out, iface, g_ptr_array_index (iface->methods, i));

  /* The skeleton. */
  g_string_append_printf (out, "/**\n * %s:\n *\n", skeleton);
  {
    g_autofree char *text = g_strdup_printf ("Makes the %s server: its state, each define-state "
                                             "initialised, and its methods, each dispatching to its "
                                             "handler. Run it in a place with dp_rpc_server_run(), "
                                             "as make_%s() does.", iface->name, iface->prefix);
    write_comment_text (out, " * ", text);
  }
  g_string_append (out, " *\n * Returns: (transfer full): the server\n */\n");
  write_definition_head (out, "", "DpRpcServer *", skeleton, no_params);
  g_string_append_printf (out, "{\n  DpRpcServer *server = dp_rpc_server_new (%s);\n", name_literal);
  if (iface->state->len > 0)
    {
      g_string_append_printf (out, "  %sState *state = g_new0 (%sState, 1);\n\n",
                              iface->type_prefix, iface->type_prefix);
      for (guint i = 0; i < iface->state->len; i++)
        {
          StateField *field = g_ptr_array_index (iface->state, i);

          if (field->value != NULL)
            g_string_append_printf (out, "  state->%s = %s;\n", field->name, field->value);
        }
      g_string_append_printf (out, "  dp_rpc_server_set_state (server, state, %s_state_free);\n",
                              iface->prefix);
    }
  else
    g_string_append (out, "\n");

  for (guint i = 0; i < iface->methods->len; i++)
    {
      Method *method = g_ptr_array_index (iface->methods, i);
      g_autofree char *type = args_type (method);
      g_autofree char *method_literal = c_string (method->name);
      const char *user_data = iface->state->len > 0 ? "state" : "NULL";

      if (method->cast)
        g_string_append_printf (out, "  dp_rpc_server_add_cast (server, %s, \"%s\",\n"
                                "                          %s_dispatch_%s, %s, NULL);\n",
                                method_literal, type, iface->prefix, method->c_name, user_data);
      else
        g_string_append_printf (out, "  dp_rpc_server_add_rpc (server, %s, \"%s\", \"%s\",\n"
                                "                         %s_dispatch_%s, %s, NULL);\n",
                                method_literal, type, method->returns != NULL ? method->returns : "()",
                                iface->prefix, method->c_name, user_data);
    }
  g_string_append (out, "  return server;\n}\n\n");

  /* The place function. */
  params_add (place_params, "DpChannel *", "channel");
  g_string_append_printf (out, "/**\n * %s:\n * @channel: the place's channel\n *\n", make);
  {
    g_autofree char *text = g_strdup_printf ("The %s server's place function: Racket's `make-%s`, "
                                             "which %s. It serves requests until its creator goes "
                                             "away.", iface->name, iface->name,
                                             iface->named
                                             ? "dynamic-place or supervise-place-at start with "
                                               "#:named (define-named-remote-server)"
                                             : "dynamic-place or supervise-place-at start "
                                               "(define-remote-server)");
    write_comment_text (out, " * ", text);
  }
  g_string_append (out, " */\n");
  write_definition_head (out, "", "void", make, place_params);
  g_string_append_printf (out, "{\n  g_autoptr(DpRpcServer) server = %s ();\n\n"
                          "  dp_rpc_server_run (server, channel);\n}\n", skeleton);

  return g_string_free (out, FALSE);
}

/* ── main ──────────────────────────────────────────────────────────── */

static gboolean
write_file (const char  *path,
            const char  *contents,
            GError     **error)
{
  return g_file_set_contents (path, contents, -1, error);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *header = NULL;
  g_autofree char *client = NULL;
  g_autofree char *server = NULL;
  g_autofree char *output_dir = NULL;
  g_auto(GStrv) inputs = NULL;
  gboolean check = FALSE;
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "header", 0, 0, G_OPTION_ARG_FILENAME, &header, "Write the header to FILE", "FILE" },
    { "client", 0, 0, G_OPTION_ARG_FILENAME, &client, "Write the client stubs to FILE", "FILE" },
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &server, "Write the server skeleton to FILE", "FILE" },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &output_dir,
      "Write NAME-rpc.h, NAME-rpc-client.c, NAME-rpc-server.c there, for those not named "
      "otherwise (default: the current directory)", "DIR" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check, "Only check the interface file", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the interface format's version", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs, NULL, "INTERFACE.rpc.json" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("INTERFACE.rpc.json — RPC stubs and skeletons");
  g_autoptr(GError) error = NULL;
  g_autoptr(Interface) iface = NULL;
  g_autofree char *header_base = NULL;
  g_autofree char *header_text = NULL;
  g_autofree char *client_text = NULL;
  g_autofree char *server_text = NULL;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
                                    "Writes what Racket's define-remote-server expands to: typed client "
                                    "stubs (NAME_METHOD (dest, args…, &error)) and the server's place "
                                    "function (make_NAME) dispatching to handlers you write "
                                    "(NAME_handle_METHOD). The format of interface files is described "
                                    "in the rpc plugin's README.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dplaces-codegen: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      printf ("dplaces-codegen: rpc-interface %d\n", INTERFACE_VERSION);
      return 0;
    }
  if (inputs == NULL || inputs[0] == NULL || inputs[1] != NULL)
    {
      g_printerr ("dplaces-codegen: give one interface file (dplaces-codegen --help)\n");
      return 2;
    }

  iface = read_interface (inputs[0], &error);
  if (iface == NULL)
    {
      g_printerr ("dplaces-codegen: %s\n", error->message);
      return 1;
    }
  if (check)
    return 0;

  if (output_dir == NULL)
    output_dir = g_strdup (".");
  if (header == NULL)
    header = g_strdup_printf ("%s/%s-rpc.h", output_dir, iface->name);
  if (client == NULL)
    client = g_strdup_printf ("%s/%s-rpc-client.c", output_dir, iface->name);
  if (server == NULL)
    server = g_strdup_printf ("%s/%s-rpc-server.c", output_dir, iface->name);

  header_base = g_path_get_basename (header);
  {
    g_autofree char *client_base = g_path_get_basename (client);
    g_autofree char *server_base = g_path_get_basename (server);

    header_text = generate_header (iface, header_base);
    client_text = generate_client (iface, client_base, header_base);
    server_text = generate_server (iface, server_base, header_base);
  }

  if (!write_file (header, header_text, &error) ||
      !write_file (client, client_text, &error) ||
      !write_file (server, server_text, &error))
    {
      g_printerr ("dplaces-codegen: %s\n", error->message);
      return 1;
    }
  return 0;
}
