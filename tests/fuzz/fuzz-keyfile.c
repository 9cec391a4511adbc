/* fuzz-keyfile.c: the keyfile loader, from arbitrary text
 *
 * Input: a keyfile. dp_config_new_from_data() must give either a config
 * or a DP_ERROR_CONFIG naming what is wrong, never crash. A config that
 * loads is then looked at as DpSystem looks at it: its groups, their
 * lines.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dplaces/dplaces.h>

#include "fuzz-common.h"

static const char * const group_kinds[] = { "dplaces", "node", "place", "timer" };

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DpConfig) config = NULL;
  g_autofree char *text = NULL;

  fuzz_init ();

  /* plugin-dirs= adds to the process-wide plugin search path, for good:
   * each new directory would stay for every later input. */
  text = g_strndup ((const char *) data, size);
  if (strstr (text, "plugin-dirs") != NULL)
    return -1;

  config = dp_config_new_from_data ((const char *) data, size, "fuzz.ini", &error);
  if ((config == NULL) == (error == NULL))
    fuzz_fail ("dp_config_new_from_data() gave %s", config != NULL ? "a config and an error" : "nothing");
  if (error != NULL)
    {
      if (fuzz_verbose ())
        g_printerr ("%s\n", error->message);
      if (!g_error_matches (error, DP_ERROR, DP_ERROR_CONFIG) || error->message[0] == '\0')
        fuzz_fail ("a keyfile error that is not DP_ERROR_CONFIG: %s", error->message);
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (group_kinds); i++)
    {
      g_auto(GStrv) groups = dp_config_dup_group_names (config, group_kinds[i]);

      for (guint j = 0; groups != NULL && groups[j] != NULL; j++)
        {
          g_auto(GStrv) keys = g_key_file_get_keys (dp_config_get_key_file (config), groups[j],
                                                   NULL, NULL);

          if (dp_config_get_line (config, groups[j], NULL) == 0)
            fuzz_fail ("group [%s] has no line", groups[j]);
          for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
            if (dp_config_get_line (config, groups[j], keys[k]) == 0)
              fuzz_fail ("key %s of [%s] has no line", keys[k], groups[j]);
        }
    }
  g_strfreev (dp_config_dup_service_groups (config));

  return 0;
}
