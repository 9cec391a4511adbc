/* dp-handles.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dp-handles-private.h"

typedef struct {
  gint32 handle;
  GObject *object;     /* not a reference: cleared by the weak notify */
  gboolean pinned;     /* holds a reference until forgotten */
  guint pending;       /* holds a reference while > 0 */
} Entry;

static GMutex handles_lock;
static GHashTable *handles;     /* handle → Entry* */
static gint32 next_handle = 1;

static GQuark
handle_quark (void)
{
  return g_quark_from_static_string ("dp-handle");
}

static void
ensure_table (void)
{
  if (G_UNLIKELY (handles == NULL))
    handles = g_hash_table_new_full (NULL, NULL, NULL, g_free);
}

static gboolean
entry_holds (Entry *entry)
{
  return entry->pinned || entry->pending > 0;
}

static void object_finalized (gpointer data, GObject *where_the_object_was);

/* Called with the lock held. Removes @entry; returns the reference it held,
 * to drop outside the lock. */
static GObject *
remove_entry (Entry *entry)
{
  GObject *held = entry_holds (entry) ? entry->object : NULL;

  if (entry->object != NULL)
    {
      g_object_set_qdata (entry->object, handle_quark (), NULL);
      if (held == NULL)
        g_object_weak_unref (entry->object, object_finalized, GINT_TO_POINTER (entry->handle));
    }
  g_hash_table_remove (handles, GINT_TO_POINTER (entry->handle));
  return held;
}

static void
object_finalized (gpointer  data,
                  GObject  *where_the_object_was)
{
  Entry *entry;

  g_mutex_lock (&handles_lock);
  entry = g_hash_table_lookup (handles, data);
  if (entry != NULL && entry->object == where_the_object_was)
    g_hash_table_remove (handles, data);
  g_mutex_unlock (&handles_lock);
}

/* Called with the lock held. */
static Entry *
ensure_entry (GObject *object)
{
  gint32 handle = GPOINTER_TO_INT (g_object_get_qdata (object, handle_quark ()));
  Entry *entry;

  ensure_table ();
  if (handle != 0)
    return g_hash_table_lookup (handles, GINT_TO_POINTER (handle));

  do
    {
      handle = next_handle;
      next_handle = next_handle == G_MAXINT32 ? 1 : next_handle + 1;
    }
  while (g_hash_table_contains (handles, GINT_TO_POINTER (handle)));

  entry = g_new0 (Entry, 1);
  entry->handle = handle;
  entry->object = object;
  g_hash_table_insert (handles, GINT_TO_POINTER (handle), entry);
  g_object_set_qdata (object, handle_quark (), GINT_TO_POINTER (handle));
  g_object_weak_ref (object, object_finalized, GINT_TO_POINTER (handle));

  return entry;
}

/* Called with the lock held: @entry starts or stops holding a reference. */
static void
entry_update_hold (Entry    *entry,
                   gboolean  held_before)
{
  gboolean held_now = entry_holds (entry);

  if (held_now && !held_before)
    {
      /* A strong reference replaces the weak one. */
      g_object_ref (entry->object);
      g_object_weak_unref (entry->object, object_finalized, GINT_TO_POINTER (entry->handle));
    }
}

gint32
dp_handles_export_pinned (GObject *object)
{
  Entry *entry;
  gboolean held;
  gint32 handle;

  g_mutex_lock (&handles_lock);
  entry = ensure_entry (object);
  held = entry_holds (entry);
  entry->pinned = TRUE;
  entry_update_hold (entry, held);
  handle = entry->handle;
  g_mutex_unlock (&handles_lock);

  return handle;
}

gint32
dp_handles_export_pending (GObject *object)
{
  Entry *entry;
  gboolean held;
  gint32 handle;

  g_mutex_lock (&handles_lock);
  entry = ensure_entry (object);
  held = entry_holds (entry);
  entry->pending++;
  entry_update_hold (entry, held);
  handle = entry->handle;
  g_mutex_unlock (&handles_lock);

  return handle;
}

static gpointer
lookup (gint32   handle,
        GType    type,
        gboolean claim)
{
  GObject *object = NULL;
  GObject *released = NULL;
  Entry *entry;

  g_mutex_lock (&handles_lock);
  ensure_table ();
  entry = g_hash_table_lookup (handles, GINT_TO_POINTER (handle));
  if (entry != NULL && entry->object != NULL &&
      G_TYPE_CHECK_INSTANCE_TYPE (entry->object, type))
    {
      object = g_object_ref (entry->object);
      if (claim && entry->pending > 0)
        {
          entry->pending--;
          if (!entry_holds (entry))
            {
              /* Back to a weak reference: the handle still resolves while
               * anyone else holds the object. */
              released = entry->object;
              g_object_weak_ref (entry->object, object_finalized, GINT_TO_POINTER (entry->handle));
            }
        }
    }
  g_mutex_unlock (&handles_lock);

  g_clear_object (&released);
  return object;
}

/* Returns a new reference to the object named @handle if it exists and is
 * a @type, else %NULL. */
gpointer
dp_handles_lookup (gint32 handle,
                   GType  type)
{
  return lookup (handle, type, FALSE);
}

/* Like dp_handles_lookup(), and a receiver took it from a message: one
 * pending export is settled. */
gpointer
dp_handles_claim (gint32 handle,
                  GType  type)
{
  return lookup (handle, type, TRUE);
}

/* Returns a new reference to whatever @handle names, or %NULL. */
GObject *
dp_handles_peek (gint32 handle)
{
  return dp_handles_lookup (handle, G_TYPE_OBJECT);
}

/* Drops @object from the table. The caller must hold its own reference:
 * the table's may be the last but one. */
void
dp_handles_forget (GObject *object)
{
  gint32 handle;
  GObject *held = NULL;

  g_mutex_lock (&handles_lock);
  ensure_table ();
  handle = GPOINTER_TO_INT (g_object_get_qdata (object, handle_quark ()));
  if (handle != 0)
    {
      Entry *entry = g_hash_table_lookup (handles, GINT_TO_POINTER (handle));
      if (entry != NULL)
        held = remove_entry (entry);
    }
  g_mutex_unlock (&handles_lock);

  /* Unref outside the lock: finalizing may re-enter. */
  g_clear_object (&held);
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

/* Stops pinning @object: the table keeps it only while messages hold it
 * pending, and otherwise names it only while someone else holds it. */
void
dp_handles_unpin (GObject *object)
{
  GObject *released = NULL;
  gint32 handle;
  Entry *entry;

  g_mutex_lock (&handles_lock);
  ensure_table ();
  handle = GPOINTER_TO_INT (g_object_get_qdata (object, handle_quark ()));
  entry = handle != 0 ? g_hash_table_lookup (handles, GINT_TO_POINTER (handle)) : NULL;
  if (entry != NULL && entry->pinned)
    {
      entry->pinned = FALSE;
      if (!entry_holds (entry))
        {
          released = entry->object;
          g_object_weak_ref (entry->object, object_finalized, GINT_TO_POINTER (entry->handle));
        }
    }
  g_mutex_unlock (&handles_lock);

  g_clear_object (&released);
}

/* Whether the table holds a reference on @object. */
gboolean
dp_handles_holds (GObject *object)
{
  gboolean holds = FALSE;
  gint32 handle;
  Entry *entry;

  g_mutex_lock (&handles_lock);
  ensure_table ();
  handle = GPOINTER_TO_INT (g_object_get_qdata (object, handle_quark ()));
  entry = handle != 0 ? g_hash_table_lookup (handles, GINT_TO_POINTER (handle)) : NULL;
  holds = entry != NULL && entry_holds (entry);
  g_mutex_unlock (&handles_lock);

  return holds;
}
