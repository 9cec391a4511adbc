/* dp-kv-table-private.h: the sorted, coalesced key–value lists a worker
 * holds, and the emitter that builds one from a mapper's output
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dplaces-mapreduce.h"

G_BEGIN_DECLS

/* How a GVariant type is laid out when serialized: its alignment (1, 2,
 * 4 or 8) and its size if fixed (0 if variable). */
typedef struct {
  gsize align;
  gsize fixed_size;
} DpKvShape;

gboolean dp_kv_shape_of_type (const char *type_string,
                              DpKvShape  *shape);

/* Memory the entries point into: blocks that never move, each owned by a
 * GBytes, plus received messages' buffers. */
typedef struct {
  GPtrArray *owners;    /* GBytes */
  gsize owned;          /* bytes held by owners */
  guint8 *block;        /* the block being filled, owned by the last owner */
  gsize block_used;
  gsize block_size;
} DpKvStore;

void    dp_kv_store_init  (DpKvStore *store);
void    dp_kv_store_clear (DpKvStore *store);
guint8 *dp_kv_store_alloc (DpKvStore *store,
                           gsize      size,
                           gsize      align);
void    dp_kv_store_take  (DpKvStore *store,
                           DpKvStore *from);
void    dp_kv_store_share (DpKvStore *store,
                           DpKvStore *from);

/* Serialized data somewhere in a store. */
typedef struct {
  const guint8 *data;
  gsize size;
} DpKvSlice;

/* One key and its values, both in serialized form: the key of type K,
 * the values an array of type aV with n_values elements. */
typedef struct {
  const guint8 *key;
  gsize key_size;
  const guint8 *values;
  gsize values_size;
  gsize n_values;
} DpKvEntry;

/* A list of (key, values) sorted by key, each key once: what a worker
 * holds between steps, and what crosses between workers as one a(KaV)
 * message, written once and read in place. */
typedef struct {
  char *key_type;         /* NULL until typed */
  char *value_type;
  char *values_type;      /* "a" + value_type */
  DpKvShape key_shape;
  DpKvShape value_shape;
  GArray *entries;        /* DpKvEntry */
  DpKvStore store;
  gboolean reduced;       /* every key with more than one value was combined or reduced */
  GVariant *anchor;       /* an empty value list: keeps its type's GVariantTypeInfo alive */
} DpKvTable;

/* What a table is sorted, combined and reduced with. */
typedef struct {
  DpMapReduceSorter sorter;       /* NULL: the default order */
  DpMapReduceReducer reducer;
  DpMapReduceReducer combiner;    /* NULL: the reducer */
  const char *reducer_name;       /* for errors: "reducer MODULE:SYMBOL" */
  const char *combiner_name;
} DpKvProcedures;

/* The order of keys of one type. */
typedef struct {
  char basic;                   /* the key type, when it is basic and the order the default */
  const GVariantType *key_type;
  DpMapReduceSorter sorter;
} DpKvOrder;

void       dp_kv_order_init             (DpKvOrder             *order,
                                         const char            *key_type,
                                         DpMapReduceSorter      sorter);
gint       dp_kv_order_compare          (const DpKvOrder       *order,
                                         const guint8          *a,
                                         gsize                  a_size,
                                         const guint8          *b,
                                         gsize                  b_size);

DpKvTable *dp_kv_table_new              (void);
void       dp_kv_table_free             (DpKvTable             *table);
gboolean   dp_kv_table_set_types        (DpKvTable             *table,
                                         const char            *key_type,
                                         const char            *value_type,
                                         GError               **error);
guint      dp_kv_table_get_n_entries    (DpKvTable             *table);
GVariant  *dp_kv_table_to_variant       (DpKvTable             *table);
GVariant  *dp_kv_table_range_to_variant (DpKvTable             *table,
                                         guint                  first,
                                         guint                  n);
gboolean   dp_kv_table_send             (DpKvTable             *table,
                                         guint                  first,
                                         guint                  n,
                                         DpChannel             *to,
                                         GError               **error);
DpKvTable *dp_kv_table_receive          (DpChannel             *from,
                                         GVariant              *first_message,
                                         const char            *peer,
                                         GError               **error);
DpKvTable *dp_kv_table_new_range        (DpKvTable             *table,
                                         guint                  first,
                                         guint                  n);
guint      dp_kv_table_lower_bound      (DpKvTable             *table,
                                         const DpKvOrder       *order,
                                         GVariant              *key);
gboolean   dp_kv_table_append           (DpKvTable             *table,
                                         DpKvTable             *more,
                                         GError               **error);
DpKvTable *dp_kv_table_new_from_variant (GVariant              *value,
                                         GError               **error);
DpKvTable *dp_kv_table_merge            (DpKvTable             *a,
                                         DpKvTable             *b,
                                         const DpKvProcedures  *procedures,
                                         GError               **error);
DpKvTable *dp_kv_table_merge_many       (GPtrArray             *tables,
                                         const DpKvProcedures  *procedures,
                                         GError               **error);
gboolean   dp_kv_table_reduce_entry     (DpKvTable             *table,
                                         DpKvEntry             *entry,
                                         DpMapReduceReducer     reducer,
                                         const char            *name,
                                         GError               **error);
const guint8 *dp_kv_table_write_values (DpKvTable          *table,
                                         const DpKvSlice       *values,
                                         gsize                  n_values,
                                         gsize                 *out_size);
gboolean   dp_kv_table_join_values      (DpKvTable             *table,
                                         DpKvEntry             *entry,
                                         const DpKvSlice       *parts,
                                         gsize                  n_parts,
                                         GError               **error);
gboolean   dp_kv_table_concat_values    (DpKvTable             *table,
                                         DpKvEntry             *into,
                                         const DpKvEntry       *more,
                                         GError               **error);

DpMapReduceEmitter *dp_map_reduce_emitter_new    (void);
void                dp_map_reduce_emitter_free   (DpMapReduceEmitter    *emitter);
gboolean            dp_map_reduce_emitter_check  (DpMapReduceEmitter    *emitter,
                                                  GError               **error);
DpKvTable          *dp_map_reduce_emitter_finish (DpMapReduceEmitter    *emitter,
                                                  const DpKvProcedures  *procedures,
                                                  GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpKvTable, dp_kv_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpMapReduceEmitter, dp_map_reduce_emitter_free)

G_END_DECLS
