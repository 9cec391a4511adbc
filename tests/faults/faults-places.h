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
