#include "reconcilers/outputs.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"

namespace envctl::reconcilers {

std::string OutputValue::Fingerprint() const {
  if (!fingerprint.empty()) return fingerprint;
  return Sha256Hex(value).substr(0, 16);
}

bool OutputValue::Holds(const std::string& held) const {
  if (held.empty()) return false;
  return held == Fingerprint() ||
         std::find(still_valid.begin(), still_valid.end(), held) != still_valid.end();
}

absl::StatusOr<OutputValue> Outputs::Materialize(const envctl::v1::ValueSource& source) {
  absl::StatusOr<OutputValue> v = Resolve(source);
  if (!v.ok() || !v->value.empty() || !v->mint) return v;
  // One mint per output and pass: consumers that write at the same time must get the same
  // value (a second PAT would revoke the first one's). The others wait for the first mint,
  // then find its value published.
  const std::string key = absl::StrCat(source.output().resource(), ".", source.output().output());
  std::shared_ptr<absl::Mutex> minting;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<absl::Mutex>& m = minting_[key];
    if (!m) m = std::make_shared<absl::Mutex>();
    minting = m;
  }
  absl::MutexLock mint_lock(minting.get());
  v = Resolve(source);
  if (!v.ok() || !v->value.empty() || !v->mint) return v;
  absl::StatusOr<OutputValue> minted = v->mint();
  if (!minted.ok()) return minted.status();
  minted->sensitive = minted->sensitive || v->sensitive;
  Set(source.output().resource(), source.output().output(), *minted);
  return minted;
}

void Outputs::Set(const std::string& resource, const std::string& name, OutputValue value) {
  absl::MutexLock lock(&mu_);
  values_[resource][name] = std::move(value);
}

namespace {
constexpr absl::string_view kKnownAfterApplyPayload = "envctl.dev/known-after-apply";
}  // namespace

absl::Status KnownAfterApplyError(const std::string& message) {
  absl::Status status = absl::FailedPreconditionError(message);
  status.SetPayload(kKnownAfterApplyPayload, absl::Cord("1"));
  return status;
}

bool IsKnownAfterApply(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) &&
         status.GetPayload(kKnownAfterApplyPayload).has_value();
}

std::optional<OutputValue> Outputs::Get(const std::string& resource,
                                        const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto r = values_.find(resource);
  if (r == values_.end()) return std::nullopt;
  auto v = r->second.find(name);
  if (v == r->second.end()) return std::nullopt;
  return v->second;
}

absl::StatusOr<OutputValue> Outputs::Resolve(const envctl::v1::ValueSource& source) const {
  switch (source.source_case()) {
    case envctl::v1::ValueSource::kOutput: {
      auto v = Get(source.output().resource(), source.output().output());
      if (!v) {
        return KnownAfterApplyError(absl::StrCat("output ", source.output().resource(), ".",
                                                 source.output().output(),
                                                 " is not known yet (known after apply)"));
      }
      return *v;
    }
    case envctl::v1::ValueSource::kEnv: {
      const char* value = std::getenv(source.env().c_str());
      if (value == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "environment variable ", source.env(), " is not set; export it before running envctl"));
      }
      // Anything read from the environment for a secret is treated as sensitive.
      OutputValue v;
      v.value = value;
      v.sensitive = true;
      return v;
    }
    case envctl::v1::ValueSource::SOURCE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("value source sets neither output nor env");
}

absl::StatusOr<std::string> Outputs::Expand(const std::string& text, bool* sensitive) const {
  std::string out;
  if (sensitive) *sensitive = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = text.find("${", pos);
    if (start == std::string::npos) {
      out.append(text, pos, std::string::npos);
      break;
    }
    size_t end = text.find('}', start);
    if (end == std::string::npos) {
      out.append(text, pos, std::string::npos);
      break;
    }
    out.append(text, pos, start - pos);
    std::string ref = text.substr(start + 2, end - start - 2);
    size_t dot = ref.find('.');
    if (dot == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unresolved parameter ${", ref, "}"));
    }
    auto v = Get(ref.substr(0, dot), ref.substr(dot + 1));
    if (!v) {
      return KnownAfterApplyError(
          absl::StrCat("output ", ref, " is not known yet (known after apply)"));
    }
    if (v->sensitive && sensitive) *sensitive = true;
    out += v->value;
    pos = end + 1;
  }
  return out;
}

}  // namespace envctl::reconcilers
