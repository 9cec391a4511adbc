/* nas-is.c: the NAS Parallel Benchmarks' IS kernel (integer sort), class
 * S, on RMPI — after NPB's MPI is.c
 *
 * 2^16 keys in [0, 2^11), made by NPB's linear congruential generator
 * (a = 5^13 mod 2^46, seed 314159265), ranked ten times. Each rank
 * buckets its share of the keys; an rmpi-allreduce of the bucket sizes
 * (which also carries the five test keys) tells every rank which buckets
 * it ranks; an rmpi-alltoall of the counts and an rmpi-alltoallv of the
 * keys (`ai` arrays, moved whole) redistribute them; each rank counts its
 * keys' populations. Partial verification checks the five test keys'
 * ranks each iteration against NPB's values; full verification sorts the
 * keys and checks the order across ranks (a key passed with rmpi-send).
 *
 * The shares come from rmpi-partition, and rank r's first key from
 * jumping the generator ahead (as NPB's find_my_seed does): any number of
 * ranks sorts the same keys. The job's arguments are ignored; rank 0
 * hands the launcher an NPB-style report.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "nas-is.h"

/* Class S. */
#define TOTAL_KEYS_LOG_2 16
#define MAX_KEY_LOG_2 11
#define NUM_BUCKETS_LOG_2 9
#define TOTAL_KEYS (1 << TOTAL_KEYS_LOG_2)
#define MAX_KEY (1 << MAX_KEY_LOG_2)
#define NUM_BUCKETS (1 << NUM_BUCKETS_LOG_2)
#define MAX_ITERATIONS 10
#define TEST_ARRAY_SIZE 5
#define SHIFT (MAX_KEY_LOG_2 - NUM_BUCKETS_LOG_2)

static const gint32 test_index_array[TEST_ARRAY_SIZE] = { 48427, 17148, 23627, 62548, 4431 };
static const gint32 test_rank_array[TEST_ARRAY_SIZE] = { 0, 18, 346, 64917, 65463 };

#define LCG_A G_GUINT64_CONSTANT (1220703125)
#define LCG_SEED G_GUINT64_CONSTANT (314159265)
#define MASK_46 ((G_GUINT64_CONSTANT (1) << 46) - 1)

/* NPB's randlc(): x = a·x mod 2^46, returns x / 2^46 — exactly, in integers. */
static gdouble
randlc (guint64 *x,
        guint64  a)
{
  *x = (guint64) (((unsigned __int128) a * *x) & MASK_46);
  return (gdouble) *x / (gdouble) (G_GUINT64_CONSTANT (1) << 46);
}

/* a^n mod 2^46, to jump the generator n steps ahead. */
static guint64
power_mod (guint64 a,
           guint64 n)
{
  guint64 result = 1;

  while (n > 0)
    {
      if (n & 1)
        result = (guint64) (((unsigned __int128) result * a) & MASK_46);
      a = (guint64) (((unsigned __int128) a * a) & MASK_46);
      n >>= 1;
    }
  return result;
}

typedef struct {
  DpRmpiComm *comm;
  guint id;
  guint cnt;
  gsize first_key;          /* global index of key_array[0] */
  gsize num_keys;           /* this rank's share */
  gint32 *key_array;        /* the keys, then (full verify) the sorted keys */
  gint32 *key_buff1;
  gint32 *key_buff2;        /* the keys this rank ranks */
  gsize key_buff2_length;
  gint32 *key_buff_ptr_global;
  gsize total_local_keys;
  gint passed_verification;
  gint failed_verification;
  gint32 min_key_val;
  GString *log;
} IsState;

static void
create_seq (IsState *s)
{
  guint64 seed = (guint64) (((unsigned __int128) power_mod (LCG_A, 4 * (guint64) s->first_key) * LCG_SEED) & MASK_46);
  gint32 k = MAX_KEY / 4;

  for (gsize i = 0; i < s->num_keys; i++)
    {
      gdouble x = randlc (&seed, LCG_A);

      x += randlc (&seed, LCG_A);
      x += randlc (&seed, LCG_A);
      x += randlc (&seed, LCG_A);
      s->key_array[i] = (gint32) (k * x);
    }
}

static gboolean
rank_keys (IsState  *s,
           gint      iteration,
           GError  **error)
{
  gint32 bucket_size[NUM_BUCKETS + TEST_ARRAY_SIZE] = { 0 };
  gint32 bucket_ptrs[NUM_BUCKETS];
  const gint32 *bucket_size_totals;
  g_autofree gint32 *process_bucket_distrib_ptr1 = g_new0 (gint32, s->cnt);
  g_autofree gint32 *process_bucket_distrib_ptr2 = g_new0 (gint32, s->cnt);
  g_autofree gsize *send_count = g_new0 (gsize, s->cnt);
  g_autofree gsize *send_displ = g_new0 (gsize, s->cnt);
  g_autofree gsize *recv_count = g_new0 (gsize, s->cnt);
  g_autofree gsize *recv_displ = g_new0 (gsize, s->cnt);
  g_autofree gint32 *counts = g_new0 (gint32, s->cnt);
  g_autoptr(GVariant) totals = NULL;
  g_autoptr(GVariant) received_counts = NULL;
  g_autoptr(GVariant) keys = NULL;
  gint64 bucket_sum_accumulator = 0, local_bucket_sum_accumulator = 0;
  gint32 max_key_val, *key_buff_ptr;
  gint64 m = 0, j;
  guint b;

  /* Iteration alteration of keys: global keys `iteration` and
   * `iteration + MAX_ITERATIONS` (rank 0's). */
  if (s->id == 0)
    {
      s->key_array[iteration] = iteration;
      s->key_array[iteration + MAX_ITERATIONS] = MAX_KEY - iteration;
    }

  /* The test keys ride along on top of the bucket sizes. */
  for (gint i = 0; i < TEST_ARRAY_SIZE; i++)
    if ((gsize) test_index_array[i] >= s->first_key &&
        (gsize) test_index_array[i] < s->first_key + s->num_keys)
      bucket_size[NUM_BUCKETS + i] = s->key_array[test_index_array[i] - s->first_key];

  for (gsize i = 0; i < s->num_keys; i++)
    bucket_size[s->key_array[i] >> SHIFT]++;
  bucket_ptrs[0] = 0;
  for (gint i = 1; i < NUM_BUCKETS; i++)
    bucket_ptrs[i] = bucket_ptrs[i - 1] + bucket_size[i - 1];
  for (gsize i = 0; i < s->num_keys; i++)
    {
      gint32 key = s->key_array[i];
      s->key_buff1[bucket_ptrs[key >> SHIFT]++] = key;
    }

  /* MPI_Allreduce (bucket_size, bucket_size_totals, …, MPI_SUM) */
  totals = dp_rmpi_allreduce (s->comm, DP_RMPI_SUM,
                              g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, bucket_size,
                                                         NUM_BUCKETS + TEST_ARRAY_SIZE, sizeof (gint32)),
                              error);
  if (totals == NULL)
    return FALSE;
  bucket_size_totals = g_variant_get_data (totals);

  /* Which buckets each rank ranks: about TOTAL_KEYS / cnt keys each. */
  b = 0;
  for (gint i = 0; i < NUM_BUCKETS; i++)
    {
      bucket_sum_accumulator += bucket_size_totals[i];
      local_bucket_sum_accumulator += bucket_size[i];
      if (b < s->cnt && bucket_sum_accumulator >= (gint64) (b + 1) * TOTAL_KEYS / s->cnt)
        {
          send_count[b] = local_bucket_sum_accumulator;
          if (b != 0)
            {
              send_displ[b] = send_displ[b - 1] + send_count[b - 1];
              process_bucket_distrib_ptr1[b] = process_bucket_distrib_ptr2[b - 1] + 1;
            }
          process_bucket_distrib_ptr2[b++] = i;
          local_bucket_sum_accumulator = 0;
        }
    }
  while (b < s->cnt)
    {
      send_count[b] = 0;
      send_displ[b] = b > 0 ? send_displ[b - 1] + send_count[b - 1] : 0;
      process_bucket_distrib_ptr1[b] = 1;
      b++;
    }

  /* MPI_Alltoall (send_count, …, recv_count, …) */
  for (guint r = 0; r < s->cnt; r++)
    counts[r] = (gint32) send_count[r];
  received_counts = dp_rmpi_alltoall (s->comm,
                                      g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, counts, s->cnt,
                                                                 sizeof (gint32)),
                                      error);
  if (received_counts == NULL)
    return FALSE;
  for (guint r = 0; r < s->cnt; r++)
    {
      recv_count[r] = ((const gint32 *) g_variant_get_data (received_counts))[r];
      recv_displ[r] = r > 0 ? recv_displ[r - 1] + recv_count[r - 1] : 0;
    }

  /* MPI_Alltoallv (key_buff1, send_count, send_displ, key_buff2, recv_count, recv_displ) */
  keys = dp_rmpi_alltoallv (s->comm,
                            g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, s->key_buff1, s->num_keys,
                                                       sizeof (gint32)),
                            send_count, send_displ, NULL, recv_count, recv_displ, error);
  if (keys == NULL)
    return FALSE;
  g_free (s->key_buff2);
  s->key_buff2_length = g_variant_get_size (keys) / sizeof (gint32);
  s->key_buff2 = g_memdup2 (g_variant_get_data (keys), MAX (g_variant_get_size (keys), 1));

  s->min_key_val = process_bucket_distrib_ptr1[s->id] << SHIFT;
  max_key_val = ((process_bucket_distrib_ptr2[s->id] + 1) << SHIFT) - 1;
  for (gint32 i = 0; i < max_key_val - s->min_key_val + 1; i++)
    s->key_buff1[i] = 0;

  /* m: keys on lower ranks; j: keys here. */
  for (guint r = 0; r < s->id; r++)
    for (gint32 i = process_bucket_distrib_ptr1[r]; i <= process_bucket_distrib_ptr2[r]; i++)
      m += bucket_size_totals[i];
  j = 0;
  for (gint32 i = process_bucket_distrib_ptr1[s->id]; i <= process_bucket_distrib_ptr2[s->id]; i++)
    j += bucket_size_totals[i];

  key_buff_ptr = s->key_buff1 - s->min_key_val;
  for (gint64 i = 0; i < j; i++)
    key_buff_ptr[s->key_buff2[i]]++;
  for (gint32 i = s->min_key_val; i < max_key_val; i++)
    key_buff_ptr[i + 1] += key_buff_ptr[i];

  /* Partial verification. */
  for (gint i = 0; i < TEST_ARRAY_SIZE; i++)
    {
      gint32 k = bucket_size_totals[i + NUM_BUCKETS];

      if (s->min_key_val <= k && k <= max_key_val)
        {
          gint64 key_rank = key_buff_ptr[k - 1] + m;
          gint64 expected = i <= 2 ? test_rank_array[i] + iteration : test_rank_array[i] - iteration;

          if (key_rank == expected)
            s->passed_verification++;
          else
            {
              s->failed_verification++;
              g_string_append_printf (s->log, " Failed partial verification: iteration %d, "
                                      "processor %u, test key %d\n", iteration, s->id, i);
            }
        }
    }

  if (iteration == MAX_ITERATIONS)
    {
      s->key_buff_ptr_global = key_buff_ptr;
      s->total_local_keys = j;
    }
  return TRUE;
}

static gboolean
full_verify (IsState  *s,
             GError  **error)
{
  gint64 j = 0;
  gsize last_local_key = s->total_local_keys < 1 ? 0 : s->total_local_keys - 1;
  g_autofree gint32 *sorted = g_new (gint32, MAX (s->total_local_keys, 1));

  for (gsize i = 0; i < s->total_local_keys; i++)
    sorted[--s->key_buff_ptr_global[s->key_buff2[i]]] = s->key_buff2[i];

  /* The largest key goes to the next rank, which checks it is no larger
   * than its smallest. */
  if (s->id < s->cnt - 1 &&
      !dp_rmpi_send (s->comm, s->id + 1,
                     g_variant_new_int32 (s->total_local_keys > 0 ? sorted[last_local_key] : 0), error))
    return FALSE;
  if (s->id > 0)
    {
      g_autoptr(GVariant) k = dp_rmpi_recv (s->comm, s->id - 1, error);

      if (k == NULL)
        return FALSE;
      if (s->total_local_keys > 0 && g_variant_get_int32 (k) > sorted[0])
        j++;
    }
  for (gsize i = 1; i < s->total_local_keys; i++)
    if (sorted[i - 1] > sorted[i])
      j++;

  if (j != 0)
    {
      s->failed_verification++;
      g_string_append_printf (s->log, " Processor %u:  Full_Verify: number of keys out of sort: %"
                              G_GINT64_FORMAT "\n", s->id, j);
    }
  else
    s->passed_verification++;
  return TRUE;
}

static gboolean
nas_is (IsState  *s,
        double   *out_seconds,
        GError  **error)
{
  gint64 start;

  s->id = dp_rmpi_id (s->comm);
  s->cnt = dp_rmpi_cnt (s->comm);
  dp_rmpi_partition (s->comm, TOTAL_KEYS, &s->first_key, &s->num_keys);
  if (s->id == 0 && s->num_keys < 2 * MAX_ITERATIONS + 1)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "IS class S needs fewer than %d ranks",
                   TOTAL_KEYS / (2 * MAX_ITERATIONS + 1));
      return FALSE;
    }
  s->key_array = g_new (gint32, MAX (s->num_keys, 1));
  s->key_buff1 = g_new (gint32, MAX ((gsize) MAX_KEY, s->num_keys));
  create_seq (s);

  /* One iteration for free, then the timed ones. */
  if (!rank_keys (s, 1, error))
    return FALSE;
  s->passed_verification = 0;
  s->failed_verification = 0;
  if (!dp_rmpi_barrier (s->comm, error))
    return FALSE;
  start = g_get_monotonic_time ();
  for (gint iteration = 1; iteration <= MAX_ITERATIONS; iteration++)
    if (!rank_keys (s, iteration, error))
      return FALSE;
  *out_seconds = (g_get_monotonic_time () - start) / 1e6;

  return full_verify (s, error);
}

/* A rank of the benchmark. */
void
nas_is_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpRmpiComm) comm = NULL;
  g_autoptr(DpTypedChannel) tc = NULL;
  g_autoptr(GVariant) passed = NULL;
  g_autoptr(GVariant) logs = NULL;
  IsState s = { 0 };
  double seconds = 0;
  gboolean ok;

  s.log = g_string_new (NULL);
  ok = dp_rmpi_init (ch, &comm, NULL, &tc, &error);
  if (ok)
    {
      s.comm = comm;
      ok = nas_is (&s, &seconds, &error);
    }
  if (ok)
    {
      /* MPI_Reduce (passed_verification, …, MPI_SUM, 0), and the ranks' complaints. */
      passed = dp_rmpi_reduce (comm, 0, DP_RMPI_SUM, g_variant_new_int32 (s.passed_verification), &error);
      logs = passed != NULL ? dp_rmpi_gather (comm, 0, g_variant_new_string (s.log->str), &error) : NULL;
      ok = logs != NULL;
    }
  if (ok && s.id == 0)
    {
      gint32 total = g_variant_get_int32 (passed);
      gboolean verified = total == 5 * MAX_ITERATIONS + (gint32) s.cnt;
      g_autoptr(GString) report = g_string_new (NULL);

      for (guint r = 0; r < s.cnt; r++)
        {
          g_autoptr(GVariant) boxed = g_variant_get_child_value (logs, r);
          g_autoptr(GVariant) text = g_variant_get_variant (boxed);
          g_string_append (report, g_variant_get_string (text, NULL));
        }
      g_string_append_printf (report,
                              "\n\n NAS Parallel Benchmarks (dplaces RMPI) - IS Benchmark\n\n"
                              " Size:  %d  (class S)\n"
                              " Iterations:   %d\n"
                              " Number of processes:     %u\n\n"
                              " IS Benchmark Completed\n"
                              " Class           =                        S\n"
                              " Size            =             %12d\n"
                              " Iterations      =             %12d\n"
                              " Time in seconds =             %12.4f\n"
                              " Total processes =             %12u\n"
                              " Mop/s total     =             %12.2f\n"
                              " Operation type  =              keys ranked\n"
                              " Verification    =             %12s\n"
                              " Passed verification: %d of %d\n",
                              TOTAL_KEYS, MAX_ITERATIONS, s.cnt, TOTAL_KEYS, MAX_ITERATIONS, seconds,
                              s.cnt, (double) MAX_ITERATIONS * TOTAL_KEYS / seconds / 1e6,
                              verified ? "SUCCESSFUL" : "UNSUCCESSFUL", total,
                              5 * MAX_ITERATIONS + (gint32) s.cnt);
      ok = dp_rmpi_finish_with_result (comm, tc, g_variant_new_string (report->str), &error);
    }
  else if (ok)
    ok = dp_rmpi_finish (comm, tc, &error);

  g_free (s.key_array);
  g_free (s.key_buff1);
  g_free (s.key_buff2);
  g_string_free (s.log, TRUE);
  if (!ok)
    {
      g_autofree char *message = g_strdup_printf ("nas-is: %s", error->message);

      dp_log_message (DP_LOG_ERROR, message);
      dp_place_exit (1);
    }
}
