// The /_cloudsim admin API (DESIGN.md table): stats, faults, Event Grid subscriptions
// and the request log. Needs no token (cloudsim only listens on loopback). Thread-safe.
#ifndef ENVCTL_CLOUDSIM_ADMIN_ADMIN_API_H_
#define ENVCTL_CLOUDSIM_ADMIN_ADMIN_API_H_

#include "cloudsim/admin/eventgrid.h"
#include "cloudsim/admin/faults.h"
#include "cloudsim/admin/stats.h"
#include "cloudsim/http/http_types.h"

namespace envctl::cloudsim {

Response HandleAdmin(const Request& request, RequestStats& stats, FaultInjector& faults,
                     EventGrid& eventgrid);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ADMIN_ADMIN_API_H_
