/* dp-rmpi.h: RMPI — MPI-style ranks and collectives over distributed
 * places (the seeds' racket/place/distributed/rmpi)
 *
 *   #include <dplaces/dp-rmpi.h>      link libdplaces-rmpi (its plugin dir)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define DP_RMPI_INSIDE

#include <dplaces/dplaces.h>

#include "dp-rmpi-macros.h"
#include "dp-rmpi-op.h"
#include "dp-rmpi-comm.h"
#include "dp-rmpi-collectives.h"
#include "dp-rmpi-job.h"
#include "dp-rmpi-launch.h"

#undef DP_RMPI_INSIDE
