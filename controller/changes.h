// Conversion of engine outcomes into the gRPC API's ResourceChange (Plan and Sync
// responses). Field values arrive already rendered by the reconcilers, sensitive ones as
// "(sensitive)"; this keeps them that way.
#ifndef ENVCTL_CONTROLLER_CHANGES_H_
#define ENVCTL_CONTROLLER_CHANGES_H_

#include "controller/engine.h"
#include "envctl/v1/service.pb.h"

namespace envctl::controller {

envctl::v1::ResourceChange ToResourceChange(const ResourceOutcome& outcome);

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_CHANGES_H_
