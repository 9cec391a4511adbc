/* rmpi-test-places.c: the rank functions test-rmpi runs
 *
 * Every rank computes, besides its part of each collective, what the
 * collective must give — the serial computation over every rank's value,
 * which each rank can make since the values are functions of the rank —
 * and reports to the launcher ('report', id, checks, failures).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <dplaces/dp-rmpi.h>

G_MODULE_EXPORT void rmpi_test_collectives (DpChannel *ch);
G_MODULE_EXPORT void rmpi_test_p2p (DpChannel *ch);
G_MODULE_EXPORT void rmpi_test_death (DpChannel *ch);
G_MODULE_EXPORT void rmpi_test_result (DpChannel *ch);
G_MODULE_EXPORT GVariant *rmpi_test_gcd (GVariant *a, GVariant *b, gpointer user_data, GError **error);

/* A user operation a module exports: the greatest common divisor. */
GVariant *
rmpi_test_gcd (GVariant  *a,
               GVariant  *b,
               gpointer   user_data,
               GError   **error)
{
  gint64 x, y;

  if (!g_variant_is_of_type (a, G_VARIANT_TYPE_INT64) || !g_variant_is_of_type (b, G_VARIANT_TYPE_INT64))
    {
      g_set_error (error, DP_ERROR, DP_ERROR_INVALID_MESSAGE, "gcd takes int64s");
      return NULL;
    }
  x = llabs (g_variant_get_int64 (a));
  y = llabs (g_variant_get_int64 (b));
  while (y != 0)
    {
      gint64 t = x % y;
      x = y;
      y = t;
    }
  return g_variant_new_int64 (x);
}

/* A user operation from a function of the program: string concatenation
 * is associative, not commutative — allreduce combines in rank order. */
static GVariant *
concat (GVariant  *a,
        GVariant  *b,
        gpointer   user_data,
        GError   **error)
{
  g_autofree char *joined = g_strconcat (g_variant_get_string (a, NULL),
                                         g_variant_get_string (b, NULL), NULL);
  return g_variant_new_string (joined);
}

typedef struct {
  DpRmpiComm *comm;
  guint checks;
  GPtrArray *failures;
  GError *error;           /* a collective failed: stop */
} Checker;

/* g_variant_equal() prints untrusted values to compare them — a byte at a
 * time, for a received 300 KiB byte string. Received values are checked
 * to be in normal form, where equal values have equal bytes. */
static gboolean
variant_equal (GVariant *a,
               GVariant *b)
{
  if (g_variant_is_of_type (a, g_variant_get_type (b)) && g_variant_get_size (a) == g_variant_get_size (b) &&
      memcmp (g_variant_get_data (a), g_variant_get_data (b), g_variant_get_size (a)) == 0)
    return TRUE;
  return g_variant_equal (a, b);
}

static void
check_equal (Checker    *c,
             const char *what,
             GVariant   *got,
             GVariant   *expected)
{
  /* Takes @expected: floating, or a reference of the caller's. */
  g_autoptr(GVariant) owned = g_variant_take_ref (expected);

  c->checks++;
  if (got == NULL || !variant_equal (got, owned))
    {
      g_autofree char *g = got != NULL ? g_variant_print (got, TRUE) : g_strdup ("(nothing)");
      g_autofree char *e = g_variant_print (owned, TRUE);

      if (strlen (g) > 200)
        strcpy (g + 190, "…");
      if (strlen (e) > 200)
        strcpy (e + 190, "…");
      g_ptr_array_add (c->failures, g_strdup_printf ("rank %u: %s: got %s, expected %s",
                                                     dp_rmpi_id (c->comm), what, g, e));
    }
}

static void
check_true (Checker    *c,
            const char *what,
            gboolean    ok)
{
  c->checks++;
  if (!ok)
    g_ptr_array_add (c->failures, g_strdup_printf ("rank %u: %s", dp_rmpi_id (c->comm), what));
}

/* Takes a collective's result: NULL means it failed, which ends the test. */
static gboolean
got (Checker  *c,
     GVariant *result)
{
  return result != NULL && c->error == NULL;
}

/* Deterministic values, functions of the rank. */

static GVariant *
big_bytes (guint root,
           gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 31 + root * 7 + (i >> 12));
  return g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, data, size, TRUE, g_free, data);
}

static GVariant *
doubles (guint  rank,
         gsize  n,
         gdouble scale)
{
  g_autofree gdouble *v = g_new (gdouble, n);

  for (gsize i = 0; i < n; i++)
    v[i] = (gdouble) ((i * 3 + rank * 5) % 101) * scale;
  return g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, v, n, sizeof (gdouble));
}

static GVariant *
int64s (guint rank,
        gsize n)
{
  g_autofree gint64 *v = g_new (gint64, n);

  for (gsize i = 0; i < n; i++)
    v[i] = (gint64) ((i * 7 + rank * 13) % 17) - 8 + (gint64) (rank << 20);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, v, n, sizeof (gint64));
}

static GVariant *
booleans (guint rank,
          gsize n)
{
  g_autofree gboolean *v = g_new (gboolean, n);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ab"));
  for (gsize i = 0; i < n; i++)
    g_variant_builder_add (&builder, "b", ((i + rank) % 3) != 0);
  return g_variant_builder_end (&builder);
}

/* The serial fold, in rank order. */
static GVariant *
serial (DpRmpiOp  *op,
        guint      cnt,
        GVariant *(*value) (guint rank, gpointer data),
        gpointer   data)
{
  GVariant *acc = g_variant_ref_sink (value (0, data));

  for (guint r = 1; r < cnt; r++)
    {
      g_autoptr(GVariant) next = g_variant_ref_sink (value (r, data));
      GVariant *combined = dp_rmpi_op_apply (op, acc, next, NULL);

      g_assert_nonnull (combined);
      g_variant_unref (acc);
      acc = combined;
    }
  return acc;
}

static GVariant *value_int64 (guint r, gpointer d) { return g_variant_new_int64 ((gint64) r * 7 + 1 + GPOINTER_TO_INT (d)); }
static GVariant *value_double (guint r, gpointer d) { return g_variant_new_double ((gdouble) r * 0.5 + 1.25); }
static GVariant *value_small (guint r, gpointer d) { return g_variant_new_int32 ((gint32) (r % 3) + 1); }
static GVariant *value_doubles (guint r, gpointer d) { return doubles (r, GPOINTER_TO_SIZE (d), 0.25); }
static GVariant *value_int64s (guint r, gpointer d) { return int64s (r, GPOINTER_TO_SIZE (d)); }
static GVariant *value_booleans (guint r, gpointer d) { return booleans (r, 37); }
static GVariant *value_uints (guint r, gpointer d)
{
  guint32 v[5] = { r, 1u << (r % 32), ~r, r * 0x01010101u, 0xf0f0f0f0u >> r };
  return g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, v, 5, sizeof (guint32));
}
static GVariant *value_tuple (guint r, gpointer d)
{
  return g_variant_new ("(xd@ai)", (gint64) r - 3, (gdouble) r * 2,
                        g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, (gint32[]) { (gint32) r, 2, -(gint32) r }, 3, sizeof (gint32)));
}
static GVariant *value_av (guint r, gpointer d)
{
  GVariant *children[] = { g_variant_new_variant (g_variant_new_int64 (r)),
                           g_variant_new_variant (g_variant_new_double (r + 0.5)) };
  return g_variant_new_array (G_VARIANT_TYPE_VARIANT, children, 2);
}
static GVariant *value_gcd (guint r, gpointer d) { return g_variant_new_int64 (360 * (r % 4 + 1) * (r % 3 + 1)); }
static GVariant *value_letter (guint r, gpointer d)
{
  char s[2] = { (char) ('a' + r), 0 };
  return g_variant_new_string (s);
}

static void
test_reductions (Checker *c)
{
  static const struct {
    const char *name;
    GVariant *(*value) (guint, gpointer);
    gpointer data;
    DpRmpiOpKind kinds[10];
    guint n_kinds;
  } cases[] = {
    { "int64", value_int64, NULL, { DP_RMPI_OP_SUM, DP_RMPI_OP_MIN, DP_RMPI_OP_MAX, DP_RMPI_OP_BXOR, DP_RMPI_OP_LAND }, 5 },
    { "double", value_double, NULL, { DP_RMPI_OP_SUM, DP_RMPI_OP_MAX, DP_RMPI_OP_MIN, DP_RMPI_OP_LOR }, 4 },
    { "int32", value_small, NULL, { DP_RMPI_OP_PROD, DP_RMPI_OP_BOR, DP_RMPI_OP_BAND }, 3 },
    { "ad[1000]", value_doubles, GSIZE_TO_POINTER (1000), { DP_RMPI_OP_SUM, DP_RMPI_OP_MAX }, 2 },
    { "ad[40000]", value_doubles, GSIZE_TO_POINTER (40000), { DP_RMPI_OP_SUM }, 1 },
    { "ax[513]", value_int64s, GSIZE_TO_POINTER (513), { DP_RMPI_OP_SUM, DP_RMPI_OP_MIN, DP_RMPI_OP_BOR }, 3 },
    { "ab[37]", value_booleans, NULL, { DP_RMPI_OP_LAND, DP_RMPI_OP_LOR, DP_RMPI_OP_LXOR, DP_RMPI_OP_MAX }, 4 },
    { "au[5]", value_uints, NULL, { DP_RMPI_OP_BAND, DP_RMPI_OP_BOR, DP_RMPI_OP_BXOR, DP_RMPI_OP_PROD }, 4 },
    { "(xdai)", value_tuple, NULL, { DP_RMPI_OP_SUM, DP_RMPI_OP_MAX }, 2 },
    { "av", value_av, NULL, { DP_RMPI_OP_SUM }, 1 },
  };
  DpRmpiComm *comm = c->comm;
  guint cnt = dp_rmpi_cnt (comm), id = dp_rmpi_id (comm);

  for (guint k = 0; k < G_N_ELEMENTS (cases) && c->error == NULL; k++)
    for (guint o = 0; o < cases[k].n_kinds && c->error == NULL; o++)
      {
        DpRmpiOp *op = dp_rmpi_op_builtin (cases[k].kinds[o]);
        g_autoptr(GVariant) expected = serial (op, cnt, cases[k].value, cases[k].data);
        g_autofree char *what = g_strdup_printf ("allreduce %s %s", dp_rmpi_op_get_name (op), cases[k].name);
        g_autoptr(GVariant) all = dp_rmpi_allreduce (comm, op, cases[k].value (id, cases[k].data), &c->error);

        if (!got (c, all))
          return;
        check_equal (c, what, all, g_variant_ref (expected));

        /* Reduce to a root that moves with the case. */
        {
          guint root = (k + o) % cnt;
          g_autoptr(GVariant) reduced = dp_rmpi_reduce (comm, root, op, cases[k].value (id, cases[k].data),
                                                        &c->error);

          if (!got (c, reduced))
            return;
          g_free (what);
          what = g_strdup_printf ("reduce to %u %s %s", root, dp_rmpi_op_get_name (op), cases[k].name);
          if (id == root)
            check_equal (c, what, reduced, g_variant_ref (expected));
        }
      }

  /* User operations: a module's, and one of this program's. */
  if (c->error == NULL)
    {
      g_autoptr(DpRmpiOp) gcd = dp_rmpi_op_lookup ("rmpi-test-places:rmpi_test_gcd", &c->error);
      g_autoptr(GVariant) expected = NULL;
      g_autoptr(GVariant) all = NULL;
      g_autoptr(GVariant) reduced = NULL;

      if (gcd == NULL)
        return;
      expected = serial (gcd, cnt, value_gcd, NULL);
      all = dp_rmpi_allreduce (comm, gcd, value_gcd (id, NULL), &c->error);
      if (!got (c, all))
        return;
      check_equal (c, "allreduce gcd (a module's operation)", all, g_variant_ref (expected));
      reduced = dp_rmpi_reduce (comm, cnt - 1, gcd, value_gcd (id, NULL), &c->error);
      if (!got (c, reduced))
        return;
      if (id == cnt - 1)
        check_equal (c, "reduce gcd", reduced, g_variant_ref (expected));
    }
  if (c->error == NULL)
    {
      g_autoptr(DpRmpiOp) op = dp_rmpi_op_new_func ("concat", concat, NULL, NULL);
      g_autoptr(GVariant) expected = serial (op, cnt, value_letter, NULL);
      g_autoptr(GVariant) all = dp_rmpi_allreduce (comm, op, value_letter (id, NULL), &c->error);

      if (!got (c, all))
        return;
      check_equal (c, "allreduce concat (in rank order)", all, g_variant_ref (expected));
    }
}

static void
test_broadcasts (Checker *c)
{
  DpRmpiComm *comm = c->comm;
  guint cnt = dp_rmpi_cnt (comm), id = dp_rmpi_id (comm);

  for (guint root = 0; root < cnt && c->error == NULL; root++)
    {
      g_autofree char *text = g_strdup_printf ("from %u", root);
      GVariant *small = g_variant_new ("(sx^as)", text, (gint64) root * 11,
                                       (const char *[]) { "a", "b", NULL });
      g_autoptr(GVariant) small_expected = g_variant_ref_sink (g_variant_new ("(sx^as)", text, (gint64) root * 11,
                                                                              (const char *[]) { "a", "b", NULL }));
      g_autoptr(GVariant) r1 = NULL;
      g_autoptr(GVariant) r2 = NULL;
      g_autoptr(GVariant) r3 = NULL;
      gsize big = 300 * 1024 + root * 1000 + 7;

      r1 = dp_rmpi_broadcast (comm, root, id == root ? small : (g_variant_unref (g_variant_ref_sink (small)), NULL),
                              &c->error);
      if (!got (c, r1))
        return;
      check_equal (c, "broadcast small", r1, g_variant_ref (small_expected));

      /* Pipelined: bytes, and doubles (8-byte aligned chunks). */
      r2 = dp_rmpi_broadcast (comm, root, id == root ? big_bytes (root, big) : NULL, &c->error);
      if (!got (c, r2))
        return;
      check_equal (c, "broadcast 300 KiB", r2, big_bytes (root, big));
      r3 = dp_rmpi_broadcast (comm, root, id == root ? doubles (root, 50001, 1.5) : NULL, &c->error);
      if (!got (c, r3))
        return;
      check_equal (c, "broadcast ad[50001]", r3, doubles (root, 50001, 1.5));
    }
}

static void
test_gathers (Checker *c)
{
  DpRmpiComm *comm = c->comm;
  guint cnt = dp_rmpi_cnt (comm), id = dp_rmpi_id (comm);
  GVariantBuilder expected;
  g_autoptr(GVariant) expected_av = NULL;
  g_autoptr(GVariant) all = NULL;

  g_variant_builder_init (&expected, G_VARIANT_TYPE ("av"));
  for (guint r = 0; r < cnt; r++)
    {
      g_autofree char *s = g_strdup_printf ("rank %u", r);
      g_variant_builder_add (&expected, "v", g_variant_new ("(su)", s, r * r));
    }
  expected_av = g_variant_ref_sink (g_variant_builder_end (&expected));

  for (guint root = 0; root < cnt && c->error == NULL; root++)
    {
      g_autofree char *s = g_strdup_printf ("rank %u", id);
      g_autoptr(GVariant) gathered = dp_rmpi_gather (comm, root, g_variant_new ("(su)", s, id * id), &c->error);

      if (!got (c, gathered))
        return;
      if (id == root)
        check_equal (c, "gather", gathered, g_variant_ref (expected_av));
    }
  if (c->error == NULL)
    {
      g_autofree char *s = g_strdup_printf ("rank %u", id);

      all = dp_rmpi_allgather (comm, g_variant_new ("(su)", s, id * id), &c->error);
      if (!got (c, all))
        return;
      check_equal (c, "allgather", all, g_variant_ref (expected_av));
    }

  /* Values too big to travel boxed in one av. */
  if (c->error == NULL)
    {
      g_autoptr(GVariant) big_all = NULL;
      g_autoptr(GVariant) big_gathered = NULL;
      GVariantBuilder big;

      g_variant_builder_init (&big, G_VARIANT_TYPE ("av"));
      for (guint r = 0; r < cnt; r++)
        g_variant_builder_add (&big, "v", doubles (r, 5000, 1.0));
      g_clear_pointer (&expected_av, g_variant_unref);
      expected_av = g_variant_ref_sink (g_variant_builder_end (&big));

      big_all = dp_rmpi_allgather (comm, doubles (id, 5000, 1.0), &c->error);
      if (!got (c, big_all))
        return;
      check_equal (c, "allgather of ad[5000]", big_all, g_variant_ref (expected_av));
      big_gathered = dp_rmpi_gather (comm, cnt - 1, doubles (id, 5000, 1.0), &c->error);
      if (!got (c, big_gathered))
        return;
      if (id == cnt - 1)
        check_equal (c, "gather of ad[5000]", big_gathered, g_variant_ref (expected_av));
    }
}

static void
test_alltoall (Checker *c)
{
  DpRmpiComm *comm = c->comm;
  guint cnt = dp_rmpi_cnt (comm), id = dp_rmpi_id (comm);
  g_autofree gint64 *out = g_new (gint64, cnt);
  g_autofree gint64 *in = g_new (gint64, cnt);
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) strings = NULL;
  GVariantBuilder sb, eb;

  for (guint j = 0; j < cnt; j++)
    {
      out[j] = 1000 * id + j;
      in[j] = 1000 * j + id;
    }
  result = dp_rmpi_alltoall (comm, g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, out, cnt, sizeof (gint64)),
                             &c->error);
  if (!got (c, result))
    return;
  check_equal (c, "alltoall ax", result, g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, in, cnt, sizeof (gint64)));

  g_variant_builder_init (&sb, G_VARIANT_TYPE ("as"));
  g_variant_builder_init (&eb, G_VARIANT_TYPE ("as"));
  for (guint j = 0; j < cnt; j++)
    {
      g_autofree char *to = g_strdup_printf ("%u→%u", id, j);
      g_autofree char *from = g_strdup_printf ("%u→%u", j, id);
      g_variant_builder_add (&sb, "s", to);
      g_variant_builder_add (&eb, "s", from);
    }
  strings = dp_rmpi_alltoall (comm, g_variant_builder_end (&sb), &c->error);
  if (!got (c, strings))
    {
      g_variant_builder_clear (&eb);
      return;
    }
  check_equal (c, "alltoall as", strings, g_variant_builder_end (&eb));

  /* alltoallv: rank i sends rank j (i + j) % 3 + 1 doubles, i·1000 + j·10 + k. */
  {
    g_autofree gsize *send_count = g_new (gsize, cnt);
    g_autofree gsize *send_displ = g_new (gsize, cnt);
    g_autofree gsize *recv_count = g_new (gsize, cnt);
    g_autofree gsize *recv_displ = g_new (gsize, cnt);
    g_autoptr(GArray) outv = g_array_new (FALSE, FALSE, sizeof (gdouble));
    g_autoptr(GArray) expect = NULL;
    g_autoptr(GArray) template = g_array_new (FALSE, FALSE, sizeof (gdouble));
    g_autoptr(GVariant) v1 = NULL;
    g_autoptr(GVariant) v2 = NULL;
    gsize total_in = 0;

    for (guint j = 0; j < cnt; j++)
      {
        send_count[j] = (id + j) % 3 + 1;
        send_displ[j] = outv->len;
        for (gsize k = 0; k < send_count[j]; k++)
          {
            gdouble x = id * 1000.0 + j * 10.0 + k;
            g_array_append_val (outv, x);
          }
      }
    /* Received in reverse rank order, with a gap of one after each. */
    for (guint i = cnt; i-- > 0;)
      {
        recv_count[i] = (i + id) % 3 + 1;
        recv_displ[i] = total_in;
        total_in += recv_count[i] + 1;
      }
    for (gsize k = 0; k < total_in; k++)
      {
        gdouble x = -1.0 - k;
        g_array_append_val (template, x);
      }
    expect = g_array_copy (template);
    for (guint i = 0; i < cnt; i++)
      for (gsize k = 0; k < recv_count[i]; k++)
        g_array_index (expect, gdouble, recv_displ[i] + k) = i * 1000.0 + id * 10.0 + k;

    v1 = dp_rmpi_alltoallv (comm,
                            g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, outv->data, outv->len, sizeof (gdouble)),
                            send_count, send_displ,
                            g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, template->data, template->len, sizeof (gdouble)),
                            recv_count, recv_displ, &c->error);
    if (!got (c, v1))
      return;
    check_equal (c, "alltoallv ad", v1,
                 g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, expect->data, expect->len, sizeof (gdouble)));

    /* Without invec: zeros in the gaps, up to the last piece. */
    for (gsize k = 0; k < total_in; k++)
      if (g_array_index (template, gdouble, k) == g_array_index (expect, gdouble, k))
        g_array_index (expect, gdouble, k) = 0.0;
    v2 = dp_rmpi_alltoallv (comm,
                            g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, outv->data, outv->len, sizeof (gdouble)),
                            send_count, send_displ, NULL, recv_count, recv_displ, &c->error);
    if (!got (c, v2))
      return;
    check_equal (c, "alltoallv ad without invec", v2,
                 g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, expect->data, total_in - 1, sizeof (gdouble)));
  }
}

static void
test_vectors (Checker *c)
{
  DpRmpiComm *comm = c->comm;
  guint cnt = dp_rmpi_cnt (comm), id = dp_rmpi_id (comm);
  g_autoptr(DpSharedVector) v = dp_make_shared_flvector (1000, 0.0, &c->error);
  g_autoptr(DpSharedVector) f = NULL;
  gdouble *d;

  if (v == NULL)
    return;
  d = dp_shared_vector_get_flonums (v);
  for (guint i = 0; i < 1000; i++)
    d[i] = id + i * 0.5;
  if (!dp_rmpi_allreduce_vector (comm, DP_RMPI_SUM, v, &c->error))
    return;
  for (guint i = 0; i < 1000; i++)
    if (d[i] != (cnt * (cnt - 1)) / 2.0 + cnt * i * 0.5)
      {
        check_true (c, "allreduce of a shared flvector", FALSE);
        break;
      }

  f = dp_make_shared_fxvector (300 * 1024 / 8, id == cnt - 1 ? 42 : -1, &c->error);
  if (f == NULL || !dp_rmpi_broadcast_vector (comm, cnt - 1, f, &c->error))
    return;
  check_true (c, "broadcast of a shared fxvector", dp_shared_vector_get_fixnums (f)[1000] == 42);

  dp_shared_vector_get_fixnums (f)[7] = id;
  if (!dp_rmpi_reduce_vector (comm, 0, DP_RMPI_MAX, f, &c->error))
    return;
  if (id == 0)
    check_true (c, "reduce of a shared fxvector", dp_shared_vector_get_fixnums (f)[7] == cnt - 1);
}

static void
test_p2p_all (Checker *c)
{
  DpRmpiComm *comm = c->comm;
  guint cnt = dp_rmpi_cnt (comm), id = dp_rmpi_id (comm);

  /* Everyone sends everyone (itself too) three messages, then reads. */
  for (guint k = 0; k < 3; k++)
    for (guint j = 0; j < cnt; j++)
      if (!dp_rmpi_send (comm, j, g_variant_new ("(uuu)", id, j, k), &c->error))
        return;
  for (guint j = 0; j < cnt; j++)
    for (guint k = 0; k < 3; k++)
      {
        g_autoptr(GVariant) m = dp_rmpi_recv (comm, j, &c->error);

        if (m == NULL)
          return;
        check_equal (c, "send/recv", m, g_variant_new ("(uuu)", j, id, k));
      }
}

static void
test_split (Checker *c)
{
  DpRmpiComm *comm = c->comm;
  guint cnt = dp_rmpi_cnt (comm), id = dp_rmpi_id (comm);
  g_autoptr(DpRmpiComm) half = NULL;
  g_autoptr(DpRmpiComm) none = NULL;
  g_autoptr(GVariant) sum = NULL;
  g_autoptr(GVariant) ranks = NULL;
  guint n = 0;
  gint64 expected = 0;

  /* Even and odd ranks, each group in reverse order. */
  half = dp_rmpi_comm_split (comm, id % 2, -(gint) id, &c->error);
  if (half == NULL)
    return;
  for (guint r = id % 2; r < cnt; r += 2)
    {
      n++;
      expected += r;
    }
  check_true (c, "comm-split size", dp_rmpi_cnt (half) == n);
  check_true (c, "comm-split rank", dp_rmpi_id (half) == (cnt - 1 - id) / 2);
  sum = dp_rmpi_allreduce (half, DP_RMPI_SUM, g_variant_new_int64 (id), &c->error);
  if (!got (c, sum))
    return;
  check_equal (c, "allreduce in a split", sum, g_variant_new_int64 (expected));
  ranks = dp_rmpi_allgather (half, g_variant_new_uint32 (id), &c->error);
  if (!got (c, ranks))
    return;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (ranks, i);
      g_autoptr(GVariant) r = g_variant_get_variant (boxed);

      check_true (c, "allgather in a split is in the new order",
                  g_variant_get_uint32 (r) == dp_rmpi_comm_get_world_rank (half, i));
    }

  /* Messages in the split do not mix with the parent's. */
  if (!dp_rmpi_send (comm, (id + 1) % cnt, g_variant_new_string ("parent"), &c->error) ||
      !dp_rmpi_send (half, (dp_rmpi_id (half) + 1) % n, g_variant_new_string ("split"), &c->error))
    return;
  {
    g_autoptr(GVariant) a = dp_rmpi_recv (half, (dp_rmpi_id (half) + n - 1) % n, &c->error);
    g_autoptr(GVariant) b = NULL;

    if (a == NULL)
      return;
    check_equal (c, "recv in a split", a, g_variant_new_string ("split"));
    b = dp_rmpi_recv (comm, (id + cnt - 1) % cnt, &c->error);
    if (b == NULL)
      return;
    check_equal (c, "recv in the parent", b, g_variant_new_string ("parent"));
  }

  /* A split nobody joins on this rank; the others get their own. */
  none = dp_rmpi_comm_split (comm, id == 0 ? DP_RMPI_UNDEFINED : 1, 0, &c->error);
  if (c->error != NULL)
    return;
  check_true (c, "comm-split with DP_RMPI_UNDEFINED", (id == 0) == (none == NULL));
  if (none != NULL && !dp_rmpi_barrier (none, &c->error))
    return;
  if (!dp_rmpi_barrier (comm, &c->error))
    return;
}

static void
report (DpChannel *ch,
        Checker   *c)
{
  g_autoptr(GVariant) failures = NULL;

  if (c->error != NULL)
    g_ptr_array_insert (c->failures, 0, g_strdup_printf ("rank %u: error: %s", dp_rmpi_id (c->comm),
                                                         c->error->message));
  g_ptr_array_add (c->failures, NULL);
  failures = g_variant_ref_sink (g_variant_new_strv ((const char * const *) c->failures->pdata, -1));
  dp_channel_put (ch, g_variant_new ("(suu@as)", "report", dp_rmpi_id (c->comm), c->checks, failures),
                  NULL);
}

/* Every collective against its serial computation. */
void
rmpi_test_collectives (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiComm) comm = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  Checker c = { 0 };
  gsize offset, length;

  if (!dp_rmpi_init (ch, &comm, NULL, &tc, &error))
    {
      dp_channel_put (ch, g_variant_new ("(suu@as)", "report", 0, 0,
                                         g_variant_new_strv ((const char *[]) { error->message }, 1)),
                      NULL);
      return;
    }
  c.comm = comm;
  c.failures = failures;

  dp_rmpi_partition (comm, 10, &offset, &length);
  check_true (&c, "partition", length == 10 / dp_rmpi_cnt (comm) + (dp_rmpi_id (comm) < 10 % dp_rmpi_cnt (comm)));

  test_p2p_all (&c);
  if (c.error == NULL)
    test_broadcasts (&c);
  if (c.error == NULL)
    test_reductions (&c);
  if (c.error == NULL)
    dp_rmpi_barrier (comm, &c.error);
  if (c.error == NULL)
    test_gathers (&c);
  if (c.error == NULL)
    test_alltoall (&c);
  if (c.error == NULL)
    test_vectors (&c);
  if (c.error == NULL)
    test_split (&c);

  report (ch, &c);
  if (c.error == NULL)
    dp_rmpi_finish (comm, tc, &c.error);
  g_clear_error (&c.error);
}

/* Point to point: N numbered messages from every rank to every other,
 * interleaved, each stream checked in order. Args: (u N). */
void
rmpi_test_p2p (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiComm) comm = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GVariant) args = NULL;
  g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  Checker c = { 0 };
  guint32 n = 0;
  guint cnt, id;

  if (!dp_rmpi_init (ch, &comm, &args, &tc, &error))
    return;
  c.comm = comm;
  c.failures = failures;
  g_variant_get (args, "(u)", &n);
  cnt = dp_rmpi_cnt (comm);
  id = dp_rmpi_id (comm);

  for (guint32 k = 0; k < n && c.error == NULL; k++)
    for (guint j = 1; j < cnt; j++)
      if (!dp_rmpi_send (comm, (id + j) % cnt, g_variant_new ("(uus)", id, k, k % 1000 == 0 ? "milestone" : ""),
                         &c.error))
        break;
  for (guint j = 1; j < cnt && c.error == NULL; j++)
    {
      guint from = (id + cnt - j) % cnt;

      for (guint32 k = 0; k < n; k++)
        {
          g_autoptr(GVariant) m = dp_rmpi_recv (comm, from, &c.error);
          guint32 src, seq;

          if (m == NULL)
            break;
          g_variant_get (m, "(uu&s)", &src, &seq, NULL);
          c.checks++;
          if (src != from || seq != k)
            {
              g_ptr_array_add (failures, g_strdup_printf ("rank %u: message %u from rank %u came as "
                                                          "%u from %u", id, k, from, seq, src));
              break;
            }
        }
    }
  report (ch, &c);
  if (c.error == NULL)
    dp_rmpi_finish (comm, tc, NULL);
  g_clear_error (&c.error);
}

/* A rank dies: args (victim, how). The others must see their next
 * collectives fail, not hang: ('report', id, checks, [error]) with the
 * time it took in checks (ms). */
void
rmpi_test_death (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiComm) comm = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GVariant) args = NULL;
  guint32 victim;
  const char *how;
  gint64 start;

  if (!dp_rmpi_init (ch, &comm, &args, &tc, &error))
    return;
  g_variant_get (args, "(u&s)", &victim, &how);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GVariant) sum = dp_rmpi_allreduce (comm, DP_RMPI_SUM, g_variant_new_int32 (1), &error);
      if (sum == NULL)
        break;
    }
  if (error == NULL && dp_rmpi_id (comm) == victim)
    {
      if (g_str_equal (how, "abort"))
        abort ();
      /* dp_place_exit() keeps the communicator: its channels must close
       * all the same. */
      g_object_ref (comm);
      dp_place_exit (3);
    }

  start = g_get_monotonic_time ();
  while (error == NULL)
    {
      g_autoptr(GVariant) sum = dp_rmpi_allreduce (comm, DP_RMPI_SUM, g_variant_new_int32 (1), &error);
      if (sum != NULL && !dp_rmpi_barrier (comm, &error))
        break;
    }
  dp_channel_put (ch, g_variant_new ("(suu^as)", "report", dp_rmpi_id (comm),
                                     (guint32) ((g_get_monotonic_time () - start) / 1000),
                                     (const char *[]) { error->message, NULL }),
                  NULL);
}

/* rmpi-launch's result: rank 0 gives the sum of the ranks' ids squared. */
void
rmpi_test_result (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiComm) comm = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GVariant) args = NULL;
  g_autoptr(GVariant) sum = NULL;
  g_autofree char *text = NULL;

  if (!dp_rmpi_init (ch, &comm, &args, &tc, &error))
    dp_place_exit (1);
  sum = dp_rmpi_reduce (comm, 0, DP_RMPI_SUM,
                        g_variant_new_uint64 ((guint64) dp_rmpi_id (comm) * dp_rmpi_id (comm)), &error);
  if (sum == NULL)
    dp_place_exit (1);
  text = g_variant_print (args, FALSE);
  if (!dp_rmpi_finish_with_result (comm, tc, g_variant_new ("(s@t)", text, sum), &error))
    dp_place_exit (1);
}
