// The ARM front door: api-version and bearer-token checks, token-bucket throttling,
// ARM response headers, subscription routing, dispatch to resource providers, Event Grid
// resource events for successful writes, and persistence of each mutation.
// Thread-safe (locks World::mu for the handler).
#ifndef ENVCTL_CLOUDSIM_ARM_ROUTER_H_
#define ENVCTL_CLOUDSIM_ARM_ROUTER_H_

#include "cloudsim/arm/throttle.h"
#include "cloudsim/core/world.h"
#include "cloudsim/http/http_types.h"

namespace envctl::cloudsim {

Response HandleArm(World& world, ArmThrottle& throttle, const Request& request);

// GET /metadata/endpoints?api-version=: the cloud's endpoints, served anonymously as
// Azure and Azure Stack do (`az cloud register --endpoint-resource-manager` reads them).
// 2015-01-01 answers the legacy object; 2019-05-01 and later the array of clouds.
bool IsMetadataEndpointsPath(const std::string& path);
Response HandleMetadataEndpoints(const Request& request);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ARM_ROUTER_H_
