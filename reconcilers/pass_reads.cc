#include "reconcilers/pass_reads.h"

#include "absl/strings/ascii.h"

namespace envctl::reconcilers {

std::string FactoryBodyKey(const std::string& factory_id) {
  return "factory@" + absl::AsciiStrToLower(factory_id);
}

absl::StatusOr<nlohmann::json> PassReads::ReadOnce(
    const std::string& key, const std::function<absl::StatusOr<nlohmann::json>()>& read) {
  std::shared_ptr<Entry> entry;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Entry>& slot = entries_[key];
    if (slot == nullptr) slot = std::make_shared<Entry>();
    entry = slot;
  }
  absl::MutexLock lock(&entry->mu);
  if (entry->body.has_value()) return *entry->body;
  absl::StatusOr<nlohmann::json> body = read();
  if (body.ok()) entry->body = *body;
  return body;
}

void PassReads::Remember(const std::string& key, nlohmann::json body) {
  auto entry = std::make_shared<Entry>();
  {
    absl::MutexLock lock(&entry->mu);
    entry->body = std::move(body);
  }
  absl::MutexLock lock(&mu_);
  entries_[key] = std::move(entry);
}

std::optional<nlohmann::json> PassReads::Recall(const std::string& key) const {
  std::shared_ptr<Entry> entry;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    entry = it->second;
  }
  absl::MutexLock lock(&entry->mu);
  return entry->body;
}

void PassReads::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  entries_.erase(key);
}

void PassReads::MarkCreated(const std::string& resource) {
  absl::MutexLock lock(&mu_);
  created_.insert(resource);
}

bool PassReads::CreatedInThisPass(const std::string& resource) const {
  absl::MutexLock lock(&mu_);
  return created_.count(resource) > 0;
}

}  // namespace envctl::reconcilers
