/* sshd-harness.h: a private sshd on 127.0.0.1 for the tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * SshdHarness:
 * @port: the port sshd listens on, on 127.0.0.1
 * @user: the user to log in as (the user running the test)
 * @identity_file: the private key that user logs in with (no passphrase)
 * @ssh_options: (array zero-terminated=1): ssh arguments a client needs for
 *   this sshd: no host key checks, no known_hosts, quiet
 *
 * An sshd of its own, started by [func@sshd_harness_start] with a host key,
 * a user key and a configuration in a private temporary directory, so a
 * test can run `ssh -p PORT -i IDENTITY_FILE USER@127.0.0.1 …` for real.
 * Its output goes to `sshd.log` in that directory.
 */
typedef struct {
  guint port;
  char *user;
  char *identity_file;
  const char *ssh_options[7];

  /*< private >*/
  char *dir;
  GSubprocess *sshd;
} SshdHarness;

SshdHarness *sshd_harness_start (GError     **error);
void         sshd_harness_stop  (SshdHarness *harness);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SshdHarness, sshd_harness_stop)

G_END_DECLS
