/* dp-map-reduce-emitter.c: where a mapper puts its pairs
 *
 * The seeds' mapper returns a list with a pair per word; sorting that
 * list and coalescing it is most of a word count's work. The emitter does
 * both as the pairs come, without a GVariant per pair:
 *
 *   - each distinct key is kept once, serialized, in blocks that never
 *     move, and found again through an open-addressing hash table over its
 *     bytes;
 *   - each pair is a key number and its value's bytes, appended to two
 *     arrays;
 *   - at the end the distinct keys are sorted (natively for basic keys in
 *     the default order), the values grouped under their keys with one
 *     counting-sort pass — keeping the mapper's order within a key, as the
 *     seeds' stable sort does — and the combiner (or the reducer) run on
 *     every key with more than one value.
 *
 * The result is a DpKvTable pointing into the emitter's own blocks.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-mapreduce"

#include "config.h"

#include <string.h>

#include "dp-kv-table-private.h"

typedef struct {
  const guint8 *data;
  gsize size;
  guint32 hash;
} Key;

struct _DpMapReduceEmitter
{
  char *key_type;               /* from the first pair; NULL before */
  char *value_type;
  DpKvShape key_shape;
  DpKvShape value_shape;

  /* A value emitted again and again (a word count's 1): held, so its
   * address cannot be reused while we compare it. */
  GVariant *cached_value;
  const guint8 *cached_data;
  gsize cached_size;

  DpKvStore keys_store;
  Key *keys;
  guint32 n_keys;
  guint32 keys_capacity;
  guint32 *slots;               /* key number + 1; 0 is empty */
  guint32 slot_mask;

  guint32 *pair_keys;
  gsize n_pairs;
  gsize pairs_capacity;
  guint8 *fixed_values;         /* n_pairs values, for a fixed-size value type */
  DpKvStore values_store;       /* values of a variable-size type… */
  DpKvSlice *value_slices;     /* …one slice per pair */

  char *error_message;
};

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static inline guint32
hash_step (guint32       hash,
           const guint8 *data,
           gsize         size)
{
  for (gsize i = 0; i < size; i++)
    hash = (hash ^ data[i]) * FNV_PRIME;
  return hash;
}

DpMapReduceEmitter *
dp_map_reduce_emitter_new (void)
{
  DpMapReduceEmitter *self = g_new0 (DpMapReduceEmitter, 1);

  dp_kv_store_init (&self->keys_store);
  dp_kv_store_init (&self->values_store);
  self->slot_mask = 1024 - 1;
  self->slots = g_new0 (guint32, self->slot_mask + 1);
  return self;
}

void
dp_map_reduce_emitter_free (DpMapReduceEmitter *self)
{
  if (self == NULL)
    return;
  g_free (self->key_type);
  g_free (self->value_type);
  g_clear_pointer (&self->cached_value, g_variant_unref);
  dp_kv_store_clear (&self->keys_store);
  dp_kv_store_clear (&self->values_store);
  g_free (self->keys);
  g_free (self->slots);
  g_free (self->pair_keys);
  g_free (self->fixed_values);
  g_free (self->value_slices);
  g_free (self->error_message);
  g_free (self);
}

static gboolean
fail (DpMapReduceEmitter *self,
      const char         *format,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (DpMapReduceEmitter *self,
      const char         *format,
      ...)
{
  va_list args;

  if (self->error_message == NULL)
    {
      va_start (args, format);
      self->error_message = g_strdup_vprintf (format, args);
      va_end (args);
    }
  return FALSE;
}

/* The first pair fixes the types; every later one must have them. */
static gboolean
check_types (DpMapReduceEmitter *self,
             const char         *key_type,
             const char         *value_type)
{
  if (G_LIKELY (self->key_type != NULL))
    {
      if (G_UNLIKELY (strcmp (key_type, self->key_type) != 0))
        return fail (self, "emitted a key of type “%s” after keys of type “%s”",
                     key_type, self->key_type);
      if (G_UNLIKELY (value_type != NULL && strcmp (value_type, self->value_type) != 0))
        return fail (self, "emitted a value of type “%s” after values of type “%s”",
                     value_type, self->value_type);
      return TRUE;
    }

  if (!dp_kv_shape_of_type (key_type, &self->key_shape) ||
      !dp_kv_shape_of_type (value_type, &self->value_shape))
    return fail (self, "emitted a pair of types “%s” and “%s”, which cannot be mapped",
                 key_type, value_type);
  self->key_type = g_strdup (key_type);
  self->value_type = g_strdup (value_type);
  return TRUE;
}

static void
grow_slots (DpMapReduceEmitter *self)
{
  guint32 mask = self->slot_mask * 2 + 1;
  guint32 *slots = g_new0 (guint32, (gsize) mask + 1);

  for (guint32 k = 0; k < self->n_keys; k++)
    {
      guint32 i = self->keys[k].hash & mask;

      while (slots[i] != 0)
        i = (i + 1) & mask;
      slots[i] = k + 1;
    }
  g_free (self->slots);
  self->slots = slots;
  self->slot_mask = mask;
}

/* The number of the key @data (its serialized bytes), added if new. A
 * string key may come without its NUL: @size then excludes it and
 * @string_key is TRUE. */
static inline gint64
find_key (DpMapReduceEmitter *self,
          const guint8       *data,
          gsize               size,
          guint32             hash,
          gboolean            string_key)
{
  gsize stored_size = string_key ? size + 1 : size;
  guint32 i = hash & self->slot_mask;
  guint8 *copy;
  Key *key;

  for (;;)
    {
      guint32 slot = self->slots[i];

      if (slot == 0)
        break;
      key = &self->keys[slot - 1];
      if (key->hash == hash && key->size == stored_size && (size == 0 || memcmp (key->data, data, size) == 0))
        return slot - 1;
      i = (i + 1) & self->slot_mask;
    }

  /* A new key. */
  if (string_key)
    {
      if (size > 0 && (memchr (data, '\0', size) != NULL || !g_utf8_validate ((const char *) data, size, NULL)))
        {
          fail (self, "emitted a key that is not a UTF-8 string without NUL bytes");
          return -1;
        }
    }
  if (G_UNLIKELY (self->n_keys == G_MAXUINT32 - 1))
    {
      fail (self, "emitted more than 2³² distinct keys");
      return -1;
    }
  if (self->n_keys == self->keys_capacity)
    {
      self->keys_capacity = MAX (1024, self->keys_capacity * 2);
      self->keys = g_renew (Key, self->keys, self->keys_capacity);
    }
  copy = dp_kv_store_alloc (&self->keys_store, stored_size, self->key_shape.align);
  if (size > 0)
    memcpy (copy, data, size);
  if (string_key)
    copy[size] = '\0';
  key = &self->keys[self->n_keys];
  key->data = copy;
  key->size = stored_size;
  key->hash = hash;
  self->slots[i] = ++self->n_keys;
  if ((gsize) self->n_keys * 2 > self->slot_mask)
    grow_slots (self);
  return self->n_keys - 1;
}

/* The serialized bytes of @value, from the cache when it is the value
 * emitted last time. */
static inline gboolean
value_bytes (DpMapReduceEmitter  *self,
             GVariant            *value,
             GVariant           **normal,
             const guint8       **out_data,
             gsize               *out_size)
{
  if (value == self->cached_value)
    {
      *out_data = self->cached_data;
      *out_size = self->cached_size;
      return TRUE;
    }

  if (!g_variant_is_normal_form (value))
    value = *normal = g_variant_get_normal_form (value);
  *out_data = g_variant_get_data (value);
  *out_size = g_variant_get_size (value);
  return FALSE;
}

static gboolean
add_pair (DpMapReduceEmitter *self,
          guint32             key,
          const guint8       *data,
          gsize               size)
{
  if (G_UNLIKELY (self->n_pairs == self->pairs_capacity))
    {
      self->pairs_capacity = MAX (4096, self->pairs_capacity * 2);
      self->pair_keys = g_renew (guint32, self->pair_keys, self->pairs_capacity);
      if (self->value_shape.fixed_size != 0)
        self->fixed_values = g_realloc_n (self->fixed_values, self->pairs_capacity,
                                          self->value_shape.fixed_size);
      else
        self->value_slices = g_renew (DpKvSlice, self->value_slices, self->pairs_capacity);
    }

  self->pair_keys[self->n_pairs] = key;
  if (self->value_shape.fixed_size != 0)
    memcpy (self->fixed_values + self->n_pairs * self->value_shape.fixed_size, data,
            self->value_shape.fixed_size);
  else
    {
      guint8 *copy = dp_kv_store_alloc (&self->values_store, size, self->value_shape.align);

      if (size > 0)
        memcpy (copy, data, size);
      self->value_slices[self->n_pairs].data = copy;
      self->value_slices[self->n_pairs].size = size;
    }
  self->n_pairs++;
  return TRUE;
}

/* Keeps a value the mapper holds on to (not floating), so the next pair
 * with it costs a pointer comparison. */
static void
cache_value (DpMapReduceEmitter *self,
             GVariant           *value,
             const guint8       *data,
             gsize               size)
{
  g_clear_pointer (&self->cached_value, g_variant_unref);
  self->cached_value = g_variant_ref (value);
  self->cached_data = data;
  self->cached_size = size;
}

/* Adds the pair (key @key, @value). A value the mapper keeps (it was not
 * floating) is cached for its next pair. */
static inline void
add_pair_value (DpMapReduceEmitter *self,
                guint32             key,
                GVariant           *value,
                gboolean            mapper_keeps_value)
{
  g_autoptr(GVariant) normal = NULL;
  const guint8 *data;
  gsize size;
  gboolean cached = value_bytes (self, value, &normal, &data, &size);

  add_pair (self, key, data, size);
  if (!cached && mapper_keeps_value && normal == NULL)
    cache_value (self, value, data, size);
}

/**
 * dp_map_reduce_emit:
 * @emitter: the emitter the mapper was given
 * @key: (transfer floating): the pair's key
 * @value: (transfer floating): the pair's value
 *
 * Adds a pair to the mapper's output. Every key of one output has the
 * type of the first, every value too. Pass the same @value object again
 * and again (not floating: keep a reference) and it costs nothing to
 * look at.
 *
 * Returns: %TRUE, or %FALSE when the pair has another type than the
 *   first (the task then fails, saying so; the mapper may stop early)
 */
gboolean
dp_map_reduce_emit (DpMapReduceEmitter *emitter,
                    GVariant           *key,
                    GVariant           *value)
{
  g_autoptr(GVariant) owned_key = NULL;
  g_autoptr(GVariant) owned_value = NULL;
  g_autoptr(GVariant) normal_key = NULL;
  const guint8 *key_data;
  gsize key_size;
  gint64 index;

  g_return_val_if_fail (emitter != NULL, FALSE);
  g_return_val_if_fail (key != NULL && value != NULL, FALSE);

  if (g_variant_is_floating (key))
    owned_key = g_variant_ref_sink (key);
  if (g_variant_is_floating (value))
    owned_value = g_variant_ref_sink (value);
  if (G_UNLIKELY (emitter->error_message != NULL))
    return FALSE;

  if (!check_types (emitter, g_variant_get_type_string (key),
                    value == emitter->cached_value ? NULL : g_variant_get_type_string (value)))
    return FALSE;

  if (!g_variant_is_normal_form (key))
    key = normal_key = g_variant_get_normal_form (key);
  key_data = g_variant_get_data (key);
  key_size = g_variant_get_size (key);
  index = find_key (emitter, key_data, key_size, hash_step (FNV_OFFSET, key_data, key_size), FALSE);
  if (index < 0)
    return FALSE;

  add_pair_value (emitter, (guint32) index, value, owned_value == NULL);
  return TRUE;
}

/**
 * dp_map_reduce_emit_string:
 * @emitter: the emitter the mapper was given
 * @key: a string key (type `s`): UTF-8, without NUL bytes
 * @length: its length in bytes, or -1 if it ends with a NUL
 * @value: (transfer floating): the pair's value
 *
 * Adds the pair (@key, @value), as [func@Dp.map_reduce_emit] with a
 * string key, without making a GVariant of the key: a word from a
 * buffer is looked up where it lies, and copied only the first time.
 *
 * Returns: %TRUE, or %FALSE when the pair does not fit the output's types
 *   or @key is not valid UTF-8
 */
gboolean
dp_map_reduce_emit_string (DpMapReduceEmitter *emitter,
                           const char         *key,
                           gssize              length,
                           GVariant           *value)
{
  g_autoptr(GVariant) owned_value = NULL;
  gsize size;
  guint32 hash;
  gint64 index;

  g_return_val_if_fail (emitter != NULL, FALSE);
  g_return_val_if_fail (key != NULL || length == 0, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (g_variant_is_floating (value))
    owned_value = g_variant_ref_sink (value);
  if (G_UNLIKELY (emitter->error_message != NULL))
    return FALSE;
  if (!check_types (emitter, "s",
                    value == emitter->cached_value ? NULL : g_variant_get_type_string (value)))
    return FALSE;

  size = length < 0 ? strlen (key) : (gsize) length;
  /* The hash of the serialized string: its bytes, then its NUL. */
  hash = hash_step (FNV_OFFSET, (const guint8 *) key, size) * FNV_PRIME;
  index = find_key (emitter, (const guint8 *) key, size, hash, TRUE);
  if (index < 0)
    return FALSE;

  add_pair_value (emitter, (guint32) index, value, owned_value == NULL);
  return TRUE;
}

/**
 * dp_map_reduce_emit_pairs:
 * @emitter: the emitter the mapper was given
 * @pairs: (transfer floating): a list of key–value pairs: an array of
 *   2-tuples or of dictionary entries, such as `[('house', 1), ('car', 1)]`
 *
 * Adds every pair of @pairs: for a mapper written as the seeds' is,
 * returning a list.
 *
 * Returns: %TRUE, or %FALSE when @pairs is not such a list or a pair does
 *   not fit the output's types
 */
gboolean
dp_map_reduce_emit_pairs (DpMapReduceEmitter *emitter,
                          GVariant           *pairs)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (pairs);
  const GVariantType *element;
  GVariantIter iter;
  GVariant *pair;

  g_return_val_if_fail (emitter != NULL, FALSE);

  if (!g_variant_is_container (owned) || !g_variant_type_is_array (g_variant_get_type (owned)) ||
      !(g_variant_type_is_dict_entry (element = g_variant_type_element (g_variant_get_type (owned))) ||
        (g_variant_type_is_tuple (element) && g_variant_type_n_items (element) == 2)))
    return fail (emitter, "emitted a value of type “%s”, not a list of key–value pairs",
                 g_variant_get_type_string (owned));

  g_variant_iter_init (&iter, owned);
  while ((pair = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) key = g_variant_get_child_value (pair, 0);
      g_autoptr(GVariant) value = g_variant_get_child_value (pair, 1);
      gboolean ok = dp_map_reduce_emit (emitter, key, value);

      g_variant_unref (pair);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* Whether the mapper's pairs were all fine. */
gboolean
dp_map_reduce_emitter_check (DpMapReduceEmitter  *self,
                             GError             **error)
{
  if (self->error_message == NULL)
    return TRUE;
  g_set_error_literal (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, self->error_message);
  return FALSE;
}

typedef struct {
  const DpKvOrder *order;
  const Key *keys;
} SortContext;

static gint
compare_key_numbers (gconstpointer a,
                     gconstpointer b,
                     gpointer      data)
{
  const SortContext *context = data;
  const Key *x = &context->keys[*(const guint32 *) a];
  const Key *y = &context->keys[*(const guint32 *) b];

  return dp_kv_order_compare (context->order, x->data, x->size, y->data, y->size);
}

typedef struct {
  guint64 prefix;       /* the first 8 bytes, big-endian: compares as memcmp() does */
  guint32 key;
} Prefixed;

/* Sorts string keys in byte order: a radix sort of their first 8 bytes,
 * then a comparison sort of each run sharing those (few, for words). */
static void
sort_strings (const Key         *keys,
              guint32            n,
              guint32           *sorted,
              const SortContext *context)
{
  g_autofree Prefixed *items = NULL;
  g_autofree Prefixed *spare = NULL;

  if (n == 0)
    return;
  items = g_new (Prefixed, n);
  spare = g_new (Prefixed, n);
  for (guint32 k = 0; k < n; k++)
    {
      guint64 prefix = 0;
      gsize size = MIN (keys[k].size, 8);

      for (gsize i = 0; i < size; i++)
        prefix |= (guint64) keys[k].data[i] << (56 - 8 * i);
      items[k].prefix = prefix;
      items[k].key = k;
    }

  /* Least significant byte first, stable: 8 passes of a counting sort. */
  for (guint shift = 0; shift < 64; shift += 8)
    {
      gsize counts[257] = { 0 };
      Prefixed *swap;

      for (guint32 k = 0; k < n; k++)
        counts[((items[k].prefix >> shift) & 0xff) + 1]++;
      if (counts[((items[0].prefix >> shift) & 0xff) + 1] == n)
        continue;     /* every key has the same byte here */
      for (guint b = 1; b < 257; b++)
        counts[b] += counts[b - 1];
      for (guint32 k = 0; k < n; k++)
        spare[counts[(items[k].prefix >> shift) & 0xff]++] = items[k];
      swap = items;
      items = spare;
      spare = swap;
    }

  for (guint32 k = 0; k < n; k++)
    sorted[k] = items[k].key;

  /* Keys sharing their first 8 bytes (longer ones only: the NUL ends a
   * shorter one) are ordered by the rest. */
  for (guint32 start = 0; start < n; )
    {
      guint32 end = start + 1;

      while (end < n && items[end].prefix == items[start].prefix)
        end++;
      if (end - start > 1)
        g_qsort_with_data (sorted + start, end - start, sizeof (guint32), compare_key_numbers,
                           (gpointer) context);
      start = end;
    }
}

/* Keys in the default order of a type whose equal keys are equal bytes
 * never compare equal: no need to look for keys to coalesce. */
static gboolean
order_is_exact (const DpKvOrder *order)
{
  return order->basic != 0 && order->basic != 'd';
}

/* The mapper's output as a table: sorted, coalesced, combined. The
 * emitter's memory moves into the table. */
DpKvTable *
dp_map_reduce_emitter_finish (DpMapReduceEmitter    *self,
                              const DpKvProcedures  *procedures,
                              GError               **error)
{
  g_autoptr(DpKvTable) table = dp_kv_table_new ();
  g_autofree guint32 *sorted = NULL;
  g_autofree gsize *first = NULL;
  g_autofree gsize *fill = NULL;
  DpKvOrder order;
  gsize start = 0;
  guint kept = 0;
  SortContext context;

  if (!dp_map_reduce_emitter_check (self, error))
    return NULL;
  if (self->key_type == NULL)
    {
      table->reduced = TRUE;
      return g_steal_pointer (&table);
    }
  if (!dp_kv_table_set_types (table, self->key_type, self->value_type, error))
    return NULL;

  /* Sort the distinct keys. */
  dp_kv_order_init (&order, self->key_type, procedures->sorter);
  sorted = g_new (guint32, self->n_keys);
  context.order = &order;
  context.keys = self->keys;
  if (order.basic == 's' || order.basic == 'o' || order.basic == 'g')
    sort_strings (self->keys, self->n_keys, sorted, &context);
  else
    {
      for (guint32 k = 0; k < self->n_keys; k++)
        sorted[k] = k;
      g_qsort_with_data (sorted, self->n_keys, sizeof (guint32), compare_key_numbers, &context);
    }

  /* Where each key's values start, in key order; then place every value,
   * in the mapper's order within its key. */
  first = g_new (gsize, self->n_keys);
  fill = g_new0 (gsize, self->n_keys);
  for (gsize p = 0; p < self->n_pairs; p++)
    fill[self->pair_keys[p]]++;
  for (guint32 r = 0; r < self->n_keys; r++)
    {
      first[sorted[r]] = start;
      start += fill[sorted[r]];
    }
  memcpy (fill, first, self->n_keys * sizeof (gsize));

  g_array_set_size (table->entries, self->n_keys);
  if (self->value_shape.fixed_size != 0)
    {
      gsize size = self->value_shape.fixed_size;
      guint8 *block = dp_kv_store_alloc (&table->store, self->n_pairs * size, self->value_shape.align);

      for (gsize p = 0; p < self->n_pairs; p++)
        memcpy (block + fill[self->pair_keys[p]]++ * size, self->fixed_values + p * size, size);
      for (guint32 r = 0; r < self->n_keys; r++)
        {
          DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, r);
          guint32 k = sorted[r];

          entry->key = self->keys[k].data;
          entry->key_size = self->keys[k].size;
          entry->values = block + first[k] * size;
          entry->n_values = fill[k] - first[k];
          entry->values_size = entry->n_values * size;
        }
    }
  else
    {
      g_autofree DpKvSlice *grouped = g_new (DpKvSlice, MAX (self->n_pairs, 1));

      for (gsize p = 0; p < self->n_pairs; p++)
        grouped[fill[self->pair_keys[p]]++] = self->value_slices[p];
      for (guint32 r = 0; r < self->n_keys; r++)
        {
          DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, r);
          guint32 k = sorted[r];

          entry->key = self->keys[k].data;
          entry->key_size = self->keys[k].size;
          entry->n_values = fill[k] - first[k];
          entry->values = dp_kv_table_write_values (table, grouped + first[k], entry->n_values,
                                                    &entry->values_size);
        }
    }

  dp_kv_store_take (&table->store, &self->keys_store);
  dp_kv_store_take (&table->store, &self->values_store);

  /* Keys a sorter says are the same are one key. */
  if (!order_is_exact (&order))
    {
      for (guint32 r = 0; r < table->entries->len; r++)
        {
          DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, r);

          if (kept > 0)
            {
              DpKvEntry *last = &g_array_index (table->entries, DpKvEntry, kept - 1);

              if (dp_kv_order_compare (&order, last->key, last->key_size, entry->key, entry->key_size) == 0)
                {
                  if (!dp_kv_table_concat_values (table, last, entry, error))
                    return NULL;
                  continue;
                }
            }
          g_array_index (table->entries, DpKvEntry, kept++) = *entry;
        }
      g_array_set_size (table->entries, kept);
    }

  table->reduced = FALSE;

  /* Combine each key's values, if there is a combiner: else the reducer
   * does it when the worker merges its tables. */
  if (procedures->combiner != NULL)
    {
      kept = 0;
      for (guint32 r = 0; r < table->entries->len; r++)
        {
          DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, r);

          if (entry->n_values > 1 &&
              !dp_kv_table_reduce_entry (table, entry, procedures->combiner, procedures->combiner_name,
                                         error))
            return NULL;
          if (entry->n_values > 0)
            g_array_index (table->entries, DpKvEntry, kept++) = *entry;
        }
      g_array_set_size (table->entries, kept);
      table->reduced = TRUE;
    }

  return g_steal_pointer (&table);
}
