/* mandelbrot.c: the dissertation's shared-memory Mandelbrot (Fig. 3.4)
 *
 *   (define (main N)
 *     (define NP (processor-count))
 *     (define b (make-shared-bytes (* N N) 0))
 *     (fork-join NP cg ([N N] [b b])
 *       (CGfor cg ([y (in-range N)])
 *         (for ([x (in-range N)])
 *           (define mp (mandelbrot-point x y N))
 *           (byte-2d-array-set! b x y N mp))))
 *     (for ([y (in-range N)])
 *       (write-bytes/newline b y N)))
 *
 * The places write their rows straight into one shared byte vector (a
 * memfd mapped by every place, threads or processes alike); the
 * controller writes the image as a PGM file. mandelbrot-point iterates in
 * fixed-point integers, so the image is the same byte for byte however
 * the rows are split.
 *
 * As a keyfile place (data/examples/mandelbrot.ini), mandelbrot_main
 * takes {'size': <N>, 'output': <'FILE.pgm'>, 'places': <NP>,
 * 'backend': <'threads'|'processes'>} and replies with what it wrote.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "example-options.h"
#include "fork-join.h"
#include "mandelbrot.h"

/* Fixed-point numbers with 28 fraction bits: |z| stays below 2 before the
 * escape test, so every product fits in 64 bits. */
#define FRACTION_BITS 28
#define ONE ((gint64) 1 << FRACTION_BITS)
#define MAX_ITERATIONS 255

static inline gint64
fixed_mul (gint64 a,
           gint64 b)
{
  /* An arithmetic shift, rounding towards minus infinity, as GCC and
   * Clang do for signed integers. */
  return (a * b) >> FRACTION_BITS;
}

/**
 * mandelbrot_point:
 * @x: the column, 0 to @n - 1
 * @y: the row, 0 to @n - 1
 * @n: the image's width and height
 *
 * The seeds' black-box kernel: the point's escape time, for the square
 * from -2 - 1.5i to 1 + 1.5i.
 *
 * Returns: how many iterations z ← z² + c took to leave the circle of
 *   radius 2, or 255 if it did not
 */
guint8
mandelbrot_point (guint x,
                  guint y,
                  guint n)
{
  gint64 cr = -2 * ONE + (3 * ONE * (gint64) x) / n;
  gint64 ci = -3 * ONE / 2 + (3 * ONE * (gint64) y) / n;
  gint64 zr = 0, zi = 0;
  guint i;

  for (i = 0; i < MAX_ITERATIONS; i++)
    {
      gint64 zr2 = fixed_mul (zr, zr);
      gint64 zi2 = fixed_mul (zi, zi);

      if (zr2 + zi2 > 4 * ONE)
        break;
      zi = 2 * fixed_mul (zr, zi) + ci;
      zr = zr2 - zi2 + cr;
    }

  return (guint8) i;
}

/* The fork-join body: this place's rows. Args: (N, b). */
G_MODULE_EXPORT void
mandelbrot_place (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) args = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(CommGroup) cg = NULL;
  g_autoptr(DpSharedVector) b = NULL;
  guint8 *bytes;
  guint n, rows = 0;

  cg = cg_receive (ch, &args, &error);
  if (cg == NULL)
    goto fail;
  if (!g_variant_is_of_type (args, G_VARIANT_TYPE ("(uh)")))
    {
      g_set_error (&error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected (N, b), got a “%s”", g_variant_get_type_string (args));
      goto fail;
    }
  g_variant_get (args, "(u@h)", &n, &handle);
  b = dp_shared_vector_from_variant (handle, &error);
  if (b == NULL)
    goto fail;
  if (dp_shared_vector_get_kind (b) != DP_SHARED_VECTOR_BYTES ||
      dp_shared_vector_get_length (b) != (gsize) n * n)
    {
      g_set_error (&error, DP_ERROR, DP_ERROR_INVALID_MESSAGE,
                   "Expected shared bytes of %u×%u", n, n);
      goto fail;
    }
  bytes = dp_shared_vector_get_bytes (b);

  /* (CGfor cg ([y (in-range N)]) (for ([x (in-range N)]) ...)) */
  CG_FOR (cg, y, n)
    {
      for (guint x = 0; x < n; x++)
        bytes[y * n + x] = mandelbrot_point (x, y, n);   /* byte-2d-array-set! */
      rows++;
    }

  if (!cg_return (cg, g_variant_new_uint32 (rows), &error))
    goto fail;
  return;

fail:
  g_printerr ("mandelbrot place: %s\n", error->message);
  dp_place_exit (1);
}

/**
 * mandelbrot_run:
 * @np: how many places; 0 for one per processor
 * @n: the image's width and height
 * @backend: (nullable): the place backend
 * @error: return location for a #GError
 *
 * Fig. 3.4's main: computes the image in @np places.
 *
 * Returns: (transfer full): the shared vector holding the image, row by
 *   row, or %NULL with @error set
 */
DpSharedVector *
mandelbrot_run (guint        np,
                guint        n,
                const char  *backend,
                GError     **error)
{
  g_autoptr(DpSharedVector) b = NULL;
  g_autoptr(GPtrArray) results = NULL;
  guint rows = 0;

  if (n == 0 || n > 1 << 15)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "Image size %u is not in 1…32768", n);
      return NULL;
    }
  if (np == 0)
    np = dp_processor_count ();

  b = dp_make_shared_bytes ((gsize) n * n, 0, error);
  if (b == NULL)
    return NULL;

  results = fork_join (np, MANDELBROT_MODULE, "mandelbrot_place",
                       g_variant_new ("(u@h)", n, dp_shared_vector_to_variant (b)),
                       backend, error);
  if (results == NULL)
    return NULL;

  for (guint i = 0; i < results->len; i++)
    rows += g_variant_get_uint32 (g_ptr_array_index (results, i));
  if (rows != n)
    {
      g_set_error (error, DP_ERROR, DP_ERROR_FAILED, "The places computed %u rows of %u", rows, n);
      return NULL;
    }

  return g_steal_pointer (&b);
}

/**
 * mandelbrot_pgm:
 * @image: @n × @n bytes
 * @n: the image's width and height
 *
 * Returns: (transfer full): @image as a binary PGM file (P5)
 */
GBytes *
mandelbrot_pgm (DpSharedVector *image,
                guint           n)
{
  GByteArray *pgm = g_byte_array_new ();
  g_autofree char *header = g_strdup_printf ("P5\n%u %u\n%u\n", n, n, MAX_ITERATIONS);

  g_byte_array_append (pgm, (const guint8 *) header, strlen (header));
  g_byte_array_append (pgm, dp_shared_vector_get_bytes (image), (guint) n * n);
  return g_byte_array_free_to_bytes (pgm);
}

static const char * const mandelbrot_options[] = { "backend", "places", "size", "output", NULL };

/* The keyfile place: options in, one line out. */
G_MODULE_EXPORT void
mandelbrot_main (DpChannel *ch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(DpSharedVector) image = NULL;
  g_autoptr(GBytes) pgm = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *output = NULL;
  g_autofree char *reply = NULL;
  guint np, n;

  options = dp_channel_get (ch, &error);
  if (options == NULL)
    goto fail;
  if (!example_options_check (options, mandelbrot_options, &error) ||
      !example_options_string (options, "backend", "threads", &backend, &error) ||
      !example_options_uint (options, "places", 0, &np, &error) ||
      !example_options_uint (options, "size", 64, &n, &error) ||
      !example_options_string (options, "output", "mandelbrot.pgm", &output, &error))
    goto fail;
  if (np == 0)
    np = dp_processor_count ();

  image = mandelbrot_run (np, n, backend, &error);
  if (image == NULL)
    goto fail;
  pgm = mandelbrot_pgm (image, n);
  if (!g_file_set_contents (output, g_bytes_get_data (pgm, NULL), g_bytes_get_size (pgm), &error))
    goto fail;

  reply = g_strdup_printf ("mandelbrot: wrote a %ux%u image to %s with %u %s places",
                           n, n, output, np, backend);
  if (!dp_channel_put (ch, g_variant_new_string (reply), &error))
    goto fail;
  return;

fail:
  g_free (reply);
  reply = g_strdup_printf ("mandelbrot: error: %s", error->message);
  g_printerr ("%s\n", reply);
  dp_channel_put (ch, g_variant_new_take_string (g_steal_pointer (&reply)), NULL);
  dp_place_exit (1);
}
