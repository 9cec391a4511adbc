/* dp-shared-vector.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-vector"

#include "config.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dp-error.h"
#include "dp-handles-private.h"
#include "dp-shared-vector.h"

/**
 * DpSharedVector:
 *
 * A fixed-size mutable vector of bytes, 64-bit integers or doubles that
 * places share rather than copy: the seeds' `make-shared-bytes`,
 * `make-shared-fxvector` and `make-shared-flvector`. A write by one place
 * is seen by every place holding the vector; synchronise with messages or
 * [method@Dp.Place.wait], as with any shared memory.
 *
 * The memory is a `memfd` mapped shared, so it is shared by places in
 * threads of one process and by places in child processes of one node
 * alike: the processes backend passes the file descriptor along with the
 * message. Between nodes a vector is copied.
 *
 * In a message it is the handle from [method@Dp.SharedVector.to_variant].
 * Each such handle keeps the vector alive until a receiver takes it out
 * with [func@Dp.SharedVector.from_variant].
 */

struct _DpSharedVector
{
  GObject parent_instance;

  DpSharedVectorKind kind;
  gsize length;
  gsize size;
  int fd;
  gpointer data;
};

G_DEFINE_FINAL_TYPE (DpSharedVector, dp_shared_vector, G_TYPE_OBJECT)

static gsize
element_size (DpSharedVectorKind kind)
{
  return kind == DP_SHARED_VECTOR_BYTES ? 1 : 8;
}

static void
dp_shared_vector_finalize (GObject *object)
{
  DpSharedVector *self = DP_SHARED_VECTOR (object);

  if (self->data != NULL)
    munmap (self->data, self->size);
  if (self->fd >= 0)
    close (self->fd);

  G_OBJECT_CLASS (dp_shared_vector_parent_class)->finalize (object);
}

static void
dp_shared_vector_class_init (DpSharedVectorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dp_shared_vector_finalize;
}

static void
dp_shared_vector_init (DpSharedVector *self)
{
  self->fd = -1;
}

static gboolean
map_fd (DpSharedVector  *self,
        GError         **error)
{
  if (self->size == 0)
    return TRUE;

  self->data = mmap (NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
  if (self->data == MAP_FAILED)
    {
      int saved_errno = errno;
      self->data = NULL;
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "Cannot map a shared vector of %"
                   G_GSIZE_FORMAT " bytes: %s", self->size, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/**
 * dp_shared_vector_new:
 * @kind: what it holds
 * @length: how many elements
 * @error: return location for a #GError
 *
 * Creates a zero-filled shared vector.
 *
 * Returns: (transfer full): the vector, or %NULL with @error set
 */
DpSharedVector *
dp_shared_vector_new (DpSharedVectorKind   kind,
                      gsize                length,
                      GError             **error)
{
  g_autoptr(DpSharedVector) self = NULL;

  g_return_val_if_fail (kind <= DP_SHARED_VECTOR_FLONUMS, NULL);
  g_return_val_if_fail (length <= G_MAXSIZE / 8, NULL);

  self = g_object_new (DP_TYPE_SHARED_VECTOR, NULL);
  self->kind = kind;
  self->length = length;
  self->size = length * element_size (kind);
  self->fd = memfd_create ("dplaces-shared-vector", MFD_CLOEXEC);
  if (self->fd < 0 || ftruncate (self->fd, self->size) < 0)
    {
      int saved_errno = errno;
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "Cannot create a shared vector of %"
                   G_GSIZE_FORMAT " bytes: %s", self->size, g_strerror (saved_errno));
      return NULL;
    }
  if (!map_fd (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * dp_make_shared_bytes:
 * @length: how many bytes
 * @fill: the initial value of each
 * @error: return location for a #GError
 *
 * The seeds' `make-shared-bytes`.
 *
 * Returns: (transfer full): the vector, or %NULL with @error set
 */
DpSharedVector *
dp_make_shared_bytes (gsize    length,
                      guint8   fill,
                      GError **error)
{
  DpSharedVector *self = dp_shared_vector_new (DP_SHARED_VECTOR_BYTES, length, error);

  if (self != NULL && fill != 0)
    memset (self->data, fill, length);
  return self;
}

/**
 * dp_make_shared_fxvector:
 * @length: how many integers
 * @fill: the initial value of each
 * @error: return location for a #GError
 *
 * The seeds' `make-shared-fxvector`.
 *
 * Returns: (transfer full): the vector, or %NULL with @error set
 */
DpSharedVector *
dp_make_shared_fxvector (gsize    length,
                         gint64   fill,
                         GError **error)
{
  DpSharedVector *self = dp_shared_vector_new (DP_SHARED_VECTOR_FIXNUMS, length, error);

  if (self != NULL && fill != 0)
    for (gsize i = 0; i < length; i++)
      ((gint64 *) self->data)[i] = fill;
  return self;
}

/**
 * dp_make_shared_flvector:
 * @length: how many doubles
 * @fill: the initial value of each
 * @error: return location for a #GError
 *
 * The seeds' `make-shared-flvector`.
 *
 * Returns: (transfer full): the vector, or %NULL with @error set
 */
DpSharedVector *
dp_make_shared_flvector (gsize    length,
                         gdouble  fill,
                         GError **error)
{
  DpSharedVector *self = dp_shared_vector_new (DP_SHARED_VECTOR_FLONUMS, length, error);

  if (self != NULL && fill != 0.0)
    for (gsize i = 0; i < length; i++)
      ((gdouble *) self->data)[i] = fill;
  return self;
}

DpSharedVectorKind
dp_shared_vector_get_kind (DpSharedVector *self)
{
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (self), DP_SHARED_VECTOR_BYTES);
  return self->kind;
}

/**
 * dp_shared_vector_get_length:
 * @self: a vector
 *
 * Returns: how many elements @self has
 */
gsize
dp_shared_vector_get_length (DpSharedVector *self)
{
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (self), 0);
  return self->length;
}

/**
 * dp_shared_vector_get_size:
 * @self: a vector
 *
 * Returns: how many bytes @self has
 */
gsize
dp_shared_vector_get_size (DpSharedVector *self)
{
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (self), 0);
  return self->size;
}

/**
 * dp_shared_vector_get_data:
 * @self: a vector
 *
 * Returns: (transfer none) (nullable): the shared memory, %NULL when empty
 */
gpointer
dp_shared_vector_get_data (DpSharedVector *self)
{
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (self), NULL);
  return self->data;
}

/**
 * dp_shared_vector_get_bytes:
 * @self: a vector of bytes
 *
 * Returns: (transfer none) (nullable): its bytes, or %NULL if it holds
 *   something else
 */
guint8 *
dp_shared_vector_get_bytes (DpSharedVector *self)
{
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (self), NULL);
  return self->kind == DP_SHARED_VECTOR_BYTES ? self->data : NULL;
}

/**
 * dp_shared_vector_get_fixnums:
 * @self: a vector of integers
 *
 * Returns: (transfer none) (nullable): its integers, or %NULL if it holds
 *   something else
 */
gint64 *
dp_shared_vector_get_fixnums (DpSharedVector *self)
{
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (self), NULL);
  return self->kind == DP_SHARED_VECTOR_FIXNUMS ? self->data : NULL;
}

/**
 * dp_shared_vector_get_flonums:
 * @self: a vector of doubles
 *
 * Returns: (transfer none) (nullable): its doubles, or %NULL if it holds
 *   something else
 */
gdouble *
dp_shared_vector_get_flonums (DpSharedVector *self)
{
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (self), NULL);
  return self->kind == DP_SHARED_VECTOR_FLONUMS ? self->data : NULL;
}

/**
 * dp_shared_vector_to_variant:
 * @self: a vector
 *
 * Returns the handle that stands for @self in a message. It keeps @self
 * alive until a receiver takes it out with
 * [func@Dp.SharedVector.from_variant].
 *
 * Returns: (transfer floating): a handle
 */
GVariant *
dp_shared_vector_to_variant (DpSharedVector *self)
{
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (self), NULL);
  return g_variant_new_handle (dp_handles_export_pending (G_OBJECT (self)));
}

/**
 * dp_shared_vector_from_variant:
 * @value: a handle from [method@Dp.SharedVector.to_variant]
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the shared vector, or %NULL with @error set
 */
DpSharedVector *
dp_shared_vector_from_variant (GVariant  *value,
                               GError   **error)
{
  DpSharedVector *self;

  g_return_val_if_fail (value != NULL, NULL);

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_HANDLE))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected a shared vector handle, got a value of type “%s”",
                   g_variant_get_type_string (value));
      return NULL;
    }

  self = dp_handles_claim (g_variant_get_handle (value), DP_TYPE_SHARED_VECTOR);
  if (self == NULL)
    g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                 "Handle %d names no shared vector (any more)", g_variant_get_handle (value));
  return self;
}

/**
 * dp_shared_vector_get_fd:
 * @self: a vector
 *
 * For transports: the memfd behind @self, owned by @self.
 *
 * Returns: a file descriptor
 */
int
dp_shared_vector_get_fd (DpSharedVector *self)
{
  g_return_val_if_fail (DP_IS_SHARED_VECTOR (self), -1);
  return self->fd;
}

/**
 * dp_shared_vector_new_from_fd:
 * @fd: a memfd received from another process; the vector owns it
 * @kind: what it holds
 * @length: how many elements
 * @error: return location for a #GError
 *
 * For transports: maps the memory of a vector another process made.
 *
 * Returns: (transfer full): the vector, or %NULL with @error set
 */
DpSharedVector *
dp_shared_vector_new_from_fd (int                  fd,
                              DpSharedVectorKind   kind,
                              gsize                length,
                              GError             **error)
{
  g_autoptr(DpSharedVector) self = NULL;
  struct stat st;

  if (kind > DP_SHARED_VECTOR_FLONUMS || length > G_MAXSIZE / 8)
    {
      close (fd);
      g_set_error_literal (error, DP_ERROR, DP_ERROR_PROTOCOL, "Invalid shared vector description");
      return NULL;
    }

  self = g_object_new (DP_TYPE_SHARED_VECTOR, NULL);
  self->kind = kind;
  self->length = length;
  self->size = length * element_size (kind);
  self->fd = fd;

  /* The peer may lie about the size: map only what the file has. */
  if (fstat (fd, &st) < 0 || (guint64) st.st_size < self->size)
    {
      g_set_error_literal (error, DP_ERROR, DP_ERROR_PROTOCOL,
                           "Shared vector file is smaller than its description");
      return NULL;
    }
  if (!map_fd (self, error))
    return NULL;

  return g_steal_pointer (&self);
}
