/* dp-handles.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-handles-private.h"

static GMutex handles_lock;
static GHashTable *handles;     /* handle → object (strong) */
static gint32 next_handle = 1;
static GQuark handle_quark;

static void
ensure_table (void)
{
  if (G_UNLIKELY (handles == NULL))
    {
      handles = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
      handle_quark = g_quark_from_static_string ("dp-handle");
    }
}

/* Returns the handle naming @object, giving it one (and a table reference)
 * on first use. Handles are never 0. */
gint32
dp_handles_export (GObject *object)
{
  gint32 handle;

  g_mutex_lock (&handles_lock);
  ensure_table ();
  handle = GPOINTER_TO_INT (g_object_get_qdata (object, handle_quark));
  if (handle == 0)
    {
      do
        {
          handle = next_handle;
          next_handle = next_handle == G_MAXINT32 ? 1 : next_handle + 1;
        }
      while (g_hash_table_contains (handles, GINT_TO_POINTER (handle)));
      g_hash_table_insert (handles, GINT_TO_POINTER (handle), g_object_ref (object));
      g_object_set_qdata (object, handle_quark, GINT_TO_POINTER (handle));
    }
  g_mutex_unlock (&handles_lock);

  return handle;
}

/* Returns a new reference to the object named @handle if it is still in the
 * table and is a @type, else %NULL. */
gpointer
dp_handles_lookup (gint32 handle,
                   GType  type)
{
  GObject *object = NULL;

  g_mutex_lock (&handles_lock);
  ensure_table ();
  object = g_hash_table_lookup (handles, GINT_TO_POINTER (handle));
  if (object != NULL && G_TYPE_CHECK_INSTANCE_TYPE (object, type))
    g_object_ref (object);
  else
    object = NULL;
  g_mutex_unlock (&handles_lock);

  return object;
}

/* Drops @object from the table. The caller must hold its own reference: the
 * table's may be the last but one. */
void
dp_handles_forget (GObject *object)
{
  gint32 handle;
  GObject *stolen = NULL;

  g_mutex_lock (&handles_lock);
  ensure_table ();
  handle = GPOINTER_TO_INT (g_object_get_qdata (object, handle_quark));
  if (handle != 0)
    {
      g_hash_table_steal_extended (handles, GINT_TO_POINTER (handle), NULL, (gpointer *) &stolen);
      g_object_set_qdata (object, handle_quark, NULL);
    }
  g_mutex_unlock (&handles_lock);

  /* Unref outside the lock: finalizing may re-enter. */
  g_clear_object (&stolen);
}

guint
dp_handles_count (void)
{
  guint n;

  g_mutex_lock (&handles_lock);
  n = handles != NULL ? g_hash_table_size (handles) : 0;
  g_mutex_unlock (&handles_lock);

  return n;
}
