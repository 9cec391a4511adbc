/* dp-error.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "dp-error.h"

G_DEFINE_QUARK (dp-error-quark, dp_error)

/**
 * dp_error_domain_lookup:
 * @name: an error domain's name, as another process sent it
 *
 * Finds the error domain another process named, to report its error in
 * its own domain: dplaces' own, GLib's and GIO's are always known, a
 * framework's once it registered its quark. A domain is found, never
 * made: quarks are never freed, and a peer could make us make many.
 *
 * Returns: the domain, or 0 if this process does not know it
 */
GQuark
dp_error_domain_lookup (const char *name)
{
  static gsize registered = 0;

  g_return_val_if_fail (name != NULL, 0);

  if (g_once_init_enter (&registered))
    {
      /* Touching each registers it. */
      GQuark known[] = { DP_ERROR, G_IO_ERROR, G_FILE_ERROR, G_KEY_FILE_ERROR,
                         G_VARIANT_PARSE_ERROR, G_CONVERT_ERROR, G_SPAWN_ERROR, G_OPTION_ERROR,
                         G_MARKUP_ERROR, G_REGEX_ERROR, G_URI_ERROR, G_RESOLVER_ERROR, G_TLS_ERROR };

      for (guint i = 0; i < G_N_ELEMENTS (known); i++)
        g_assert (known[i] != 0);
      g_once_init_leave (&registered, 1);
    }

  return g_quark_try_string (name);
}
