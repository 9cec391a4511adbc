/* test-timeouts.h: how long the tests may take
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* How many times longer than usual the tests' time limits are: 1, or
 * DP_TEST_TIMEOUT_MULTIPLIER. A sanitizer build's test setup sets it as
 * it multiplies meson's timeouts (tests/meson.build): everything runs
 * several times slower there. Deadlines that catch a hang scale by it;
 * lower bounds (a delay honoured) do not. No test bounds how long
 * something takes: speed is measured by `dplaces bench`. */
static inline gint64
test_timeout_multiplier (void)
{
  const char *env = g_getenv ("DP_TEST_TIMEOUT_MULTIPLIER");
  guint64 multiplier;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, 100, &multiplier, NULL))
    return (gint64) multiplier;
  return 1;
}
