#include "cloudsim/admin/eventgrid.h"

#include "absl/strings/str_cat.h"
#include "cloudsim/core/util.h"
#include "cloudsim/http/client.h"

namespace envctl::cloudsim {

EventGrid::EventGrid(std::string subscription_id, int max_attempts, absl::Duration first_backoff)
    : subscription_id_(std::move(subscription_id)),
      max_attempts_(max_attempts),
      first_backoff_(first_backoff) {
  worker_ = std::thread([this] { Worker(); });
}

EventGrid::~EventGrid() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  worker_.join();
}

absl::Status EventGrid::Subscribe(const std::string& endpoint) {
  std::string code = NewGuid();
  nlohmann::json event = {
      {"id", NewGuid()},
      {"topic", "/subscriptions/" + subscription_id_},
      {"subject", ""},
      {"data",
       {{"validationCode", code},
        {"validationUrl",
         absl::StrCat("https://127.0.0.1/eventsubscriptions/cloudsim/validate?id=", code)}}},
      {"eventType", "Microsoft.EventGrid.SubscriptionValidationEvent"},
      {"eventTime", IsoTime(absl::Now())},
      {"metadataVersion", "1"},
      {"dataVersion", "1"}};
  HeaderMap headers = {{"Content-Type", "application/json"},
                       {"aeg-event-type", "SubscriptionValidation"},
                       {"aeg-subscription-name", "CLOUDSIM"},
                       {"aeg-delivery-count", "0"},
                       {"aeg-data-version", "1"},
                       {"aeg-metadata-version", "1"}};
  auto resp = Fetch("POST", endpoint, headers, nlohmann::json::array({event}).dump());
  if (!resp.ok()) {
    return absl::FailedPreconditionError("validation handshake with " + endpoint +
                                         " failed: " + std::string(resp.status().message()));
  }
  if (resp->status != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat("validation handshake with ", endpoint, " failed: HTTP ", resp->status,
                     " (Event Grid requires 200 with {\"validationResponse\": code})"));
  }
  nlohmann::json body = nlohmann::json::parse(resp->body, nullptr, false);
  if (!body.is_object() || body.value("validationResponse", "") != code) {
    return absl::FailedPreconditionError("validation handshake with " + endpoint +
                                         " failed: the response did not echo validationCode "
                                         "as validationResponse");
  }
  absl::MutexLock lock(&mu_);
  for (const auto& e : endpoints_) {
    if (e == endpoint) return absl::OkStatus();
  }
  endpoints_.push_back(endpoint);
  return absl::OkStatus();
}

std::vector<std::string> EventGrid::Endpoints() {
  absl::MutexLock lock(&mu_);
  return endpoints_;
}

void EventGrid::Publish(const nlohmann::json& event) {
  std::string payload = nlohmann::json::array({event}).dump();
  absl::MutexLock lock(&mu_);
  // Fresh events go ahead of delayed retries, keeping the queue ordered by readiness.
  auto pos = queue_.begin();
  while (pos != queue_.end() && pos->not_before == absl::InfinitePast()) ++pos;
  for (const auto& endpoint : endpoints_) {
    pos = std::next(queue_.insert(pos, {endpoint, payload, 0, absl::InfinitePast()}));
  }
}

void EventGrid::Worker() {
  while (true) {
    Delivery d;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || (!queue_.empty() && queue_.front().not_before <= absl::Now());
      };
      while (!ready()) {
        absl::Duration wait =
            queue_.empty() ? absl::Seconds(1) : queue_.front().not_before - absl::Now();
        mu_.AwaitWithTimeout(absl::Condition(&ready), std::max(wait, absl::Milliseconds(1)));
      }
      if (stop_) return;
      d = std::move(queue_.front());
      queue_.pop_front();
    }
    ++d.attempt;
    HeaderMap headers = {{"Content-Type", "application/json"},
                         {"aeg-event-type", "Notification"},
                         {"aeg-subscription-name", "CLOUDSIM"},
                         {"aeg-delivery-count", std::to_string(d.attempt - 1)},
                         {"aeg-data-version", "2"},
                         {"aeg-metadata-version", "1"}};
    ClientOptions options;
    options.timeout = absl::Seconds(5);
    auto resp = Fetch("POST", d.endpoint, headers, d.payload, options);
    bool ok = resp.ok() && resp->status >= 200 && resp->status < 300;
    if (!ok && d.attempt < max_attempts_) {
      d.not_before = absl::Now() + first_backoff_ * (1 << (d.attempt - 1));
      absl::MutexLock lock(&mu_);
      // Keep the queue ordered by readiness so one slow endpoint does not block others.
      auto it = queue_.begin();
      while (it != queue_.end() && it->not_before <= d.not_before) ++it;
      queue_.insert(it, std::move(d));
    }
  }
}

}  // namespace envctl::cloudsim
