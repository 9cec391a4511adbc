/* dp-kv-table.c: the sorted, coalesced key–value lists a worker holds
 *
 * A table is what the seeds' worker keeps between steps: a list of
 * (key, values) pairs sorted by key, each key once. Here the keys and the
 * value arrays stay in their GVariant serialized form, in blocks that
 * never move or in the buffer a message arrived in, and an entry is two
 * slices. So:
 *
 *   - a table crosses to another worker as one `a(KaV)` message that
 *     this file writes directly from the slices (one copy, into the
 *     message), the transport writes with one sendmsg() and the receiver
 *     reads with one recvmsg(); the receiver's table then points into
 *     that buffer — nothing is copied or parsed into GVariants;
 *   - merging two tables moves slices; only the values of a key present
 *     in both are copied (concatenated) and handed to the reducer;
 *   - a GVariant is made only to call the user's reducer or sorter, over
 *     the slice, without copying it.
 *
 * The layout rules are those of the GVariant serialization format
 * (alignment, framing offsets, offset sizes); what this file writes is in
 * normal form, byte for byte what GLib would write (the tests check).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-mapreduce"

#include "config.h"

#include <string.h>

#include "dp-kv-table-private.h"
#include "dp-map-reduce-protocol-private.h"

#define ALIGN_UP(offset, align) (((offset) + (align) - 1) & ~((gsize) (align) - 1))

/* A block of the store: big enough that a task's keys take a handful. */
#define BLOCK_SIZE (256 * 1024)

/* A table bigger than this crosses in chunks: frames are limited to 64 MiB. */
#define CHUNK_SIZE (16 * 1024 * 1024)

/* ── shapes ───────────────────────────────────────────────────────── */

static const char *
parse_shape (const char *type,
             DpKvShape  *shape)
{
  switch (*type)
    {
    case 'b': case 'y':
      *shape = (DpKvShape) { 1, 1 };
      return type + 1;
    case 'n': case 'q':
      *shape = (DpKvShape) { 2, 2 };
      return type + 1;
    case 'i': case 'u': case 'h':
      *shape = (DpKvShape) { 4, 4 };
      return type + 1;
    case 'x': case 't': case 'd':
      *shape = (DpKvShape) { 8, 8 };
      return type + 1;
    case 's': case 'o': case 'g':
      *shape = (DpKvShape) { 1, 0 };
      return type + 1;
    case 'v':
      *shape = (DpKvShape) { 8, 0 };
      return type + 1;
    case 'a': case 'm':
      {
        DpKvShape element;
        const char *end = parse_shape (type + 1, &element);

        if (end == NULL)
          return NULL;
        *shape = (DpKvShape) { element.align, 0 };
        return end;
      }
    case '(': case '{':
      {
        char close = *type == '(' ? ')' : '}';
        gsize align = 1, offset = 0;
        gboolean fixed = TRUE;
        guint n = 0;

        type++;
        while (*type != close)
          {
            DpKvShape member;

            if (*type == '\0')
              return NULL;
            type = parse_shape (type, &member);
            if (type == NULL)
              return NULL;
            align = MAX (align, member.align);
            if (fixed && member.fixed_size != 0)
              offset = ALIGN_UP (offset, member.align) + member.fixed_size;
            else
              fixed = FALSE;
            n++;
          }
        if (!fixed)
          *shape = (DpKvShape) { align, 0 };
        else if (n == 0)
          *shape = (DpKvShape) { 1, 1 };    /* the unit type */
        else
          *shape = (DpKvShape) { align, ALIGN_UP (offset, align) };
        return type + 1;
      }
    default:
      return NULL;
    }
}

/* The alignment and fixed size of a definite type. */
gboolean
dp_kv_shape_of_type (const char *type_string,
                     DpKvShape  *shape)
{
  const char *end = parse_shape (type_string, shape);

  return end != NULL && *end == '\0';
}

/* ── framing offsets ──────────────────────────────────────────────── */

/* The width of the framing offsets of a container of @size bytes. */
static inline gsize
offset_width (gsize size)
{
  if (size > G_MAXUINT32)
    return 8;
  if (size > G_MAXUINT16)
    return 4;
  if (size > G_MAXUINT8)
    return 2;
  return size > 0 ? 1 : 0;
}

/* The size of a container of @body bytes and @n_offsets framing offsets. */
static inline gsize
container_size (gsize body,
                gsize n_offsets)
{
  if (body + n_offsets <= G_MAXUINT8)
    return body + n_offsets;
  if (body + 2 * n_offsets <= G_MAXUINT16)
    return body + 2 * n_offsets;
  if (body + 4 * n_offsets <= G_MAXUINT32)
    return body + 4 * n_offsets;
  return body + 8 * n_offsets;
}

static inline void
write_offset (guint8 *where,
              gsize   value,
              gsize   width)
{
  for (gsize i = 0; i < width; i++)
    where[i] = (guint8) (value >> (8 * i));
}

static inline gsize
read_offset (const guint8 *where,
             gsize         width)
{
  gsize value = 0;

  for (gsize i = 0; i < width; i++)
    value |= (gsize) where[i] << (8 * i);
  return value;
}

/* The elements of an array of variable-size elements aligned to @align,
 * appended to @out. Checks every offset against the buffer. */
static gboolean
read_variable_array (const guint8  *data,
                     gsize          size,
                     gsize          align,
                     GArray        *out)
{
  gsize width, body_end, n, position = 0;

  if (size == 0)
    return TRUE;

  width = offset_width (size);
  body_end = read_offset (data + size - width, width);
  if (body_end > size - width || (size - body_end) % width != 0)
    return FALSE;

  n = (size - body_end) / width;
  for (gsize i = 0; i < n; i++)
    {
      gsize end = read_offset (data + body_end + i * width, width);
      gsize start = ALIGN_UP (position, align);
      DpKvSlice slice;

      if (start > end || end > body_end)
        return FALSE;
      slice.data = data + start;
      slice.size = end - start;
      g_array_append_val (out, slice);
      position = end;
    }
  return TRUE;
}

/* How many values an array of @shape holds, or FALSE if it is malformed. */
static gboolean
count_values (const guint8    *data,
              gsize            size,
              const DpKvShape *shape,
              gsize           *out_n)
{
  gsize width, body_end;

  if (shape->fixed_size != 0)
    {
      if (size % shape->fixed_size != 0)
        return FALSE;
      *out_n = size / shape->fixed_size;
      return TRUE;
    }

  if (size == 0)
    {
      *out_n = 0;
      return TRUE;
    }
  width = offset_width (size);
  body_end = read_offset (data + size - width, width);
  if (body_end > size - width || (size - body_end) % width != 0)
    return FALSE;
  *out_n = (size - body_end) / width;
  return TRUE;
}

/* The size of an array of variable-size elements. */
static gsize
variable_array_size (const DpKvSlice *items,
                     gsize        n,
                     gsize        align,
                     gsize       *out_body)
{
  gsize body = 0;

  for (gsize i = 0; i < n; i++)
    body = ALIGN_UP (body, align) + items[i].size;
  *out_body = body;
  return container_size (body, n);
}

/* Writes an array of variable-size elements at @out (zeroing padding). */
static void
write_variable_array (guint8      *out,
                      const DpKvSlice *items,
                      gsize        n,
                      gsize        align,
                      gsize        body,
                      gsize        size)
{
  gsize width = offset_width (size), position = 0;

  for (gsize i = 0; i < n; i++)
    {
      gsize start = ALIGN_UP (position, align);

      memset (out + position, 0, start - position);
      if (items[i].size > 0)
        memcpy (out + start, items[i].data, items[i].size);
      position = start + items[i].size;
      write_offset (out + body + i * width, position, width);
    }
}

/* ── the store ────────────────────────────────────────────────────── */

void
dp_kv_store_init (DpKvStore *store)
{
  memset (store, 0, sizeof *store);
  store->owners = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

void
dp_kv_store_clear (DpKvStore *store)
{
  g_clear_pointer (&store->owners, g_ptr_array_unref);
  store->owned = 0;
  store->block = NULL;
  store->block_used = store->block_size = 0;
}

/* Memory for @size bytes aligned to @align (at most 8), valid as long as
 * the store's owners are held. */
guint8 *
dp_kv_store_alloc (DpKvStore *store,
                   gsize      size,
                   gsize      align)
{
  gsize start = ALIGN_UP (store->block_used, align);
  guint8 *block;

  if (store->block != NULL && start + size <= store->block_size)
    {
      store->block_used = start + size;
      return store->block + start;
    }

  /* malloc() aligns to 16. A big allocation gets a block of its own and
   * the block being filled stays current. */
  block = g_malloc (MAX (size, 1));
  if (size >= BLOCK_SIZE / 4)
    {
      g_ptr_array_add (store->owners, g_bytes_new_take (block, size));
      store->owned += size;
      return block;
    }

  g_free (block);
  block = g_malloc (BLOCK_SIZE);
  g_ptr_array_add (store->owners, g_bytes_new_take (block, BLOCK_SIZE));
  store->owned += BLOCK_SIZE;
  store->block = block;
  store->block_size = BLOCK_SIZE;
  store->block_used = size;
  return block;
}

/* Moves @from's memory into @store; @from is left empty. */
void
dp_kv_store_take (DpKvStore *store,
                  DpKvStore *from)
{
  for (guint i = 0; i < from->owners->len; i++)
    g_ptr_array_add (store->owners, g_bytes_ref (g_ptr_array_index (from->owners, i)));
  store->owned += from->owned;
  g_ptr_array_set_size (from->owners, 0);
  from->owned = 0;
  from->block = NULL;
  from->block_used = from->block_size = 0;
}

/* Holds @from's memory too; @from keeps it. */
void
dp_kv_store_share (DpKvStore *store,
                   DpKvStore *from)
{
  for (guint i = 0; i < from->owners->len; i++)
    g_ptr_array_add (store->owners, g_bytes_ref (g_ptr_array_index (from->owners, i)));
  store->owned += from->owned;
}

static void
store_hold (DpKvStore *store,
            GBytes    *bytes)
{
  g_ptr_array_add (store->owners, g_bytes_ref (bytes));
  store->owned += g_bytes_get_size (bytes);
}

/* ── the order of keys ────────────────────────────────────────────── */

void
dp_kv_order_init (DpKvOrder         *order,
                  const char        *key_type,
                  DpMapReduceSorter  sorter)
{
  if (sorter == dp_map_reduce_default_sorter)
    sorter = NULL;
  order->sorter = sorter != NULL ? sorter : dp_map_reduce_default_sorter;
  order->key_type = G_VARIANT_TYPE (key_type);
  order->basic = sorter == NULL && key_type[0] != '\0' && key_type[1] == '\0' &&
                 strchr ("bynqihuxtdsog", key_type[0]) != NULL ? key_type[0] : 0;
}

#define COMPARE_AS(ctype) \
  G_STMT_START { \
    ctype x_, y_; \
    memcpy (&x_, a, sizeof x_); \
    memcpy (&y_, b, sizeof y_); \
    return (x_ > y_) - (x_ < y_); \
  } G_STMT_END

/* Compares two serialized keys: natively for basic types in the default
 * order (the default sorter's order, without making GVariants), else
 * with the sorter. */
gint
dp_kv_order_compare (const DpKvOrder *order,
                     const guint8    *a,
                     gsize            a_size,
                     const guint8    *b,
                     gsize            b_size)
{
  switch (order->basic)
    {
    case 's': case 'o': case 'g':
      {
        /* Serialized strings end with their NUL: byte order is strcmp()'s. */
        gint result = MIN (a_size, b_size) > 0 ? memcmp (a, b, MIN (a_size, b_size)) : 0;

        if (result != 0)
          return result;
        return (a_size > b_size) - (a_size < b_size);
      }
    case 'b': case 'y':
      COMPARE_AS (guint8);
    case 'n':
      COMPARE_AS (gint16);
    case 'q':
      COMPARE_AS (guint16);
    case 'i': case 'h':
      COMPARE_AS (gint32);
    case 'u':
      COMPARE_AS (guint32);
    case 'x':
      COMPARE_AS (gint64);
    case 't':
      COMPARE_AS (guint64);
    case 'd':
      COMPARE_AS (gdouble);
    default:
      {
        g_autoptr(GVariant) va = g_variant_ref_sink (g_variant_new_from_data (order->key_type, a, a_size,
                                                                              FALSE, NULL, NULL));
        g_autoptr(GVariant) vb = g_variant_ref_sink (g_variant_new_from_data (order->key_type, b, b_size,
                                                                              FALSE, NULL, NULL));

        return order->sorter (va, vb);
      }
    }
}

#undef COMPARE_AS

/* ── tables ───────────────────────────────────────────────────────── */

DpKvTable *
dp_kv_table_new (void)
{
  DpKvTable *table = g_new0 (DpKvTable, 1);

  table->entries = g_array_new (FALSE, FALSE, sizeof (DpKvEntry));
  dp_kv_store_init (&table->store);
  table->reduced = TRUE;
  return table;
}

void
dp_kv_table_free (DpKvTable *table)
{
  if (table == NULL)
    return;
  g_free (table->key_type);
  g_free (table->value_type);
  g_free (table->values_type);
  g_clear_pointer (&table->anchor, g_variant_unref);
  g_array_unref (table->entries);
  dp_kv_store_clear (&table->store);
  g_free (table);
}

guint
dp_kv_table_get_n_entries (DpKvTable *table)
{
  return table->entries->len;
}

gboolean
dp_kv_table_set_types (DpKvTable   *table,
                       const char  *key_type,
                       const char  *value_type,
                       GError     **error)
{
  if (!g_variant_type_string_is_valid (key_type) ||
      !g_variant_type_string_is_valid (value_type) ||
      !dp_kv_shape_of_type (key_type, &table->key_shape) ||
      !dp_kv_shape_of_type (value_type, &table->value_shape))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Keys of type “%s” with values of type “%s” cannot be mapped or reduced",
                   key_type, value_type);
      return FALSE;
    }

  g_free (table->key_type);
  g_free (table->value_type);
  g_free (table->values_type);
  table->key_type = g_strdup (key_type);
  table->value_type = g_strdup (value_type);
  table->values_type = g_strconcat ("a", value_type, NULL);
  /* GLib frees a container type's info with its last value and builds it
   * again for the next: a value held keeps it, for the reducer calls. */
  g_clear_pointer (&table->anchor, g_variant_unref);
  table->anchor = g_variant_ref_sink (g_variant_new_from_data ((const GVariantType *) table->values_type,
                                                               NULL, 0, TRUE, NULL, NULL));
  return TRUE;
}

/* The size of one (key, values) tuple, serialized. */
static gsize
entry_size (const DpKvTable *table,
            const DpKvEntry *entry)
{
  gsize body = ALIGN_UP (entry->key_size, table->value_shape.align) + entry->values_size;

  if (table->key_shape.fixed_size != 0)
    return body;
  /* A variable-size key is framed by its end offset. */
  return container_size (body, 1);
}

static void
write_entry (const DpKvTable *table,
             const DpKvEntry *entry,
             guint8          *out,
             gsize            size)
{
  gsize values_start = ALIGN_UP (entry->key_size, table->value_shape.align);

  if (entry->key_size > 0)
    memcpy (out, entry->key, entry->key_size);
  memset (out + entry->key_size, 0, values_start - entry->key_size);
  if (entry->values_size > 0)
    memcpy (out + values_start, entry->values, entry->values_size);
  if (table->key_shape.fixed_size == 0)
    write_offset (out + values_start + entry->values_size, entry->key_size, offset_width (size));
}

/* The table as one a(KaV) value, written from its slices in one pass. An
 * untyped table (no mapper output yet) is an empty a(vav). */
GVariant *
dp_kv_table_to_variant (DpKvTable *table)
{
  return dp_kv_table_range_to_variant (table, 0, table->entries->len);
}

/* Entries @first to @first + @n of the table, as dp_kv_table_to_variant(). */
GVariant *
dp_kv_table_range_to_variant (DpKvTable *table,
                              guint      first,
                              guint      n)
{
  g_autofree char *type = NULL;
  g_autofree gsize *sizes = NULL;
  gsize align, body = 0, size, width, position = 0;
  guint8 *out;

  g_assert (first + n <= table->entries->len);

  if (table->key_type == NULL)
    return g_variant_new_array (G_VARIANT_TYPE ("(vav)"), NULL, 0);

  type = g_strdup_printf ("a(%sa%s)", table->key_type, table->value_type);
  if (n == 0)
    return g_variant_new_from_data (G_VARIANT_TYPE (type), NULL, 0, TRUE, NULL, NULL);

  align = MAX (table->key_shape.align, table->value_shape.align);
  sizes = g_new (gsize, n);
  for (guint i = 0; i < n; i++)
    {
      sizes[i] = entry_size (table, &g_array_index (table->entries, DpKvEntry, first + i));
      body = ALIGN_UP (body, align) + sizes[i];
    }
  size = container_size (body, n);
  width = offset_width (size);

  out = g_malloc (size);
  for (guint i = 0; i < n; i++)
    {
      gsize start = ALIGN_UP (position, align);

      memset (out + position, 0, start - position);
      write_entry (table, &g_array_index (table->entries, DpKvEntry, first + i), out + start, sizes[i]);
      position = start + sizes[i];
      write_offset (out + body + i * width, position, width);
    }

  return g_variant_new_from_data (G_VARIANT_TYPE (type), out, size, TRUE, g_free, out);
}

static gboolean
read_entry (DpKvTable    *table,
            const guint8 *data,
            gsize         size,
            DpKvEntry    *entry)
{
  gsize key_end, values_start, values_end = size;

  if (table->key_shape.fixed_size != 0)
    key_end = table->key_shape.fixed_size;
  else
    {
      gsize width = offset_width (size);

      if (width > size)
        return FALSE;
      values_end = size - width;
      key_end = read_offset (data + values_end, width);
    }
  values_start = ALIGN_UP (key_end, table->value_shape.align);
  if (key_end > values_end || values_start > values_end)
    return FALSE;

  entry->key = data;
  entry->key_size = key_end;
  entry->values = data + values_start;
  entry->values_size = values_end - values_start;
  return count_values (entry->values, entry->values_size, &table->value_shape, &entry->n_values);
}

/* A table over a received a(KaV) value, pointing into its buffer. */
DpKvTable *
dp_kv_table_new_from_variant (GVariant  *value,
                              GError   **error)
{
  g_autoptr(DpKvTable) table = dp_kv_table_new ();
  g_autoptr(GArray) slices = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const GVariantType *type = g_variant_get_type (value);
  const GVariantType *tuple, *key, *values;
  g_autofree char *key_type = NULL;
  g_autofree char *value_type = NULL;
  DpKvShape entry_shape;

  if (!g_variant_type_is_array (type) ||
      !g_variant_type_is_tuple (tuple = g_variant_type_element (type)) ||
      g_variant_type_n_items (tuple) != 2 ||
      !g_variant_type_is_array (values = g_variant_type_next (key = g_variant_type_first (tuple))))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected a list of (key, values) pairs, of type a(KaV), got a value of type “%s”",
                   g_variant_get_type_string (value));
      return NULL;
    }

  /* Received messages are checked for normal form already: this costs
   * nothing then. */
  if (!g_variant_is_normal_form (value))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "A list of (key, values) pairs is not in normal form");
      return NULL;
    }

  key_type = g_variant_type_dup_string (key);
  value_type = g_variant_type_dup_string (g_variant_type_element (values));
  if (g_variant_get_size (value) == 0)
    return g_steal_pointer (&table);     /* untyped: merges with anything */
  if (!dp_kv_table_set_types (table, key_type, value_type, error))
    return NULL;

  bytes = g_variant_get_data_as_bytes (value);
  store_hold (&table->store, bytes);

  entry_shape.align = MAX (table->key_shape.align, table->value_shape.align);
  slices = g_array_new (FALSE, FALSE, sizeof (DpKvSlice));
  if (!read_variable_array (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                            entry_shape.align, slices))
    goto malformed;

  g_array_set_size (table->entries, slices->len);
  for (guint i = 0; i < slices->len; i++)
    {
      DpKvSlice *slice = &g_array_index (slices, DpKvSlice, i);

      if (!read_entry (table, slice->data, slice->size,
                       &g_array_index (table->entries, DpKvEntry, i)))
        goto malformed;
    }
  return g_steal_pointer (&table);

malformed:
  g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
               "A list of (key, values) pairs of type “%s” is malformed",
               g_variant_get_type_string (value));
  return NULL;
}

/* Writes an array of @n_values values into the table's store. */
const guint8 *
dp_kv_table_write_values (DpKvTable       *table,
                          const DpKvSlice *values,
                          gsize            n_values,
                          gsize           *out_size)
{
  const DpKvShape *shape = &table->value_shape;
  gsize body, size;
  guint8 *out;

  if (shape->fixed_size != 0)
    {
      size = n_values * shape->fixed_size;
      out = dp_kv_store_alloc (&table->store, size, shape->align);
      for (gsize i = 0; i < n_values; i++)
        memcpy (out + i * shape->fixed_size, values[i].data, shape->fixed_size);
    }
  else
    {
      size = variable_array_size (values, n_values, shape->align, &body);
      out = dp_kv_store_alloc (&table->store, size, shape->align);
      write_variable_array (out, values, n_values, shape->align, body, size);
    }
  *out_size = size;
  return out;
}

/* Sets @entry's values to the concatenation of @parts, value arrays of
 * the table's value type, in the table's store. */
gboolean
dp_kv_table_join_values (DpKvTable        *table,
                         DpKvEntry        *entry,
                         const DpKvSlice  *parts,
                         gsize             n_parts,
                         GError          **error)
{
  const DpKvShape *shape = &table->value_shape;
  gsize size = 0;
  guint8 *out;

  if (shape->fixed_size != 0)
    {
      for (gsize i = 0; i < n_parts; i++)
        size += parts[i].size;
      out = dp_kv_store_alloc (&table->store, size, shape->align);
      size = 0;
      for (gsize i = 0; i < n_parts; i++)
        {
          if (parts[i].size > 0)
            memcpy (out + size, parts[i].data, parts[i].size);
          size += parts[i].size;
        }
      entry->values = out;
      entry->values_size = size;
      entry->n_values = size / shape->fixed_size;
    }
  else
    {
      g_autoptr(GArray) items = g_array_new (FALSE, FALSE, sizeof (DpKvSlice));
      gsize body;

      for (gsize i = 0; i < n_parts; i++)
        if (!read_variable_array (parts[i].data, parts[i].size, shape->align, items))
          {
            g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                         "A list of values of type “%s” is malformed", table->values_type);
            return FALSE;
          }
      size = variable_array_size ((DpKvSlice *) (gpointer) items->data, items->len, shape->align, &body);
      out = dp_kv_store_alloc (&table->store, size, shape->align);
      write_variable_array (out, (DpKvSlice *) (gpointer) items->data, items->len, shape->align, body, size);
      entry->values = out;
      entry->values_size = size;
      entry->n_values = items->len;
    }
  return TRUE;
}

/* Appends @more's values to @into's, in the table's store. */
gboolean
dp_kv_table_concat_values (DpKvTable        *table,
                           DpKvEntry        *into,
                           const DpKvEntry  *more,
                           GError          **error)
{
  DpKvSlice parts[2] = { { into->values, into->values_size }, { more->values, more->values_size } };

  return dp_kv_table_join_values (table, into, parts, 2, error);
}

/* Calls @reducer on @entry's key and values and puts what it returns in
 * their place: n_values 0 means the key is to be dropped. */
gboolean
dp_kv_table_reduce_entry (DpKvTable           *table,
                          DpKvEntry           *entry,
                          DpMapReduceReducer   reducer,
                          const char          *name,
                          GError             **error)
{
  g_autoptr(GVariant) key = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) normal = NULL;
  GError *local_error = NULL;
  gsize size;
  guint8 *out;

  /* Trusted: the data is in normal form — written here, or checked when
   * it arrived. (GLib 2.74 walks an untrusted array's offsets again for
   * each element it reads.) */
  key = g_variant_ref_sink (g_variant_new_from_data ((const GVariantType *) table->key_type,
                                                     entry->key, entry->key_size, TRUE, NULL, NULL));
  values = g_variant_ref_sink (g_variant_new_from_data ((const GVariantType *) table->values_type,
                                                        entry->values, entry->values_size,
                                                        TRUE, NULL, NULL));
  result = reducer (key, values, &local_error);
  if (result == NULL)
    {
      g_autofree char *text = g_variant_print (key, FALSE);

      if (local_error == NULL)
        g_set_error_literal (&local_error, DP_ERROR, DP_ERROR_FAILED,
                             "returned NULL without saying why");
      g_prefix_error (&local_error, "%s failed on key %s: ", name, text);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  g_variant_take_ref (result);
  g_clear_error (&local_error);

  if (!g_variant_is_of_type (result, (const GVariantType *) table->values_type))
    {
      g_autofree char *text = g_variant_print (key, FALSE);

      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "%s failed on key %s: it returned a value of type “%s” for values of type “%s”",
                   name, text, g_variant_get_type_string (result), table->values_type);
      return FALSE;
    }
  if (!g_variant_is_normal_form (result))
    result = normal = g_variant_get_normal_form (result);

  size = g_variant_get_size (result);
  out = dp_kv_store_alloc (&table->store, size, table->value_shape.align);
  if (size > 0)
    memcpy (out, g_variant_get_data (result), size);
  entry->values = out;
  entry->values_size = size;
  if (!count_values (out, size, &table->value_shape, &entry->n_values))
    entry->n_values = g_variant_n_children (result);
  return TRUE;
}

/* Puts entries @first to @first + @n of @table on @to: one a(KaV)
 * message, or ('chunks', N) and N of them when it is too big for one. */
gboolean
dp_kv_table_send (DpKvTable  *table,
                  guint       first,
                  guint       n,
                  DpChannel  *to,
                  GError    **error)
{
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (guint));
  gsize size = 0;

  g_assert (first + n <= table->entries->len);

  g_array_append_val (starts, first);
  for (guint i = first; i < first + n; i++)
    {
      /* The entry, its alignment and its framing offset, at most. */
      gsize more = entry_size (table, &g_array_index (table->entries, DpKvEntry, i)) + 16;

      if (size > 0 && size + more > CHUNK_SIZE)
        {
          g_array_append_val (starts, i);
          size = 0;
        }
      size += more;
    }

  if (starts->len == 1)
    return dp_channel_put (to, dp_kv_table_range_to_variant (table, first, n), error);

  if (!dp_channel_put (to, g_variant_new ("(su)", DP_MR_CHUNKS, starts->len), error))
    return FALSE;
  for (guint c = 0; c < starts->len; c++)
    {
      guint start = g_array_index (starts, guint, c);
      guint end = c + 1 < starts->len ? g_array_index (starts, guint, c + 1) : first + n;

      if (!dp_channel_put (to, dp_kv_table_range_to_variant (table, start, end - start), error))
        return FALSE;
    }
  return TRUE;
}

/* A table from one message: a peer that failed says why instead. */
static DpKvTable *
table_from_message (GVariant    *message,
                    const char  *peer,
                    GError     **error)
{
  if (dp_message_get_tag (message) != NULL)
    {
      const char *why = "it sent something else than its data";

      if (g_variant_is_of_type (message, G_VARIANT_TYPE (DP_MR_FAILED_TYPE)))
        g_variant_get_child (message, 3, "&s", &why);
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "%s: %s", peer, why);
      return NULL;
    }
  return dp_kv_table_new_from_variant (message, error);
}

/* Gets a table sent with dp_kv_table_send(), from @first_message if
 * given (already got) and what follows it on @from. A failure to get is
 * DP_ERROR_PEER_DIED or DP_ERROR_CLOSED, from the channel; a peer's own
 * failure is DP_ERROR_FAILED, naming @peer. */
DpKvTable *
dp_kv_table_receive (DpChannel   *from,
                     GVariant    *first_message,
                     const char  *peer,
                     GError     **error)
{
  g_autoptr(GVariant) first = first_message != NULL ? g_variant_ref (first_message)
                                                    : dp_channel_get (from, error);
  g_autoptr(DpKvTable) table = NULL;
  guint32 n;

  if (first == NULL)
    return NULL;
  if (!g_variant_is_of_type (first, G_VARIANT_TYPE ("(su)")) ||
      !g_str_equal (dp_message_get_tag (first), DP_MR_CHUNKS))
    return table_from_message (first, peer, error);

  g_variant_get (first, "(&su)", NULL, &n);
  table = dp_kv_table_new ();
  for (guint32 c = 0; c < n; c++)
    {
      g_autoptr(GVariant) message = dp_channel_get (from, error);
      DpKvTable *chunk;

      if (message == NULL || (chunk = table_from_message (message, peer, error)) == NULL ||
          !dp_kv_table_append (table, chunk, error))
        return NULL;
    }
  return g_steal_pointer (&table);
}

/* A table of entries @first to @first + @n of @table, sharing its memory. */
DpKvTable *
dp_kv_table_new_range (DpKvTable *table,
                       guint      first,
                       guint      n)
{
  DpKvTable *range = dp_kv_table_new ();

  g_assert (first + n <= table->entries->len);
  if (table->key_type != NULL)
    dp_kv_table_set_types (range, table->key_type, table->value_type, NULL);
  dp_kv_store_share (&range->store, &table->store);
  /* An empty table may have no entry memory at all to point into. */
  if (n > 0)
    g_array_append_vals (range->entries, &g_array_index (table->entries, DpKvEntry, first), n);
  range->reduced = table->reduced;
  return range;
}

/* The index of the first entry whose key is not before @key. */
guint
dp_kv_table_lower_bound (DpKvTable       *table,
                         const DpKvOrder *order,
                         GVariant        *key)
{
  const guint8 *data = g_variant_get_data (key);
  gsize size = g_variant_get_size (key);
  guint low = 0, high = table->entries->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;
      DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, middle);

      if (dp_kv_order_compare (order, entry->key, entry->key_size, data, size) < 0)
        low = middle + 1;
      else
        high = middle;
    }
  return low;
}

/* Appends @more, whose keys all come after @table's, to @table; consumes
 * @more. */
gboolean
dp_kv_table_append (DpKvTable  *table,
                    DpKvTable  *more,
                    GError    **error)
{
  gboolean ok = TRUE;

  if (more->entries->len == 0)
    ;
  else if (table->entries->len > 0 &&
           (!g_str_equal (table->key_type, more->key_type) || !g_str_equal (table->value_type, more->value_type)))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Cannot join keys of type “%s” with values of type “%s” and keys of type “%s” "
                   "with values of type “%s”", table->key_type, table->value_type,
                   more->key_type, more->value_type);
      ok = FALSE;
    }
  else
    {
      if (table->entries->len == 0)
        dp_kv_table_set_types (table, more->key_type, more->value_type, NULL);
      dp_kv_store_take (&table->store, &more->store);
      g_array_append_vals (table->entries, more->entries->data, more->entries->len);
      table->reduced = table->reduced && more->reduced;
    }
  dp_kv_table_free (more);
  return ok;
}

/* Copies every entry into fresh memory when most of what the table holds
 * is no longer pointed at (values replaced by reductions, old buffers). */
static void
maybe_compact (DpKvTable *table)
{
  DpKvStore fresh;
  gsize live = 0;

  for (guint i = 0; i < table->entries->len; i++)
    {
      DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, i);
      live += entry->key_size + entry->values_size + 16;
    }
  if (table->store.owned < 4 * live + 16 * 1024 * 1024)
    return;

  g_debug ("compacting a table: %" G_GSIZE_FORMAT " bytes held, %" G_GSIZE_FORMAT " used",
           table->store.owned, live);
  dp_kv_store_init (&fresh);
  for (guint i = 0; i < table->entries->len; i++)
    {
      DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, i);
      guint8 *key = dp_kv_store_alloc (&fresh, entry->key_size, table->key_shape.align);
      guint8 *values = dp_kv_store_alloc (&fresh, entry->values_size, table->value_shape.align);

      if (entry->key_size > 0)
        memcpy (key, entry->key, entry->key_size);
      if (entry->values_size > 0)
        memcpy (values, entry->values, entry->values_size);
      entry->key = key;
      entry->values = values;
    }
  dp_kv_store_clear (&table->store);
  table->store = fresh;
}

/* Merges tables sorted in the same order into one: each key once, its
 * values those of every table in turn, reduced once if more than one
 * table had it (or if its only table was not reduced yet). Consumes the
 * tables and empties @tables. */
DpKvTable *
dp_kv_table_merge_many (GPtrArray             *tables,
                        const DpKvProcedures  *procedures,
                        GError               **error)
{
  g_autoptr(DpKvTable) out = dp_kv_table_new ();
  g_autofree guint *cursors = NULL;
  g_autofree guint *heads = NULL;
  g_autoptr(GArray) parts = NULL;
  DpKvTable *typed = NULL;
  DpKvOrder order;
  guint n = 0;

  /* Empty tables merge with anything. */
  for (guint i = 0; i < tables->len; i++)
    {
      DpKvTable *table = g_ptr_array_index (tables, i);

      if (table->entries->len == 0)
        {
          g_ptr_array_remove_index (tables, i--);
          continue;
        }
      if (typed != NULL &&
          (!g_str_equal (typed->key_type, table->key_type) ||
           !g_str_equal (typed->value_type, table->value_type)))
        {
          g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                       "Cannot merge keys of type “%s” with values of type “%s” and keys of type "
                       "“%s” with values of type “%s”: every task's mapper output must have one type",
                       typed->key_type, typed->value_type, table->key_type, table->value_type);
          g_ptr_array_set_size (tables, 0);
          return NULL;
        }
      typed = table;
    }
  if (tables->len == 0)
    {
      out->reduced = TRUE;
      return g_steal_pointer (&out);
    }
  if (tables->len == 1 && typed->reduced)
    return g_ptr_array_steal_index (tables, 0);

  dp_kv_table_set_types (out, typed->key_type, typed->value_type, NULL);
  n = tables->len;
  for (guint i = 0; i < n; i++)
    dp_kv_store_take (&out->store, &((DpKvTable *) g_ptr_array_index (tables, i))->store);
  dp_kv_order_init (&order, out->key_type, procedures->sorter);
  cursors = g_new0 (guint, n);
  heads = g_new (guint, n);
  parts = g_array_new (FALSE, FALSE, sizeof (DpKvSlice));

  for (;;)
    {
      const DpKvEntry *least = NULL;
      DpKvEntry merged;
      guint n_heads = 0;
      gboolean reduce;

      /* The least key among the tables' next ones, and who has it. */
      for (guint i = 0; i < n; i++)
        {
          DpKvTable *table = g_ptr_array_index (tables, i);
          const DpKvEntry *entry;
          gint c;

          if (cursors[i] == table->entries->len)
            continue;
          entry = &g_array_index (table->entries, DpKvEntry, cursors[i]);
          c = least == NULL ? -1 : dp_kv_order_compare (&order, entry->key, entry->key_size,
                                                        least->key, least->key_size);
          if (c < 0)
            {
              least = entry;
              n_heads = 0;
            }
          if (c <= 0)
            heads[n_heads++] = i;
        }
      if (least == NULL)
        break;

      merged = *least;
      if (n_heads == 1)
        reduce = !((DpKvTable *) g_ptr_array_index (tables, heads[0]))->reduced;
      else
        {
          g_array_set_size (parts, 0);
          for (guint h = 0; h < n_heads; h++)
            {
              DpKvTable *table = g_ptr_array_index (tables, heads[h]);
              const DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, cursors[heads[h]]);
              DpKvSlice part = { entry->values, entry->values_size };

              g_array_append_val (parts, part);
            }
          if (!dp_kv_table_join_values (out, &merged, (DpKvSlice *) (gpointer) parts->data, parts->len,
                                        error))
            {
              g_ptr_array_set_size (tables, 0);
              return NULL;
            }
          reduce = TRUE;
        }
      for (guint h = 0; h < n_heads; h++)
        cursors[heads[h]]++;

      if (reduce && merged.n_values > 1 &&
          !dp_kv_table_reduce_entry (out, &merged, procedures->reducer, procedures->reducer_name, error))
        {
          g_ptr_array_set_size (tables, 0);
          return NULL;
        }
      if (merged.n_values > 0)
        g_array_append_val (out->entries, merged);
    }

  g_ptr_array_set_size (tables, 0);
  out->reduced = TRUE;
  maybe_compact (out);
  return g_steal_pointer (&out);
}

/* Merges two tables: see dp_kv_table_merge_many(). Consumes both. */
DpKvTable *
dp_kv_table_merge (DpKvTable             *a,
                   DpKvTable             *b,
                   const DpKvProcedures  *procedures,
                   GError               **error)
{
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_kv_table_free);

  g_ptr_array_add (tables, a);
  g_ptr_array_add (tables, b);
  return dp_kv_table_merge_many (tables, procedures, error);
}
