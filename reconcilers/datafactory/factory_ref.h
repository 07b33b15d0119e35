// Where a Data Factory is, for the reconcilers that work inside one (the definitions of
// its Git folder, a pipeline smoke run): the resource group and factory name of the
// DataFactory resource a spec names. Pure functions; thread-safe.
#ifndef ENVCTL_RECONCILERS_DATAFACTORY_FACTORY_REF_H_
#define ENVCTL_RECONCILERS_DATAFACTORY_FACTORY_REF_H_

#include <string>

#include "absl/status/statusor.h"
#include "cloud/datafactory/data_factory_client.h"
#include "envctl/v1/spec.pb.h"

namespace envctl::reconcilers {

// The factory of the DataFactory resource `data_factory` of `env`. FailedPrecondition
// `dataFactory "<name>" does not name a DataFactory resource` when it is missing or of
// another kind, or the ResourceGroupName error when its group is.
absl::StatusOr<cloud::datafactory::FactoryRef> FactoryRefOf(const envctl::v1::Environment& env,
                                                            const std::string& data_factory);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATAFACTORY_FACTORY_REF_H_
