/* dp-rmpi-launch.c: configuring and launching an RMPI program
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-rmpi"

#include "config.h"

#include "dp-rmpi.h"

/**
 * dp_rmpi_build_default_config:
 * @first_key: the first option's name: `mpi-module`, `mpi-func`,
 *   `mpi-args`, `launch-path` (also `racket-path`,
 *   `distributed-launch-path`), `launcher`, `ssh-bin-path`
 * @...: its value (a floating or owned #GVariant, consumed), then more
 *   name–value pairs, ending with %NULL
 *
 * The seeds' `rmpi-build-default-config`: the options every rank of
 * [func@Dp.rmpi_launch] has unless its entry says otherwise, keyword
 * arguments as a dictionary.
 *
 * ```c
 * dp_rmpi_build_default_config ("mpi-module", g_variant_new_string ("kmeans"),
 *                               "mpi-func", g_variant_new_string ("kmeans_place"),
 *                               "mpi-args", g_variant_new ("(uuuu)", 100000, 9, 3, 100),
 *                               NULL);
 * ```
 *
 * Returns: (transfer floating): an `a{sv}`
 */
GVariant *
dp_rmpi_build_default_config (const char *first_key,
                              ...)
{
  GVariantBuilder builder;
  const char *key;
  va_list args;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  va_start (args, first_key);
  for (key = first_key; key != NULL; key = va_arg (args, const char *))
    {
      GVariant *value = va_arg (args, GVariant *);

      g_return_val_if_fail (value != NULL, NULL);
      g_variant_builder_add (&builder, "{sv}", key, value);
    }
  va_end (args);
  return g_variant_builder_end (&builder);
}

static GVariant *
make_config (const char * const *hosts,
             guint               n_hosts,
             guint               cnt,
             guint               start_port,
             const char         *name)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sqsua{sv})"));
  for (guint i = 0; i < cnt && i < n_hosts; i++)
    {
      g_autofree char *rank_name = g_strdup_printf ("%s_%u", name, i);

      g_variant_builder_add (&builder, "(sqsu@a{sv})", hosts[i],
                             (guint16) (start_port == 0 ? 0 : start_port + i), rank_name, i,
                             g_variant_new ("a{sv}", NULL));
    }
  return g_variant_builder_end (&builder);
}

/**
 * dp_rmpi_make_localhost_config:
 * @cnt: how many ranks
 * @start_port: rank i's node listens on @start_port + i; 0 lets every
 *   node pick its own port
 * @name: the ranks' place names are @name`_`i
 *
 * The seeds' `rmpi-make-localhost-config`: @cnt ranks, each on a node of
 * its own on this machine.
 *
 * Returns: (transfer floating): the config, `a(sqsua{sv})`
 */
GVariant *
dp_rmpi_make_localhost_config (guint       cnt,
                               guint       start_port,
                               const char *name)
{
  g_autofree const char **hosts = g_new (const char *, MAX (cnt, 1));

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (start_port == 0 || start_port + cnt <= 65536, NULL);

  for (guint i = 0; i < cnt; i++)
    hosts[i] = "localhost";
  return make_config (hosts, cnt, cnt, start_port, name);
}

/**
 * dp_rmpi_make_remote_config:
 * @hosts: (array zero-terminated=1): the hosts, one per rank
 * @cnt: how many ranks (at most as many as @hosts)
 * @start_port: rank i's node listens on @start_port + i; 0 lets every
 *   node pick its own port
 * @name: the ranks' place names are @name`_`i
 *
 * The seeds' `rmpi-make-remote-config`: rank i on a node of its own on
 * host i.
 *
 * Returns: (transfer floating): the config, `a(sqsua{sv})`
 */
GVariant *
dp_rmpi_make_remote_config (const char * const *hosts,
                            guint               cnt,
                            guint               start_port,
                            const char         *name)
{
  g_return_val_if_fail (hosts != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (start_port == 0 || start_port + cnt <= 65536, NULL);

  return make_config (hosts, g_strv_length ((char **) hosts), cnt, start_port, name);
}

/**
 * dp_rmpi_launch:
 * @default_config: (transfer floating) (nullable): options for every rank,
 *   from [func@Dp.rmpi_build_default_config]
 * @config: (transfer floating): the ranks: `(host, port, name, id)` or
 *   `(host, port, name, id, options)` each (see [class@Dp.RmpiJob])
 * @error: return location for a #GError
 *
 * The seeds' `rmpi-launch`: spawns the nodes, runs `mpi-func` from
 * `mpi-module` as a named place per rank, hands each its id and the
 * arguments, and returns when rank 0 has called [func@Dp.rmpi_finish] and
 * every rank's place has ended. Fails as soon as a rank does.
 *
 * Returns: (transfer full): what rank 0 gave
 *   [func@Dp.rmpi_finish_with_result] (`()` if nothing), or %NULL with
 *   @error set
 */
GVariant *
dp_rmpi_launch (GVariant  *default_config,
                GVariant  *config,
                GError   **error)
{
  g_autoptr(DpRmpiJob) job = dp_rmpi_job_new (default_config, config, error);

  if (job == NULL || !dp_rmpi_job_start (job, error))
    return NULL;
  return dp_rmpi_job_wait (job, error);
}
