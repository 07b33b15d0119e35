#include "reconcilers/runs/covered_hash.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"

namespace envctl::reconcilers {

std::string CoveredHash(const envctl::v1::Environment& env, const std::string& test_name,
                        const google::protobuf::RepeatedPtrField<std::string>& covers) {
  std::set<std::string> names(covers.begin(), covers.end());
  names.insert(test_name);
  std::string material;
  for (const std::string& name : names) {  // sorted: order of `covers` does not matter
    std::string hash = "absent";
    for (const auto& c : env.contents()) {
      if (c.resource() == name) hash = c.content_hash();
    }
    absl::StrAppend(&material, name, "=", hash, "\n");
  }
  return Sha256Hex(material);
}

}  // namespace envctl::reconcilers
