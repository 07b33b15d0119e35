#include "reconcilers/datafactory/factory_ref.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers {

absl::StatusOr<cloud::datafactory::FactoryRef> FactoryRefOf(const envctl::v1::Environment& env,
                                                            const std::string& data_factory) {
  const envctl::v1::Resource* factory = FindResource(env, data_factory);
  if (factory == nullptr || !factory->has_data_factory()) {
    return absl::FailedPreconditionError(
        absl::StrCat("dataFactory \"", data_factory, "\" does not name a DataFactory resource"));
  }
  ASSIGN_OR_RETURN(std::string group,
                   ResourceGroupName(env, factory->data_factory().resource_group()));
  return cloud::datafactory::FactoryRef{group, factory->data_factory().factory_name()};
}

}  // namespace envctl::reconcilers
