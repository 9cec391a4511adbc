/* faults-traffic.h: numbered round trips on a channel, every one checked
 *
 * Compiled into both the test program and the place module, so that the
 * test's own traffic and a place's on another node are the same code.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dplaces/dplaces.h>

G_BEGIN_DECLS

/* A problem that is no GError: an echo out of order, of the wrong type. */
#define FAULTS_CODE_NONE (-1)
#define FAULTS_CODE_WRONG_ECHO 1000

typedef struct _FaultsTraffic FaultsTraffic;

/* Called every progress_every echoes; returns TRUE to stop sending. */
typedef gboolean (*FaultsCheckFunc) (FaultsTraffic *traffic,
                                     gpointer       data);

/**
 * FaultsTraffic:
 * @channel: a channel to a place that echoes each message
 * @window: how many messages may be on their way at once
 * @get_timeout_usec: how long to wait for an echo before giving up
 * @check: (nullable): called every @progress_every echoes
 * @sent: messages put, 0, 1, 2, …
 * @received: echoes got, each the next number
 * @error: the put or get that failed, if one did
 * @problem: an echo that was not the next number, if one was not
 * @wrong_echo: that echo's number, if it was one
 *
 * Puts the numbers 0, 1, 2, … (type `t`) on @channel, at most @window
 * ahead of the echoes, and checks that each echo is the next number:
 * nothing lost, nothing twice, nothing out of order. When asked to stop
 * it sends no more and waits for every echo still on its way.
 */
struct _FaultsTraffic {
  DpChannel *channel;
  guint window;
  gint64 get_timeout_usec;
  guint progress_every;
  FaultsCheckFunc check;
  gpointer check_data;

  guint64 sent;
  guint64 received;
  GError *error;
  char *problem;
  gint64 wrong_echo;
};

void     faults_traffic_run    (FaultsTraffic *traffic);
gint     faults_traffic_code   (FaultsTraffic *traffic);
char    *faults_traffic_why    (FaultsTraffic *traffic);
void     faults_traffic_clear  (FaultsTraffic *traffic);

G_END_DECLS
