/* test-sandbox.c: a test program's own folder and cookie, and the files
 * it gives the programs it runs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-common.h"
#include "test-nodes.h"
#include "test-sandbox.h"

/* Where a test's subprocess finds its parent's folder. */
#define SANDBOX_VARIABLE "DP_TEST_SANDBOX"

static char *sandbox_dir;
static char *sandbox_cookie;
static char *sandbox_cookie_file;
static char *sandbox_config_home;

/**
 * test_sandbox_init:
 * @name: the start of the folder's name, such as `dplaces-rpc`
 * @cookie: the cookie of the test program
 *
 * Gives the test program, after g_test_init(), a folder of its own and
 * its own cookie, never the user's: the cookie is this process's
 * (dp_cookie_set_process()) and in a mode-0600 file in the folder
 * ([func@test_sandbox_cookie_file]), and XDG_CONFIG_HOME points at a
 * plain file, so that anything reaching for the user's default cookie —
 * here or in a program the test runs — fails.
 *
 * In a test's subprocess (test_in_subprocess()) the folder is one inside
 * its parent's, which [func@test_sandbox_finish] removes at the parent's
 * end even when the subprocess failed.
 *
 * Returns: the folder, valid until [func@test_sandbox_finish]
 */
const char *
test_sandbox_init (const char *name,
                   const char *cookie)
{
  const char *parent = g_getenv (SANDBOX_VARIABLE);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cookie_file = NULL;
  g_autofree char *no_config_home = NULL;

  g_assert_null (sandbox_dir);
  if (parent != NULL && g_test_subprocess ())
    {
      sandbox_dir = g_build_filename (parent, "subprocess-XXXXXX", NULL);
      g_assert_nonnull (g_mkdtemp (sandbox_dir));
    }
  else
    {
      g_autofree char *template = g_strconcat (name, "-XXXXXX", NULL);

      sandbox_dir = g_dir_make_tmp (template, &error);
      g_assert_no_error (error);
      g_setenv (SANDBOX_VARIABLE, sandbox_dir, TRUE);
    }

  sandbox_cookie = g_strdup (cookie);
  bytes = g_bytes_new (cookie, strlen (cookie));
  dp_cookie_set_process (bytes);
  cookie_file = g_build_filename (sandbox_dir, "cookie", NULL);
  sandbox_cookie_file = test_write_cookie_file (cookie_file);

  no_config_home = g_build_filename (sandbox_dir, "not-a-config-home", NULL);
  g_assert_true (g_file_set_contents (no_config_home, "", -1, &error));
  g_assert_no_error (error);
  g_setenv ("XDG_CONFIG_HOME", no_config_home, TRUE);

  return sandbox_dir;
}

/* The file holding the test program's cookie, for cookie-file=. */
const char *
test_sandbox_cookie_file (void)
{
  g_assert_nonnull (sandbox_cookie_file);
  return sandbox_cookie_file;
}

/* After g_test_run(): removes the folder and everything in it, in the
 * parent only (a subprocess's folder is in there). */
void
test_sandbox_finish (void)
{
  if (!g_test_subprocess ())
    test_remove_tree (sandbox_dir);
  g_clear_pointer (&sandbox_dir, g_free);
  g_clear_pointer (&sandbox_cookie, g_free);
  g_clear_pointer (&sandbox_cookie_file, g_free);
  g_clear_pointer (&sandbox_config_home, g_free);
}

/* A config home (for XDG_CONFIG_HOME) in the folder whose dplaces/cookie
 * is the test program's cookie, made the first time: for a program that
 * reads the default cookie. */
const char *
test_sandbox_config_home (void)
{
  if (sandbox_config_home == NULL)
    {
      g_autofree char *config_home = g_build_filename (sandbox_dir, "config", NULL);
      g_autofree char *cookie_file = g_build_filename (config_home, "dplaces", "cookie", NULL);

      g_free (test_write_cookie_file (cookie_file));
      sandbox_config_home = g_steal_pointer (&config_home);
    }
  return sandbox_config_home;
}

/* Writes the test program's cookie to @path, mode 0600, making its folder
 * (for a program that reads the cookie from its XDG_CONFIG_HOME). Returns
 * a copy of @path. */
char *
test_write_cookie_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *text = NULL;

  g_assert_nonnull (sandbox_cookie);
  text = g_strconcat (sandbox_cookie, "\n", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  return g_strdup (path);
}

/* @text, a keyfile, with cookie-file= the test program's in its
 * [dplaces] group (put first when it has none). */
char *
test_keyfile_with_cookie (const char *text)
{
  g_autofree char *group = g_strdup_printf ("[dplaces]\ncookie-file=%s\n", test_sandbox_cookie_file ());
  g_auto(GStrv) parts = NULL;

  if (!g_str_has_prefix (text, "[dplaces]\n") && strstr (text, "\n[dplaces]\n") == NULL)
    return g_strconcat (group, "\n", text, NULL);
  parts = g_strsplit (text, "[dplaces]\n", 2);
  return g_strconcat (parts[0], group, parts[1], NULL);
}

/* Writes @text, a keyfile, with the test program's cookie
 * ([func@test_keyfile_with_cookie]) to @name in the folder. Returns its
 * path. */
char *
test_write_keyfile (const char *name,
                    const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = test_keyfile_with_cookie (text);
  char *path = g_build_filename (sandbox_dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
  test_note ("%s:\n%s", path, contents);
  return path;
}

/* `dplaces run` of @text, a keyfile written as [func@test_write_keyfile]
 * writes it, for at most TEST_RUN_MS. */
TestRun *
test_run_keyfile (const char *name,
                  const char *text)
{
  g_autofree char *path = test_write_keyfile (name, text);

  return test_run_dplaces ("run", path, NULL);
}

/* Runs each of @cases as the keyfile @name: `dplaces run` ends with the
 * case's status and says each of its needles. */
void
test_run_keyfile_cases (const char            *name,
                        const TestKeyfileCase *cases,
                        gsize                  n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      g_autoptr(TestRun) run = test_run_keyfile (name, cases[i].text);
      g_autofree char *both = NULL;

      test_run_assert_status (run, cases[i].status);
      both = g_strconcat (run->out, run->err, NULL);
      for (guint n = 0; n < G_N_ELEMENTS (cases[i].needles) && cases[i].needles[n] != NULL; n++)
        if (strstr (both, cases[i].needles[n]) == NULL)
          g_error ("case %" G_GSIZE_FORMAT ": “%s” not in:\n%s", i, cases[i].needles[n], both);
    }
}

/* @name in the source tree's data/examples (DP_SOURCE_ROOT). */
char *
test_example_path (const char *name)
{
  return g_build_filename (test_getenv ("DP_SOURCE_ROOT"), "data", "examples", name, NULL);
}

/* The text of the example @name in the source tree's data/examples. */
char *
test_read_example (const char *name)
{
  g_autofree char *path = test_example_path (name);

  return test_read_file (path);
}

char *
test_read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  return contents;
}

/* A FIFO @name in the folder, through which a place or a procedure that
 * blocks announces its process id ([func@test_read_pid]). */
char *
test_make_fifo (const char *name)
{
  char *fifo = g_build_filename (sandbox_dir, name, NULL);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  return fifo;
}

/* The process id written to @fifo. Blocks until a writer opens it: the
 * test's subprocess's deadline is the guard against one that never
 * comes. */
GPid
test_read_pid (const char *fifo)
{
  char buffer[32] = { 0 };
  gssize n;
  int fd;

  fd = open (fifo, O_RDONLY);
  g_assert_cmpint (fd, >=, 0);
  n = read (fd, buffer, sizeof buffer - 1);
  close (fd);
  g_assert_cmpint (n, >, 0);
  return (GPid) g_ascii_strtoll (buffer, NULL, 10);
}
