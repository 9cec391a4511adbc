/* standalone-main.c: a harness without libFuzzer
 *
 * Runs LLVMFuzzerTestOneInput() once on each file named on the command
 * line, or on each file of each directory named: the committed corpus, as
 * a meson test of the fuzz-corpus suite, with any compiler. A crash is a
 * failed test; the file it was running is printed first.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

static gint
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static void
run_file (const char *path,
          guint      *n_run)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_printerr ("%s\n", error->message);
      exit (1);
    }
  g_printerr ("%s\n", path);
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, length);
  (*n_run)++;
}

int
main (int    argc,
      char **argv)
{
  guint n_run = 0;

  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GDir) dir = g_dir_open (argv[i], 0, &error);
          g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          const char *name;

          if (dir == NULL)
            {
              g_printerr ("%s\n", error->message);
              return 1;
            }
          while ((name = g_dir_read_name (dir)) != NULL)
            if (name[0] != '.')
              g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
          g_ptr_array_sort (names, compare_paths);
          for (guint j = 0; j < names->len; j++)
            run_file (g_ptr_array_index (names, j), &n_run);
        }
      else
        run_file (argv[i], &n_run);
    }

  g_printerr ("%u inputs ran\n", n_run);
  return n_run > 0 ? 0 : 1;
}
