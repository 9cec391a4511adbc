/* dp-ssh-launcher.c: nodes started on other machines over ssh
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "dplaces-ssh"

#include "config.h"

#include <string.h>

#include "dp-ssh-launcher.h"

/**
 * DpSshLauncher:
 *
 * The `ssh` launcher: starts a node on another machine, the way the seeds'
 * `spawn-remote-racket-node` does with `ssh host racket-path -tm …`.
 *
 * [method@Dp.Launcher.build_argv] returns
 *
 * ```
 * SSH-BIN-PATH -T -o BatchMode=yes [-p PORT] [-i IDENTITY-FILE] [OPTIONS…]
 *              [USER@]HOST REMOTE-PATH NODE-ARGV…
 * ```
 *
 * - `-T`: no pseudo-terminal. The node's standard input and output are plain
 *   pipes, byte for byte: the node's cookie is written to ssh's standard
 *   input and reaches the remote `dplaces node` unchanged (and `-n`, which
 *   would cut standard input off, is never used).
 * - `-o BatchMode=yes`: ssh never asks for a password or a host key
 *   confirmation on a terminal nobody watches; it fails instead, and its
 *   message reaches the caller on standard error. Use keys or an agent.
 * - `-p`, `-i`: the `port` and `identity-file` keys, when set.
 * - OPTIONS: the `options` key, each item split like a shell command line,
 *   so `-o StrictHostKeyChecking=accept-new` may be one item or two.
 * - `USER@HOST`: the `user` key (Racket cannot name one; ssh's own default
 *   is the local user name or the ssh configuration's `User`).
 * - REMOTE-PATH: the `remote-path` key, the `dplaces` binary on the remote
 *   machine (the seeds' `racket-path` / `distributed-launch-path`), given to
 *   the remote shell as written, so `~/bin/dplaces` works.
 * - NODE-ARGV: `node …`, as the core builds it. ssh joins the words of the
 *   remote command with spaces and the remote shell splits them again, so a
 *   word holding anything but letters, digits and `@%+=:,./_-` is quoted
 *   for the shell here, and arrives as it was.
 *
 * A host or user starting with `-` is refused: ssh would read it as an
 * option.
 *
 * [method@Dp.Launcher.wrap_argv] (the seeds' `supervise-process-at`)
 * returns the same command line up to `[USER@]HOST`, followed by the
 * command's words, each quoted for the remote shell like NODE-ARGV — the
 * program too, so it runs as written.
 */

struct _DpSshLauncher
{
  GObject parent_instance;

  char *ssh_bin_path;
  char *user;
  guint port;
  char *identity_file;
  GStrv options;
  char *remote_path;
};

enum {
  PROP_0,
  PROP_SSH_BIN_PATH,
  PROP_USER,
  PROP_PORT,
  PROP_IDENTITY_FILE,
  PROP_OPTIONS,
  PROP_REMOTE_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_REMOTE_PATH "dplaces"

static void dp_ssh_launcher_launcher_init (DpLauncherInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (DpSshLauncher, dp_ssh_launcher, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (DP_TYPE_LAUNCHER,
                                                               dp_ssh_launcher_launcher_init))

static gboolean
is_set (const char *value)
{
  return value != NULL && value[0] != '\0';
}

/* Whether the remote shell reads @word as that one word, unquoted. */
static gboolean
shell_word_is_plain (const char *word)
{
  if (word[0] == '\0')
    return FALSE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("@%+=:,./_-", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* A host or user name ssh takes as one: not an option, no spaces. */
static gboolean
check_name (const char  *what,
            const char  *name,
            GError     **error)
{
  if (name[0] == '\0' || name[0] == '-')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The ssh launcher cannot use the %s “%s”: it must not be empty or start "
                   "with “-”", what, name);
      return FALSE;
    }
  for (const char *p = name; *p != '\0'; p++)
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "The ssh launcher cannot use the %s “%s”: it holds a space or a "
                     "control character", what, name);
        return FALSE;
      }
  return TRUE;
}

/* Adds @word to the remote command, quoted unless the remote shell reads
 * it as it is. */
static void
add_remote_word (GStrvBuilder *builder,
                 const char   *word)
{
  if (shell_word_is_plain (word))
    g_strv_builder_add (builder, word);
  else
    {
      g_autofree char *quoted = g_shell_quote (word);

      g_strv_builder_add (builder, quoted);
    }
}

/* The ssh command line up to the destination: what reaches @host. */
static GStrvBuilder *
build_ssh_prefix (DpSshLauncher  *self,
                  const char     *host,
                  GError        **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  if (!check_name ("host", host, error))
    return NULL;
  if (is_set (self->user) && !check_name ("user", self->user, error))
    return NULL;
  if (!is_set (self->ssh_bin_path))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The ssh launcher has no ssh-bin-path: ssh was not found on PATH; "
                           "set ssh-bin-path to the ssh client");
      return NULL;
    }

  builder = g_strv_builder_new ();
  g_strv_builder_add_many (builder, self->ssh_bin_path, "-T", "-o", "BatchMode=yes", NULL);

  if (self->port != 0)
    {
      g_autofree char *port = g_strdup_printf ("%u", self->port);

      g_strv_builder_add_many (builder, "-p", port, NULL);
    }
  if (is_set (self->identity_file))
    g_strv_builder_add_many (builder, "-i", self->identity_file, NULL);

  for (guint i = 0; self->options != NULL && self->options[i] != NULL; i++)
    {
      g_auto(GStrv) words = NULL;
      g_autoptr(GError) parse_error = NULL;

      if (!g_shell_parse_argv (self->options[i], NULL, &words, &parse_error))
        {
          if (g_error_matches (parse_error, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING))
            continue;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "The ssh launcher's options item “%s” cannot be split into words: %s",
                       self->options[i], parse_error->message);
          return NULL;
        }
      g_strv_builder_addv (builder, (const char **) words);
    }

  if (is_set (self->user))
    {
      g_autofree char *destination = g_strconcat (self->user, "@", host, NULL);

      g_strv_builder_add (builder, destination);
    }
  else
    g_strv_builder_add (builder, host);

  return g_steal_pointer (&builder);
}

static GStrv
dp_ssh_launcher_build_argv (DpLauncher          *launcher,
                            const char          *host,
                            const char * const  *node_argv,
                            GError             **error)
{
  DpSshLauncher *self = DP_SSH_LAUNCHER (launcher);
  g_autoptr(GStrvBuilder) builder = build_ssh_prefix (self, host, error);

  if (builder == NULL)
    return NULL;

  g_strv_builder_add (builder, is_set (self->remote_path) ? self->remote_path
                                                          : DEFAULT_REMOTE_PATH);
  for (guint i = 0; node_argv[i] != NULL; i++)
    add_remote_word (builder, node_argv[i]);

  return g_strv_builder_end (builder);
}

/* Any command: the same ssh prefix, every word of @argv quoted for the
 * remote shell — the program too, so it arrives as written (no ~
 * expansion: give a path or a name on the remote PATH). */
static GStrv
dp_ssh_launcher_wrap_argv (DpLauncher          *launcher,
                           const char          *host,
                           const char * const  *argv,
                           GError             **error)
{
  DpSshLauncher *self = DP_SSH_LAUNCHER (launcher);
  g_autoptr(GStrvBuilder) builder = build_ssh_prefix (self, host, error);

  if (builder == NULL)
    return NULL;

  for (guint i = 0; argv[i] != NULL; i++)
    add_remote_word (builder, argv[i]);

  return g_strv_builder_end (builder);
}

static void
dp_ssh_launcher_launcher_init (DpLauncherInterface *iface)
{
  iface->build_argv = dp_ssh_launcher_build_argv;
  iface->wrap_argv = dp_ssh_launcher_wrap_argv;
}

static void
dp_ssh_launcher_finalize (GObject *object)
{
  DpSshLauncher *self = DP_SSH_LAUNCHER (object);

  g_free (self->ssh_bin_path);
  g_free (self->user);
  g_free (self->identity_file);
  g_strfreev (self->options);
  g_free (self->remote_path);

  G_OBJECT_CLASS (dp_ssh_launcher_parent_class)->finalize (object);
}

static void
dp_ssh_launcher_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DpSshLauncher *self = DP_SSH_LAUNCHER (object);

  switch (prop_id)
    {
    case PROP_SSH_BIN_PATH:
      g_value_set_string (value, self->ssh_bin_path);
      break;
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_IDENTITY_FILE:
      g_value_set_string (value, self->identity_file);
      break;
    case PROP_OPTIONS:
      g_value_set_boxed (value, self->options);
      break;
    case PROP_REMOTE_PATH:
      g_value_set_string (value, self->remote_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dp_ssh_launcher_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DpSshLauncher *self = DP_SSH_LAUNCHER (object);

  switch (prop_id)
    {
    case PROP_SSH_BIN_PATH:
      g_free (self->ssh_bin_path);
      self->ssh_bin_path = g_value_dup_string (value);
      break;
    case PROP_USER:
      g_free (self->user);
      self->user = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_IDENTITY_FILE:
      g_free (self->identity_file);
      self->identity_file = g_value_dup_string (value);
      break;
    case PROP_OPTIONS:
      g_strfreev (self->options);
      self->options = g_value_dup_boxed (value);
      break;
    case PROP_REMOTE_PATH:
      g_free (self->remote_path);
      self->remote_path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The ssh client on PATH when the plugin loads, else the usual place. */
static char *
default_ssh_bin_path (void)
{
  char *path = g_find_program_in_path ("ssh");

  return path != NULL ? path : g_strdup ("/usr/bin/ssh");
}

static void
dp_ssh_launcher_class_init (DpSshLauncherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  g_autofree char *ssh_bin_path = default_ssh_bin_path ();

  object_class->finalize = dp_ssh_launcher_finalize;
  object_class->get_property = dp_ssh_launcher_get_property;
  object_class->set_property = dp_ssh_launcher_set_property;

  /* Every property is set at construction to its default (G_PARAM_CONSTRUCT),
   * so the ssh path found on PATH is the instance's too. */
  properties[PROP_SSH_BIN_PATH] =
    g_param_spec_string ("ssh-bin-path", "ssh binary",
                         "The ssh client that reaches the remote host (the seeds' "
                         "ssh-bin-path); the default is the ssh found on PATH",
                         ssh_bin_path,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER] =
    g_param_spec_string ("user", "User",
                         "The user to log in as on the remote host (user@host); empty for "
                         "ssh's own choice: the ssh configuration's User, or this user's name",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", "Port",
                       "The remote host's ssh port (ssh -p); 0 for ssh's default (22, or "
                       "the ssh configuration's Port)",
                       0, G_MAXUINT16, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDENTITY_FILE] =
    g_param_spec_string ("identity-file", "Identity file",
                         "The private key ssh authenticates with (ssh -i); empty for ssh's "
                         "defaults and agent",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_OPTIONS] =
    g_param_spec_boxed ("options", "Options",
                        "More ssh arguments, before the host; each item is split like a shell "
                        "command line, as in “-o StrictHostKeyChecking=accept-new;-o "
                        "ConnectTimeout=10”",
                        G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE_PATH] =
    g_param_spec_string ("remote-path", "Remote path",
                         "The dplaces binary on the remote host (the seeds' racket-path); "
                         "a name is looked up on the remote PATH, and the remote shell "
                         "expands ~",
                         DEFAULT_REMOTE_PATH,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dp_ssh_launcher_class_finalize (DpSshLauncherClass *klass)
{
}

static void
dp_ssh_launcher_init (DpSshLauncher *self)
{
}

void
dp_ssh_launcher_register (GTypeModule *module)
{
  dp_ssh_launcher_register_type (module);
}
