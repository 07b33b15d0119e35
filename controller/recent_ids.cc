#include "controller/recent_ids.h"

#include <algorithm>
#include <vector>

namespace envctl::controller {

RecentIds::RecentIds(Clock& clock, absl::Duration ttl, size_t capacity)
    : clock_(clock), ttl_(ttl), capacity_(std::max<size_t>(1, capacity)) {}

void RecentIds::Begin(const std::string& id) {
  if (id.empty()) return;
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  Use& use = ids_[id];
  ++use.active;
  use.ended = now;
  if (ids_.size() > capacity_) TrimLocked(now);
}

void RecentIds::End(const std::string& id) {
  if (id.empty()) return;
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = ids_.find(id);
  if (it == ids_.end()) return;
  it->second.active = std::max(0, it->second.active - 1);
  it->second.ended = now;
}

bool RecentIds::Contains(const std::string& id) {
  if (id.empty()) return false;
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = ids_.find(id);
  if (it == ids_.end()) return false;
  if (it->second.active > 0 || now - it->second.ended < ttl_) return true;
  ids_.erase(it);
  return false;
}

size_t RecentIds::size() {
  absl::MutexLock lock(&mu_);
  TrimLocked(clock_.Now());
  return ids_.size();
}

void RecentIds::TrimLocked(absl::Time now) {
  for (auto it = ids_.begin(); it != ids_.end();) {
    const bool expired = it->second.active == 0 && now - it->second.ended >= ttl_;
    it = expired ? ids_.erase(it) : std::next(it);
  }
  if (ids_.size() <= capacity_) return;
  std::vector<std::pair<absl::Time, std::string>> ended;
  for (const auto& [id, use] : ids_) {
    if (use.active == 0) ended.emplace_back(use.ended, id);
  }
  std::sort(ended.begin(), ended.end());
  for (const auto& [when, id] : ended) {
    if (ids_.size() <= capacity_) break;
    ids_.erase(id);
  }
}

}  // namespace envctl::controller
