/* test-sandbox.h: a test program's own folder and cookie, and the files
 * it gives the programs it runs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "test-run.h"

G_BEGIN_DECLS

const char *test_sandbox_init        (const char *name,
                                      const char *cookie);
const char *test_sandbox_cookie_file (void);
const char *test_sandbox_config_home (void);
void        test_sandbox_finish      (void);

char       *test_write_cookie_file   (const char *path);
char       *test_keyfile_with_cookie (const char *text);
char       *test_write_keyfile       (const char *name,
                                      const char *text);
TestRun    *test_run_keyfile         (const char *name,
                                      const char *text);

/**
 * TestKeyfileCase:
 * @text: a keyfile (the test's cookie is added)
 * @status: the exit status `dplaces run` must end with
 * @needles: what it must say, on its standard output or error; up to
 *   three, the rest %NULL
 *
 * A keyfile `dplaces run` refuses or fails, and what it says.
 */
typedef struct {
  const char *text;
  gint status;
  const char *needles[3];
} TestKeyfileCase;

void        test_run_keyfile_cases   (const char            *name,
                                      const TestKeyfileCase *cases,
                                      gsize                  n_cases);

char       *test_example_path        (const char *name);
char       *test_read_example        (const char *name);
char       *test_read_file           (const char *path);

char       *test_make_fifo           (const char *name);
GPid        test_read_pid            (const char *fifo);

G_END_DECLS
