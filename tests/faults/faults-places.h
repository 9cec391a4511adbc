/* faults-places.h: what the fault tests and their places say to each other
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define FAULTS_MODULE "faults-places"

/* A pinger_place's configuration: host, port and name of the named echo
 * place, window, get timeout (µs), progress every. */
#define FAULTS_PINGER_CONFIG_TYPE "(sqsuxu)"

/* Its reports: ("progress" or "done", received, sent, error code or
 * FAULTS_CODE_NONE, why). */
#define FAULTS_REPORT_TYPE "(sttis)"

/* How long a busy_place computes: a bound, so that one the test failed to
 * see end does not spin on after it for good. */
#define FAULTS_BUSY_USEC (600 * G_USEC_PER_SEC)
