/* dp-plugin-registry.c: finding plugins and place modules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-plugins"

#include "config.h"

#include <dlfcn.h>
#include <gmodule.h>
#include <stdlib.h>
#include <string.h>

#include "dp-error.h"
#include "dp-launcher.h"
#include "dp-place-backend.h"
#include "dp-restart-strategy.h"
#include "dp-restarter.h"
#include "dp-service.h"
#include "dp-transport.h"
#include "dp-plugin-registry.h"

/**
 * DpPluginRegistry:
 *
 * Where libdplaces finds code: the plugins behind its extension points
 * (`libdplaces-NAME.so`, loaded as [class@Gio.IOModule]s only when a
 * keyfile or a call selects them by name), and the modules whose exported
 * functions places run (`NAME.so` or `libNAME.so`).
 *
 * Directories are searched in this order: those added with
 * [method@Dp.PluginRegistry.add_directory] (a keyfile's `plugin-dirs=`),
 * those in `DPLACES_PLUGIN_PATH` (separated by `:`), the build tree's
 * plugin folders when this libdplaces runs uninstalled from it, then the
 * installed plugin directory.
 */

struct _DpPluginRegistry
{
  GObject parent_instance;

  GMutex lock;
  GPtrArray *added_dirs;      /* char*, from add_directory() */
  GPtrArray *env_dirs;        /* char*, from DPLACES_PLUGIN_PATH */
  GPtrArray *build_dirs;      /* char*, when running from the build tree */
  GHashTable *modules;        /* path → GModule*, kept open */
  GHashTable *loaded_plugins; /* path → GIOModule*, in use */
};

G_DEFINE_FINAL_TYPE (DpPluginRegistry, dp_plugin_registry, G_TYPE_OBJECT)

static const char * const extension_points[] = {
  DP_PLACE_BACKEND_EXTENSION_POINT_NAME,
  DP_TRANSPORT_EXTENSION_POINT_NAME,
  DP_LAUNCHER_EXTENSION_POINT_NAME,
  DP_RESTART_STRATEGY_EXTENSION_POINT_NAME,
  "dplaces-service",
  NULL
};

static const char * const extension_point_descriptions[] = {
  "place backend",
  "transport",
  "launcher",
  "restart strategy",
  "service",
};

static GQuark
description_quark (void)
{
  return g_quark_from_static_string ("dp-plugin-description");
}

static GQuark
module_path_quark (void)
{
  return g_quark_from_static_string ("dp-plugin-module-path");
}

static void
dp_plugin_registry_finalize (GObject *object)
{
  DpPluginRegistry *self = DP_PLUGIN_REGISTRY (object);

  g_ptr_array_unref (self->added_dirs);
  g_ptr_array_unref (self->env_dirs);
  g_ptr_array_unref (self->build_dirs);
  g_hash_table_unref (self->modules);
  g_hash_table_unref (self->loaded_plugins);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dp_plugin_registry_parent_class)->finalize (object);
}

static void
dp_plugin_registry_class_init (DpPluginRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dp_plugin_registry_finalize;

  for (guint i = 0; extension_points[i] != NULL; i++)
    {
      GIOExtensionPoint *point = g_io_extension_point_register (extension_points[i]);
      if (g_str_equal (extension_points[i], DP_PLACE_BACKEND_EXTENSION_POINT_NAME))
        g_io_extension_point_set_required_type (point, DP_TYPE_PLACE_BACKEND);
      else if (g_str_equal (extension_points[i], DP_TRANSPORT_EXTENSION_POINT_NAME))
        g_io_extension_point_set_required_type (point, DP_TYPE_TRANSPORT);
      else if (g_str_equal (extension_points[i], DP_LAUNCHER_EXTENSION_POINT_NAME))
        g_io_extension_point_set_required_type (point, DP_TYPE_LAUNCHER);
      else if (g_str_equal (extension_points[i], DP_SERVICE_EXTENSION_POINT_NAME))
        g_io_extension_point_set_required_type (point, DP_TYPE_SERVICE);
      else if (g_str_equal (extension_points[i], DP_RESTART_STRATEGY_EXTENSION_POINT_NAME))
        {
          g_io_extension_point_set_required_type (point, DP_TYPE_RESTART_STRATEGY);
          /* restart-every's restarter% is the library's own (dp_restart_every()). */
          g_io_extension_point_implement (DP_RESTART_STRATEGY_EXTENSION_POINT_NAME,
                                          DP_TYPE_RESTARTER, "restarter", 10);
          dp_plugin_set_description (DP_TYPE_RESTARTER,
                                     "restart-every: restarts the child at most once every "
                                     "seconds=, gives up after retry= restarts (the count "
                                     "starts again once the child stays alive retry-reset=, "
                                     "2 x seconds by default) and runs on-final-fail.");
        }
    }
}

static void
add_search_path (GPtrArray  *dirs,
                 const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_ptr_array_add (dirs, g_canonicalize_filename (parts[i], NULL));
}

/* Whether this libdplaces is the one in the build tree, not an installed
 * one: then the build's plugins are found without installing. */
static gboolean
running_from_build_tree (void)
{
  Dl_info info;
  g_autofree char *library = NULL;
  g_autofree char *build_root = NULL;

  if (dladdr ((gpointer) dp_plugin_registry_get_default, &info) == 0 || info.dli_fname == NULL)
    return FALSE;
  library = realpath (info.dli_fname, NULL);
  build_root = realpath (DP_BUILD_ROOT, NULL);

  return library != NULL && build_root != NULL &&
         g_str_has_prefix (library, build_root) && library[strlen (build_root)] == '/';
}

static void
dp_plugin_registry_init (DpPluginRegistry *self)
{
  const char *env = g_getenv ("DPLACES_PLUGIN_PATH");

  g_mutex_init (&self->lock);
  self->added_dirs = g_ptr_array_new_with_free_func (g_free);
  self->env_dirs = g_ptr_array_new_with_free_func (g_free);
  /* Modules stay loaded for the life of the process: place functions and
   * GTypes from them may be in use anywhere. */
  self->modules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->loaded_plugins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  self->build_dirs = g_ptr_array_new_with_free_func (g_free);

  if (env != NULL)
    add_search_path (self->env_dirs, env);
  if (running_from_build_tree ())
    add_search_path (self->build_dirs, DP_BUILD_PLUGIN_PATH);
}

/**
 * dp_plugin_registry_get_default:
 *
 * Returns: (transfer none): the process's registry
 */
DpPluginRegistry *
dp_plugin_registry_get_default (void)
{
  static DpPluginRegistry *default_registry;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      default_registry = g_object_new (DP_TYPE_PLUGIN_REGISTRY, NULL);
      g_once_init_leave (&initialized, 1);
    }

  return default_registry;
}

/**
 * dp_plugin_registry_add_directory:
 * @self: a registry
 * @directory: a directory to search, before the environment's and the
 *   installed ones
 *
 * Adds @directory to the search path (a keyfile's `plugin-dirs=`).
 */
void
dp_plugin_registry_add_directory (DpPluginRegistry *self,
                                  const char       *directory)
{
  g_autofree char *canonical = NULL;

  g_return_if_fail (DP_IS_PLUGIN_REGISTRY (self));
  g_return_if_fail (directory != NULL);

  canonical = g_canonicalize_filename (directory, NULL);

  g_mutex_lock (&self->lock);
  if (!g_ptr_array_find_with_equal_func (self->added_dirs, canonical, g_str_equal, NULL))
    g_ptr_array_add (self->added_dirs, g_steal_pointer (&canonical));
  g_mutex_unlock (&self->lock);
}

/**
 * dp_plugin_registry_dup_directories:
 * @self: a registry
 *
 * Returns: (transfer full): the directories searched, in order
 */
GStrv
dp_plugin_registry_dup_directories (DpPluginRegistry *self)
{
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  GPtrArray *sources[3];

  g_return_val_if_fail (DP_IS_PLUGIN_REGISTRY (self), NULL);

  g_mutex_lock (&self->lock);
  sources[0] = self->added_dirs;
  sources[1] = self->env_dirs;
  sources[2] = self->build_dirs;
  /* A directory named twice (the build tree's, also in the environment)
   * is searched once, where it comes first. */
  for (guint s = 0; s < G_N_ELEMENTS (sources); s++)
    for (guint i = 0; i < sources[s]->len; i++)
      {
        const char *dir = g_ptr_array_index (sources[s], i);

        if (!g_ptr_array_find_with_equal_func (dirs, dir, g_str_equal, NULL))
          g_ptr_array_add (dirs, g_strdup (dir));
      }
  g_mutex_unlock (&self->lock);
  if (!g_ptr_array_find_with_equal_func (dirs, DP_PLUGINDIR, g_str_equal, NULL))
    g_ptr_array_add (dirs, g_strdup (DP_PLUGINDIR));

  return (GStrv) g_ptr_array_steal (dirs, NULL);
}

/**
 * dp_plugin_registry_contains_path:
 * @self: a registry
 * @path: a file path
 *
 * Whether @path lies inside one of the plugin directories: the test a node
 * applies before it loads a module a peer names.
 *
 * Returns: %TRUE if @path is inside a plugin directory
 */
gboolean
dp_plugin_registry_contains_path (DpPluginRegistry *self,
                                  const char       *path)
{
  g_auto(GStrv) dirs = dp_plugin_registry_dup_directories (self);
  g_autofree char *real = realpath (path, NULL);

  if (real == NULL)
    return FALSE;

  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *real_dir = realpath (dirs[i], NULL);
      size_t len;

      if (real_dir == NULL)
        continue;
      len = strlen (real_dir);
      if (strncmp (real, real_dir, len) == 0 && real[len] == '/')
        return TRUE;
    }

  return FALSE;
}

static char *
join_directories (GStrv dirs)
{
  return g_strjoinv (", ", dirs);
}

/**
 * dp_plugin_registry_find_module:
 * @self: a registry
 * @module: a module name, or a path to a shared object
 * @error: return location for a #GError
 *
 * Finds the file of a place module: `NAME.so` or `libNAME.so` in the
 * first plugin directory that has one. A name with a `/` is a path and
 * must exist.
 *
 * Returns: (transfer full): the module's path, or %NULL with @error set,
 *   naming the directories searched
 */
char *
dp_plugin_registry_find_module (DpPluginRegistry  *self,
                                const char        *module,
                                GError           **error)
{
  g_auto(GStrv) dirs = NULL;
  g_autofree char *searched = NULL;

  g_return_val_if_fail (DP_IS_PLUGIN_REGISTRY (self), NULL);
  g_return_val_if_fail (module != NULL, NULL);

  if (strchr (module, '/') != NULL)
    {
      if (g_file_test (module, G_FILE_TEST_IS_REGULAR))
        return g_canonicalize_filename (module, NULL);
      g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                   "No module at “%s”", module);
      return NULL;
    }

  dirs = dp_plugin_registry_dup_directories (self);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *plain = g_strconcat (module, ".so", NULL);
      g_autofree char *prefixed = g_strconcat ("lib", module, ".so", NULL);
      g_autofree char *path = g_build_filename (dirs[i], plain, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
      g_free (path);
      path = g_build_filename (dirs[i], prefixed, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }

  searched = join_directories (dirs);
  g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
               "No module “%s”: looked for %s.so and lib%s.so in %s",
               module, module, module, searched);
  return NULL;
}

static GModule *
open_module (DpPluginRegistry  *self,
             const char        *path,
             GError           **error)
{
  GModule *module;

  g_mutex_lock (&self->lock);
  module = g_hash_table_lookup (self->modules, path);
  if (module == NULL)
    {
      g_autofree char *self_exe = realpath ("/proc/self/exe", NULL);
      g_autofree char *real = realpath (path, NULL);

      /* A place function in the program itself (dp_place() from main):
       * glibc will not dlopen() an executable, but GModule opens the
       * program with NULL. */
      if (self_exe != NULL && real != NULL && g_str_equal (self_exe, real))
        module = g_module_open (NULL, G_MODULE_BIND_LAZY);
      else
        module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
      if (module == NULL)
        {
          g_mutex_unlock (&self->lock);
          g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                       "Cannot load module %s: %s", path, g_module_error ());
          return NULL;
        }
      g_module_make_resident (module);
      g_hash_table_insert (self->modules, g_strdup (path), module);
    }
  g_mutex_unlock (&self->lock);

  return module;
}

/**
 * dp_plugin_registry_lookup_symbol:
 * @self: a registry
 * @module: a module name, or a path to a shared object
 * @symbol: the name of an exported symbol
 * @error: return location for a #GError
 *
 * Loads @module (once) and finds @symbol in it.
 *
 * Returns: (nullable): the symbol's address, or %NULL with @error set
 */
gpointer
dp_plugin_registry_lookup_symbol (DpPluginRegistry  *self,
                                  const char        *module,
                                  const char        *symbol,
                                  GError           **error)
{
  g_autofree char *path = NULL;
  GModule *gmodule;
  gpointer address = NULL;

  g_return_val_if_fail (DP_IS_PLUGIN_REGISTRY (self), NULL);
  g_return_val_if_fail (module != NULL, NULL);
  g_return_val_if_fail (symbol != NULL, NULL);

  path = dp_plugin_registry_find_module (self, module, error);
  if (path == NULL)
    return NULL;

  gmodule = open_module (self, path, error);
  if (gmodule == NULL)
    return NULL;

  if (!g_module_symbol (gmodule, symbol, &address) || address == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                   "Module “%s” (%s) has no symbol “%s”", module, path, symbol);
      return NULL;
    }

  return address;
}

static void
load_plugin_file (DpPluginRegistry *self,
                  const char       *path)
{
  GIOModule *module;

  g_mutex_lock (&self->lock);
  if (g_hash_table_contains (self->loaded_plugins, path))
    {
      g_mutex_unlock (&self->lock);
      return;
    }

  module = g_io_module_new (path);
  if (!g_type_module_use (G_TYPE_MODULE (module)))
    {
      g_warning ("Failed to load plugin %s", path);
      g_object_unref (module);
      module = NULL;
    }
  /* Remember failures too, so we do not retry them. */
  g_hash_table_insert (self->loaded_plugins, g_strdup (path), module);
  g_mutex_unlock (&self->lock);

  if (module != NULL)
    {
      for (guint i = 0; extension_points[i] != NULL; i++)
        {
          GIOExtensionPoint *point = g_io_extension_point_lookup (extension_points[i]);
          for (GList *l = g_io_extension_point_get_extensions (point); l != NULL; l = l->next)
            {
              GType type = g_io_extension_get_type (l->data);
              /* Types built into the library (a restarter) have no file. */
              if (g_type_get_plugin (type) != NULL &&
                  g_type_get_qdata (type, module_path_quark ()) == NULL)
                g_type_set_qdata (type, module_path_quark (), g_strdup (path));
            }
        }
    }
}

/**
 * dp_procedure_address_parse:
 * @address: a procedure address: `MODULE:SYMBOL`
 * @out_module: (out) (optional): the module: a name found in the plugin
 *   directories (`NAME.so`, `libNAME.so`) or a path to a shared object
 * @out_symbol: (out) (optional): the exported function's name
 * @error: return location for a #GError
 *
 * Takes a procedure address apart: the seeds' `(list module-path
 * 'symbol)`, written as one string. The symbol is what follows the last
 * `:`, so a module path may hold colons.
 *
 * Returns: %TRUE, or %FALSE with @error set if @address is not one
 */
gboolean
dp_procedure_address_parse (const char  *address,
                            char       **out_module,
                            char       **out_symbol,
                            GError     **error)
{
  const char *colon;

  g_return_val_if_fail (address != NULL, FALSE);

  colon = strrchr (address, ':');
  if (colon == NULL || colon == address || colon[1] == '\0')
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "“%s” is not a procedure address: expected MODULE:SYMBOL", address);
      return FALSE;
    }
  for (const char *c = colon + 1; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '_')
      {
        g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                     "“%s” is not a procedure address: “%s” is not a C symbol", address, colon + 1);
        return FALSE;
      }

  if (out_module != NULL)
    *out_module = g_strndup (address, colon - address);
  if (out_symbol != NULL)
    *out_symbol = g_strdup (colon + 1);
  return TRUE;
}

/**
 * dp_procedure_address_resolve:
 * @address: a procedure address: `MODULE:SYMBOL`
 * @error: return location for a #GError
 *
 * Loads the module (once) from the plugin directories and finds the
 * function: what the seeds' `dynamic-require` does with an address. The
 * frameworks name their procedures so (MapReduce's mappers and reducers,
 * NDP's work, RMPI's reductions).
 *
 * Returns: (nullable): the function's address, or %NULL with @error set,
 *   naming the directories searched
 */
gpointer
dp_procedure_address_resolve (const char  *address,
                              GError     **error)
{
  g_autofree char *module = NULL;
  g_autofree char *symbol = NULL;

  if (!dp_procedure_address_parse (address, &module, &symbol, error))
    return NULL;
  return dp_plugin_registry_lookup_symbol (dp_plugin_registry_get_default (), module, symbol, error);
}

/**
 * dp_plugin_registry_lookup_plugin:
 * @self: a registry
 * @extension_point: an extension point, such as
 *   %DP_PLACE_BACKEND_EXTENSION_POINT_NAME
 * @name: the plugin's name, such as `threads`
 * @error: return location for a #GError
 *
 * Finds the plugin @name implementing @extension_point, loading
 * `libdplaces-NAME.so` from the plugin directories if it is not loaded.
 *
 * Returns: the plugin's type, or %G_TYPE_INVALID with @error set, naming
 *   the directories searched
 */
GType
dp_plugin_registry_lookup_plugin (DpPluginRegistry  *self,
                                  const char        *extension_point,
                                  const char        *name,
                                  GError           **error)
{
  GIOExtensionPoint *point;
  GIOExtension *extension;
  g_auto(GStrv) dirs = NULL;
  g_autofree char *file = NULL;
  g_autofree char *searched = NULL;

  g_return_val_if_fail (DP_IS_PLUGIN_REGISTRY (self), G_TYPE_INVALID);
  g_return_val_if_fail (extension_point != NULL, G_TYPE_INVALID);
  g_return_val_if_fail (name != NULL, G_TYPE_INVALID);

  point = g_io_extension_point_lookup (extension_point);
  if (point == NULL)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                   "No extension point “%s”", extension_point);
      return G_TYPE_INVALID;
    }

  extension = g_io_extension_point_get_extension_by_name (point, name);
  if (extension != NULL)
    return g_io_extension_get_type (extension);

  /* The name becomes part of a file name: no path may hide in it. */
  if (name[0] == '\0' || strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_") != strlen (name))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
                   "No %s plugin “%s”: a plugin name has only letters, digits, - and _",
                   dp_plugin_registry_describe_extension_point (extension_point), name);
      return G_TYPE_INVALID;
    }

  file = g_strconcat ("libdplaces-", name, ".so", NULL);
  dirs = dp_plugin_registry_dup_directories (self);
  for (guint i = 0; dirs[i] != NULL && extension == NULL; i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], file, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          load_plugin_file (self, path);
          extension = g_io_extension_point_get_extension_by_name (point, name);
        }
    }
  if (extension != NULL)
    return g_io_extension_get_type (extension);

  searched = join_directories (dirs);
  g_set_error (error, DP_ERROR, DP_ERROR_NOT_FOUND,
               "No %s plugin “%s”: looked for %s in %s",
               dp_plugin_registry_describe_extension_point (extension_point),
               name, file, searched);
  return G_TYPE_INVALID;
}

/**
 * dp_plugin_registry_create:
 * @self: a registry
 * @extension_point: an extension point
 * @name: the plugin's name
 * @error: return location for a #GError
 *
 * Creates an instance of the plugin @name, with default properties.
 *
 * Returns: (transfer full) (type GObject): the instance, or %NULL with
 *   @error set
 */
gpointer
dp_plugin_registry_create (DpPluginRegistry  *self,
                           const char        *extension_point,
                           const char        *name,
                           GError           **error)
{
  GType type = dp_plugin_registry_lookup_plugin (self, extension_point, name, error);

  if (type == G_TYPE_INVALID)
    return NULL;

  return g_object_new (type, NULL);
}

/**
 * dp_plugin_registry_load_all:
 * @self: a registry
 *
 * Loads every plugin in the plugin directories, to list them.
 */
void
dp_plugin_registry_load_all (DpPluginRegistry *self)
{
  g_auto(GStrv) dirs = dp_plugin_registry_dup_directories (self);

  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autoptr(GDir) dir = g_dir_open (dirs[i], 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *entry;

      if (dir == NULL)
        continue;
      while ((entry = g_dir_read_name (dir)) != NULL)
        if (g_str_has_prefix (entry, "libdplaces-") && g_str_has_suffix (entry, ".so"))
          g_ptr_array_add (names, g_strdup (entry));
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);

      for (guint j = 0; j < names->len; j++)
        {
          g_autofree char *path = g_build_filename (dirs[i], g_ptr_array_index (names, j), NULL);
          load_plugin_file (self, path);
        }
    }
}

/**
 * dp_plugin_registry_get_extension_points:
 *
 * Returns: (transfer none): the names of libdplaces' extension points
 */
const char * const *
dp_plugin_registry_get_extension_points (void)
{
  /* Registering the extension points is the registry's first act. */
  dp_plugin_registry_get_default ();
  return extension_points;
}

/**
 * dp_plugin_registry_describe_extension_point:
 * @extension_point: an extension point name
 *
 * Returns: what plugins of @extension_point are, in a few words
 */
const char *
dp_plugin_registry_describe_extension_point (const char *extension_point)
{
  for (guint i = 0; extension_points[i] != NULL; i++)
    if (g_strcmp0 (extension_points[i], extension_point) == 0)
      return extension_point_descriptions[i];
  return extension_point;
}

/**
 * dp_plugin_set_description:
 * @type: a plugin type
 * @description: one line saying what it does, for `dplaces inspect`
 *
 * For plugins: describes @type.
 */
void
dp_plugin_set_description (GType       type,
                           const char *description)
{
  g_type_set_qdata (type, description_quark (), (gpointer) description);
}

/**
 * dp_plugin_get_description:
 * @type: a plugin type
 *
 * Returns: (nullable): what @type says it does
 */
const char *
dp_plugin_get_description (GType type)
{
  return g_type_get_qdata (type, description_quark ());
}

/**
 * dp_plugin_get_module_path:
 * @type: a plugin type
 *
 * Returns: (nullable): the file the plugin was loaded from
 */
const char *
dp_plugin_get_module_path (GType type)
{
  return g_type_get_qdata (type, module_path_quark ());
}

/**
 * dp_distributed_launch_path:
 *
 * The seeds' `distributed-launch-path`: the `dplaces` host binary that
 * starts a node, or a place of the processes backend, on this machine.
 * `$DPLACES_LAUNCH_PATH` overrides it; a libdplaces running from the build
 * tree uses the build's `tools/dplaces`; otherwise the installed one.
 *
 * Returns: (transfer full): the path
 */
char *
dp_distributed_launch_path (void)
{
  const char *env = g_getenv ("DPLACES_LAUNCH_PATH");

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (running_from_build_tree ())
    return g_build_filename (DP_BUILD_ROOT, "tools", "dplaces", NULL);
  return g_build_filename (DP_BINDIR, "dplaces", NULL);
}
