#include "spec/hash.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace envctl::spec {

std::string ContentHash(const envctl::v1::Resource& resource,
                        const envctl::v1::ResourceContent& content) {
  envctl::v1::Resource spec = resource;
  spec.clear_source();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);  // map entries sorted by key
    spec.SerializeToCodedStream(&out);
  }
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& f : content.files()) files.emplace_back(f.path(), f.sha256());
  std::sort(files.begin(), files.end());
  // Versioned so a future change of the recipe changes every hash at once.
  std::string material = absl::StrCat("envctl-content-v1\nspec ", Sha256Hex(bytes), "\n");
  for (const auto& [path, sha] : files) absl::StrAppend(&material, "file ", path, " ", sha, "\n");
  return Sha256Hex(material);
}

}  // namespace envctl::spec
