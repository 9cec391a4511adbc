/* test-kv-table.c: the tables workers hold and send, against GLib
 *
 *   /kv/shape            alignment and fixed size of types, as GLib lays
 *                        them out
 *   /kv/write            a table written as a(KaV) is byte for byte what
 *                        GLib writes, for many key and value types and
 *                        for every width of framing offsets
 *   /kv/read             a written table read back is the same table
 *   /kv/merge            merging tables reduces keys that meet, once
 *   /kv/malformed        a wrong or broken message is refused, not read
 *   /kv/emit             the emitter: types checked, strings checked
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "dp-kv-table-private.h"

static GVariant *
sum_reducer (GVariant  *key,
             GVariant  *values,
             GError   **error)
{
  gsize n;
  const gint64 *numbers = g_variant_get_fixed_array (values, &n, sizeof (gint64));
  gint64 total = 0;

  for (gsize i = 0; i < n; i++)
    total += numbers[i];
  return g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, &total, 1, sizeof (gint64));
}

static const DpKvProcedures sum_procedures = { NULL, sum_reducer, NULL, "reducer sum", "combiner none" };
static const DpKvProcedures no_procedures = { NULL, NULL, NULL, "reducer none", "combiner none" };

static void
test_shape (void)
{
  struct {
    const char *type;
    const char *example;   /* a value, for fixed types */
  } cases[] = {
    { "y", "byte 1" }, { "b", "true" }, { "n", "int16 1" }, { "q", "uint16 1" }, { "i", "1" },
    { "u", "uint32 1" }, { "x", "int64 1" }, { "t", "uint64 1" }, { "d", "1.5" }, { "h", "handle 1" },
    { "()", "()" }, { "(yx)", "(byte 1, int64 2)" }, { "(xy)", "(int64 1, byte 2)" },
    { "(yy)", "(byte 1, byte 2)" }, { "(yq)", "(byte 1, uint16 2)" }, { "(yqy)", "(byte 1, uint16 2, byte 3)" },
    { "{yq}", "{byte 1, uint16 2}" }, { "((y)(q))", "((byte 1,), (uint16 2,))" },
    { "(y(yyy)i)", "(byte 1, (byte 2, byte 3, byte 4), 5)" },
    { "s", NULL }, { "as", NULL }, { "v", NULL }, { "(sx)", NULL }, { "may", NULL }, { "mx", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      DpKvShape shape;

      g_assert_true (dp_kv_shape_of_type (cases[i].type, &shape));
      if (cases[i].example != NULL)
        {
          g_autoptr(GVariant) value = g_variant_parse (G_VARIANT_TYPE (cases[i].type), cases[i].example,
                                                       NULL, NULL, NULL);
          g_assert_nonnull (value);
          g_assert_cmpuint (shape.fixed_size, ==, g_variant_get_size (value));
        }
      else
        g_assert_cmpuint (shape.fixed_size, ==, 0);
    }

  /* Alignment, through what GLib pads: a y before the type. */
  {
    struct { const char *type; gsize align; } aligns[] = {
      { "y", 1 }, { "q", 2 }, { "u", 4 }, { "x", 8 }, { "s", 1 }, { "v", 8 }, { "ax", 8 }, { "as", 1 },
      { "(yq)", 2 }, { "(sx)", 8 }, { "mi", 4 }, { "{sv}", 8 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (aligns); i++)
      {
        DpKvShape shape;

        g_assert_true (dp_kv_shape_of_type (aligns[i].type, &shape));
        g_assert_cmpuint (shape.align, ==, aligns[i].align);
      }
  }

  {
    DpKvShape shape;

    g_assert_false (dp_kv_shape_of_type ("(s", &shape));
    g_assert_false (dp_kv_shape_of_type ("ss", &shape));
  }
}

/* A random value of @type. */
static GVariant *
random_value (GRand      *rand,
              const char *type,
              guint       size)
{
  switch (type[0])
    {
    case 'y': return g_variant_new_byte (g_rand_int (rand));
    case 'b': return g_variant_new_boolean (g_rand_boolean (rand));
    case 'i': return g_variant_new_int32 (g_rand_int (rand));
    case 'q': return g_variant_new_uint16 (g_rand_int (rand));
    case 'x': return g_variant_new_int64 (g_rand_int_range (rand, -1000, 1000));
    case 'd': return g_variant_new_double (g_rand_double (rand));
    case 's':
      {
        char text[64];
        guint length = g_rand_int_range (rand, 0, MIN (size, 60) + 1);

        for (guint i = 0; i < length; i++)
          text[i] = 'a' + g_rand_int_range (rand, 0, 6);
        text[length] = '\0';
        return g_variant_new_string (text);
      }
    default:
      {
        if (g_str_equal (type, "v"))
          return g_variant_new_variant (random_value (rand, g_rand_boolean (rand) ? "s" : "x", size));
        if (g_str_equal (type, "ay"))
          {
            guint length = g_rand_int_range (rand, 0, size + 1);
            g_autofree guint8 *bytes = g_malloc (MAX (length, 1));

            for (guint i = 0; i < length; i++)
              bytes[i] = g_rand_int (rand);
            return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, bytes, length, 1);
          }
        if (g_str_equal (type, "as"))
          {
            GVariantBuilder builder;
            guint n = g_rand_int_range (rand, 0, 4);

            g_variant_builder_init (&builder, G_VARIANT_TYPE ("as"));
            for (guint i = 0; i < n; i++)
              g_variant_builder_add_value (&builder, random_value (rand, "s", size));
            return g_variant_builder_end (&builder);
          }
        if (g_str_equal (type, "(sx)"))
          return g_variant_new ("(@s@x)", random_value (rand, "s", size), random_value (rand, "x", size));
        if (g_str_equal (type, "(yx)"))
          return g_variant_new ("(@y@x)", random_value (rand, "y", size), random_value (rand, "x", size));
        if (g_str_equal (type, "(ii)"))
          return g_variant_new ("(@i@i)", random_value (rand, "i", size), random_value (rand, "i", size));
        g_assert_not_reached ();
      }
    }
}

/* A table of @n random pairs, through the emitter, unreduced. */
static DpKvTable *
random_table (GRand      *rand,
              const char *key_type,
              const char *value_type,
              guint       n,
              guint       size)
{
  g_autoptr(DpMapReduceEmitter) emitter = dp_map_reduce_emitter_new ();
  g_autoptr(GError) error = NULL;
  DpKvTable *table;

  for (guint i = 0; i < n; i++)
    g_assert_true (dp_map_reduce_emit (emitter, random_value (rand, key_type, size),
                                       random_value (rand, value_type, size)));
  table = dp_map_reduce_emitter_finish (emitter, &no_procedures, &error);
  g_assert_no_error (error);
  return table;
}

/* The table as GLib writes it: a tuple per entry, made of copies of the
 * entry's key and values, serialized by GLib. */
static GVariant *
glib_written (DpKvTable *table)
{
  g_autofree char *type = g_strdup_printf ("a(%sa%s)", table->key_type, table->value_type);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE (type));
  for (guint i = 0; i < table->entries->len; i++)
    {
      DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, i);
      gpointer key = g_memdup2 (entry->key, entry->key_size);
      gpointer values = g_memdup2 (entry->values, entry->values_size);
      GVariant *children[2];

      children[0] = g_variant_new_from_data (G_VARIANT_TYPE (table->key_type), key, entry->key_size,
                                             TRUE, g_free, key);
      children[1] = g_variant_new_from_data (G_VARIANT_TYPE (table->values_type), values,
                                             entry->values_size, TRUE, g_free, values);
      g_variant_builder_add_value (&builder, g_variant_new_tuple (children, 2));
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static const struct {
  const char *key;
  const char *value;
} type_pairs[] = {
  { "s", "x" }, { "x", "s" }, { "y", "y" }, { "(sx)", "as" }, { "s", "v" }, { "(yx)", "(ii)" },
  { "b", "d" }, { "s", "ay" }, { "ay", "s" }, { "q", "(sx)" }, { "i", "y" }, { "s", "s" },
};

static void
test_write (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);
  /* Entries and sizes that need 1-, 2- and 4-byte framing offsets. */
  const guint counts[] = { 0, 1, 3, 40, 2000, 30000 };

  for (guint p = 0; p < G_N_ELEMENTS (type_pairs); p++)
    for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
      {
        g_autoptr(DpKvTable) table = random_table (rand, type_pairs[p].key, type_pairs[p].value, counts[c],
                                                   counts[c] > 1000 ? 40 : 6);
        g_autoptr(GVariant) ours = g_variant_ref_sink (dp_kv_table_to_variant (table));
        g_autoptr(GVariant) theirs = NULL;

        if (counts[c] == 0)
          {
            g_assert_cmpstr (g_variant_get_type_string (ours), ==, "a(vav)");
            g_assert_cmpuint (g_variant_n_children (ours), ==, 0);
            continue;
          }
        theirs = glib_written (table);
        g_assert_cmpstr (g_variant_get_type_string (ours), ==, g_variant_get_type_string (theirs));
        g_assert_cmpuint (g_variant_get_size (ours), ==, g_variant_get_size (theirs));
        g_assert_cmpmem (g_variant_get_data (ours), g_variant_get_size (ours),
                         g_variant_get_data (theirs), g_variant_get_size (theirs));
        {
          /* And GLib, reading ours untrusted, finds it normal. */
          g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (ours);
          g_autoptr(GVariant) untrusted = g_variant_ref_sink (g_variant_new_from_bytes (g_variant_get_type (ours),
                                                                                         bytes, FALSE));
          g_assert_true (g_variant_is_normal_form (untrusted));
        }
      }
}

static void
test_read (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (23);

  for (guint p = 0; p < G_N_ELEMENTS (type_pairs); p++)
    {
      g_autoptr(DpKvTable) table = random_table (rand, type_pairs[p].key, type_pairs[p].value, 500, 8);
      g_autoptr(GVariant) written = g_variant_ref_sink (dp_kv_table_to_variant (table));
      g_autoptr(GError) error = NULL;
      g_autoptr(DpKvTable) back = dp_kv_table_new_from_variant (written, &error);
      g_autoptr(GVariant) again = NULL;

      g_assert_no_error (error);
      g_assert_nonnull (back);
      g_assert_cmpstr (back->key_type, ==, table->key_type);
      g_assert_cmpstr (back->value_type, ==, table->value_type);
      g_assert_cmpuint (back->entries->len, ==, table->entries->len);
      for (guint i = 0; i < back->entries->len; i++)
        {
          DpKvEntry *x = &g_array_index (table->entries, DpKvEntry, i);
          DpKvEntry *y = &g_array_index (back->entries, DpKvEntry, i);

          g_assert_cmpmem (x->key, x->key_size, y->key, y->key_size);
          g_assert_cmpmem (x->values, x->values_size, y->values, y->values_size);
          g_assert_cmpuint (x->n_values, ==, y->n_values);
        }
      /* Read in place: the entries point into the message. */
      if (back->entries->len > 0)
        {
          const guint8 *data = g_variant_get_data (written);
          const guint8 *key = g_array_index (back->entries, DpKvEntry, 0).key;

          g_assert_true (key >= data && key < data + g_variant_get_size (written));
        }
      again = g_variant_ref_sink (dp_kv_table_to_variant (back));
      g_assert_true (g_variant_equal (again, written));
    }
}

static GHashTable *
count_table (DpKvTable  *table,
             GHashTable *counts)
{
  for (guint i = 0; i < table->entries->len; i++)
    {
      DpKvEntry *entry = &g_array_index (table->entries, DpKvEntry, i);
      const gint64 *values = (const gint64 *) entry->values;
      gint64 sum = 0;

      for (gsize v = 0; v < entry->n_values; v++)
        sum += values[v];
      g_hash_table_insert (counts, g_strdup ((const char *) entry->key),
                           GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (counts, entry->key)) + sum));
    }
  return counts;
}

static void
test_merge (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func ((GDestroyNotify) dp_kv_table_free);
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) got = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(DpKvTable) merged = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key, value;

  for (guint t = 0; t < 4; t++)
    {
      g_autoptr(DpMapReduceEmitter) emitter = dp_map_reduce_emitter_new ();
      g_autoptr(GVariant) one = g_variant_ref_sink (g_variant_new_int64 (1));
      DpKvTable *table;

      for (guint i = 0; i < 3000; i++)
        {
          char word[8];

          g_snprintf (word, sizeof word, "k%u", g_rand_int_range (rand, 0, 500) * (t + 1) % 700);
          g_assert_true (dp_map_reduce_emit_string (emitter, word, -1, one));
        }
      table = dp_map_reduce_emitter_finish (emitter, &no_procedures, &error);
      g_assert_no_error (error);
      g_assert_false (table->reduced);
      count_table (table, expected);
      g_ptr_array_add (tables, table);
    }
  g_ptr_array_add (tables, dp_kv_table_new ());     /* an empty one merges with anything */

  merged = dp_kv_table_merge_many (tables, &sum_procedures, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tables->len, ==, 0);
  g_assert_true (merged->reduced);
  count_table (merged, got);
  for (guint i = 0; i < merged->entries->len; i++)
    {
      DpKvEntry *entry = &g_array_index (merged->entries, DpKvEntry, i);

      g_assert_cmpuint (entry->n_values, ==, 1);
      if (i > 0)
        g_assert_cmpint (strcmp ((const char *) g_array_index (merged->entries, DpKvEntry, i - 1).key,
                                 (const char *) entry->key), <, 0);
    }
  g_assert_cmpuint (g_hash_table_size (got), ==, g_hash_table_size (expected));
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (got, key)), ==, GPOINTER_TO_INT (value));

  /* Tables of other types do not merge. */
  {
    g_autoptr(GRand) other = g_rand_new_with_seed (1);
    g_autoptr(GError) type_error = NULL;
    DpKvTable *x = random_table (other, "s", "x", 10, 4);
    DpKvTable *y = random_table (other, "x", "x", 10, 4);

    g_assert_null (dp_kv_table_merge (x, y, &sum_procedures, &type_error));
    g_assert_error (type_error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  }
}

/* The empty range of an empty table, as a worker with no entries gives
 * its peers: the table has no entry memory at all, and taking the address
 * of entry 0 was undefined behaviour (UBSan in `make check SANITIZE=1`). */
static void
test_range_of_empty (void)
{
  g_autoptr(DpKvTable) empty = dp_kv_table_new ();
  g_autoptr(DpKvTable) range = dp_kv_table_new_range (empty, 0, 0);

  g_assert_cmpuint (dp_kv_table_get_n_entries (range), ==, 0);
}

static void
test_malformed (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(DpKvTable) table = random_table (rand, "s", "x", 300, 8);
  g_autoptr(GVariant) written = g_variant_ref_sink (dp_kv_table_to_variant (table));
  gsize size = g_variant_get_size (written);
  const char *wrong_types[] = { "as", "a(ss)", "a(sxx)", "(sax)", "ax" };

  for (guint i = 0; i < G_N_ELEMENTS (wrong_types); i++)
    {
      g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE (wrong_types[i]),
                                                                               NULL, 0, FALSE, NULL, NULL));
      g_autoptr(GError) error = NULL;
      g_autoptr(DpKvTable) none = dp_kv_table_new_from_variant (value, &error);

      /* Even empty: not a list of (key, values) pairs. */
      g_assert_null (none);
      g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
    }

  /* Cut, or with bytes flipped: refused, or read without going astray. */
  for (guint i = 0; i < 200; i++)
    {
      g_autofree guint8 *bytes = g_memdup2 (g_variant_get_data (written), size);
      gsize cut = i < 100 ? (gsize) g_rand_int_range (rand, 0, size) : size;
      g_autoptr(GVariant) broken = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(DpKvTable) read = NULL;

      if (i >= 100)
        for (guint f = 0; f < 4; f++)
          bytes[g_rand_int_range (rand, 0, size)] ^= 1 << g_rand_int_range (rand, 0, 8);
      broken = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE ("a(sax)"), bytes, cut, FALSE,
                                                            NULL, NULL));
      read = dp_kv_table_new_from_variant (broken, &error);
      g_assert_true ((read == NULL) == (error != NULL));
      if (read != NULL)
        g_assert_true (g_variant_is_normal_form (broken));
    }
}

static void
test_emit (void)
{
  g_autoptr(DpMapReduceEmitter) emitter = dp_map_reduce_emitter_new ();
  g_autoptr(DpMapReduceEmitter) strings = dp_map_reduce_emitter_new ();
  g_autoptr(DpKvTable) table = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *one = g_variant_ref_sink (g_variant_new_int64 (1));

  g_assert_true (dp_map_reduce_emit (emitter, g_variant_new_string ("a"), one));
  g_assert_true (dp_map_reduce_emit_string (emitter, "a", 1, one));
  g_assert_true (dp_map_reduce_emit_string (emitter, "ab", 1, one));    /* "a" again */
  g_assert_true (dp_map_reduce_emit_string (emitter, "", 0, g_variant_new_int64 (2)));
  g_assert_false (dp_map_reduce_emit (emitter, g_variant_new_int64 (1), one));
  g_assert_false (dp_map_reduce_emit_string (emitter, "b", 1, one));    /* failed already */
  g_assert_false (dp_map_reduce_emitter_check (emitter, &error));
  g_assert_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE);
  g_clear_error (&error);

  g_assert_true (dp_map_reduce_emit_string (strings, "a", 1, one));
  g_assert_true (dp_map_reduce_emit_string (strings, "a", 1, one));
  g_assert_true (dp_map_reduce_emit_string (strings, "b", -1, one));
  g_assert_true (dp_map_reduce_emit_string (strings, "", 0, g_variant_new_int64 (5)));
  g_assert_true (dp_map_reduce_emit (strings, g_variant_new_string ("b"), g_variant_new_int64 (4)));
  table = dp_map_reduce_emitter_finish (strings, &sum_procedures, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (table->entries->len, ==, 3);
  {
    g_autoptr(GVariant) written = g_variant_ref_sink (dp_kv_table_to_variant (table));
    g_autofree char *text = g_variant_print (written, FALSE);

    /* Not combined (no combiner): the values of each key, in order. */
    g_assert_cmpstr (text, ==, "[('', [5]), ('a', [1, 1]), ('b', [1, 4])]");
  }

  {
    g_autoptr(DpMapReduceEmitter) bad = dp_map_reduce_emitter_new ();

    g_assert_false (dp_map_reduce_emit_string (bad, "\xff\xfe", 2, one));
    g_assert_false (dp_map_reduce_emitter_check (bad, &error));
    g_clear_error (&error);
  }
  {
    g_autoptr(DpMapReduceEmitter) bad = dp_map_reduce_emitter_new ();

    g_assert_false (dp_map_reduce_emit_string (bad, "a\0b", 3, one));
    g_assert_false (dp_map_reduce_emitter_check (bad, &error));
    g_clear_error (&error);
  }
  g_variant_unref (one);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/kv/shape", test_shape);
  g_test_add_func ("/kv/write", test_write);
  g_test_add_func ("/kv/read", test_read);
  g_test_add_func ("/kv/merge", test_merge);
  g_test_add_func ("/kv/range-of-empty", test_range_of_empty);
  g_test_add_func ("/kv/malformed", test_malformed);
  g_test_add_func ("/kv/emit", test_emit);

  return g_test_run ();
}
