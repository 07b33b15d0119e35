#include "controller/promotion.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "spec/kinds.h"

namespace envctl::controller {

namespace {

using envctl::v1::PromotionStatus;
using envctl::v1::RevisionRecord;
using envctl::v1::TestOutcome;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

const envctl::v1::Condition* FindCondition(const envctl::v1::EnvironmentStatus& status,
                                           const std::string& type) {
  for (const auto& c : status.conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

bool IsTest(const envctl::v1::Resource& r) {
  return r.kind_case() == envctl::v1::Resource::kIntegrationTest ||
         r.kind_case() == envctl::v1::Resource::kPipelineRunTest ||
         r.kind_case() == envctl::v1::Resource::kJobRunTest;
}

const envctl::v1::Approval* FindApproval(const PromotionStatus& status,
                                         const std::string& revision) {
  for (const auto& a : status.approvals()) {
    if (a.revision() == revision) return &a;
  }
  return nullptr;
}

void Adopt(const std::string& revision, const std::string& reason, absl::Time now,
           PromotionStatus* status) {
  status->set_revision(revision);
  status->clear_pending_revision();
  status->clear_waiting_for();
  status->set_verification(absl::StrCat("not converged on ", ShortRevision(revision), " yet"));
  RevisionRecord record;
  record.set_revision(revision);
  *record.mutable_time() = ToProto(now);
  record.set_reason(reason);
  record.set_outcome("syncing");
  if (const envctl::v1::Approval* a = FindApproval(*status, revision)) {
    record.set_approved_by(a->by());
    *record.mutable_approved_time() = a->time();
  }
  // Approvals of this revision are used up; those of other revisions stay.
  auto* approvals = status->mutable_approvals();
  approvals->erase(
      std::remove_if(approvals->begin(), approvals->end(),
                     [&](const envctl::v1::Approval& a) { return a.revision() == revision; }),
      approvals->end());
  auto* history = status->mutable_history();
  history->Add(std::move(record));
  std::rotate(history->rbegin(), history->rbegin() + 1, history->rend());  // newest first
  while (history->size() > kMaxRevisionHistory) history->RemoveLast();
}

void Hold(const std::string& pending, const std::string& why, PromotionStatus* status) {
  status->set_pending_revision(pending);
  status->set_waiting_for(why);
}

}  // namespace

std::string WaitingReason(const PromotionStatus& status) {
  const std::string& why = status.waiting_for();
  if (why.empty()) return "";
  // The texts are Decide()'s own (Hold calls above), so their prefixes are stable.
  if (absl::StartsWith(why, "pinned to ")) return "pinned";
  if (absl::StartsWith(why, "approval of ")) return "approval";
  if (absl::StartsWith(why, "sync window closed") || absl::StartsWith(why, "sync.windows[")) {
    return "sync_window";
  }
  return "upstream";
}

std::string ShortRevision(const std::string& revision) {
  if (absl::StartsWith(revision, "sha256:")) return revision;
  return revision.substr(0, 12);
}

EnvironmentFacts FactsOf(const envctl::v1::Environment& spec,
                         const envctl::v1::EnvironmentState& state) {
  EnvironmentFacts facts;
  facts.revision = spec.revision();
  const envctl::v1::EnvironmentStatus& status = state.status();
  const envctl::v1::Condition* synced = FindCondition(status, "Synced");
  const bool synced_true =
      synced != nullptr && synced->status() == envctl::v1::CONDITION_STATUS_TRUE;
  facts.converged = synced_true && status.synced_revision() == spec.revision();
  facts.sync_failed = synced != nullptr && !synced_true &&
                      synced->message() == absl::StrCat("revision ", spec.revision());
  for (const envctl::v1::Resource& r : spec.resources()) {
    if (!IsTest(r) || !spec::IsEnabled(r)) continue;
    TestOutcome t;
    t.set_test(r.name());
    t.set_result(envctl::v1::RUN_RESULT_PENDING);
    for (const auto& rs : status.resources()) {
      if (rs.name() != r.name()) continue;
      if (rs.state() == envctl::v1::RESOURCE_STATE_IN_SYNC) {
        t.set_result(envctl::v1::RUN_RESULT_SUCCEEDED);
      } else if (rs.state() == envctl::v1::RESOURCE_STATE_ERROR) {
        t.set_result(envctl::v1::RUN_RESULT_FAILED);
        t.set_message(rs.last_error());
      } else if (rs.state() == envctl::v1::RESOURCE_STATE_PENDING && rs.blocked_by().empty()) {
        t.set_result(envctl::v1::RUN_RESULT_RUNNING);
      }
    }
    for (const auto& run : status.runs()) {  // newest first: the run that decided it
      if (run.test() != r.name()) continue;
      const bool running = run.result() == envctl::v1::RUN_RESULT_PENDING ||
                           run.result() == envctl::v1::RUN_RESULT_RUNNING;
      if ((t.result() == envctl::v1::RUN_RESULT_RUNNING) == running) {
        t.set_run_id(run.run_id());
        if (t.result() == envctl::v1::RUN_RESULT_FAILED) {
          t.set_result(run.result());
          if (!run.message().empty()) t.set_message(run.message());
        }
      }
      break;
    }
    facts.tests.push_back(std::move(t));
  }
  return facts;
}

bool Decide(const PromotionInputs& in, absl::Time now, PromotionStatus* status) {
  const std::string before = status->revision();
  const envctl::v1::PromotionPolicy& policy = in.policy;
  std::string candidate, reason;
  if (policy.from().empty()) {
    candidate = in.newest_revision;
    reason = "newest revision";
  } else if (in.upstream != nullptr) {
    candidate = in.upstream->verified_revision();
    reason = absl::StrCat("promoted from ", policy.from());
  }

  if (!status->pinned_revision().empty()) {
    const std::string& pinned = status->pinned_revision();
    if (status->revision() != pinned) {
      if (!in.writes_allowed) {
        Hold(pinned, in.window_reason, status);
        return false;
      }
      Adopt(pinned, absl::StrCat("rollback by ", status->pinned_by()), now, status);
    }
    if (!candidate.empty() && candidate != pinned) {
      Hold(candidate,
           absl::StrCat("pinned to ", ShortRevision(pinned), " by ", status->pinned_by(),
                        " (envctl unpin --env ", in.environment, ")"),
           status);
    } else {
      Hold("", "", status);
    }
    return status->revision() != before;
  }

  if (candidate.empty() || candidate == status->revision()) {
    Hold("", "", status);
    if (!policy.from().empty()) {
      // Say why the upstream's newer revision is not verified (yet).
      if (in.upstream == nullptr) {
        Hold("", absl::StrCat(policy.from(), " has no status yet"), status);
      } else if (!in.upstream->revision().empty() &&
                 in.upstream->revision() != status->revision() &&
                 in.upstream->revision() != in.upstream->verified_revision()) {
        Hold(in.upstream->revision(),
             absl::StrCat(policy.from(), ": ",
                          in.upstream->verification().empty()
                              ? absl::StrCat("not verified on ",
                                             ShortRevision(in.upstream->revision()), " yet")
                              : in.upstream->verification()),
             status);
      } else if (candidate.empty()) {
        Hold("", absl::StrCat(policy.from(), " has not verified any revision yet"), status);
      }
    }
    return false;
  }
  if (policy.require_approval() && FindApproval(*status, candidate) == nullptr) {
    Hold(candidate,
         absl::StrCat("approval of ", ShortRevision(candidate), " (envctl promote --env ",
                      in.environment, ")"),
         status);
    return false;
  }
  if (!in.writes_allowed) {
    Hold(candidate, in.window_reason, status);
    return false;
  }
  Adopt(candidate, reason, now, status);
  return true;
}

bool RecordFacts(const EnvironmentFacts& facts, PromotionStatus* status) {
  if (facts.revision.empty() || facts.revision != status->revision()) return false;
  const std::string short_rev = ShortRevision(facts.revision);
  std::string outcome, verification;
  std::vector<std::string> running;
  const TestOutcome* failed = nullptr;
  for (const TestOutcome& t : facts.tests) {
    if (t.result() == envctl::v1::RUN_RESULT_RUNNING ||
        t.result() == envctl::v1::RUN_RESULT_PENDING) {
      running.push_back(t.test());
    } else if (t.result() != envctl::v1::RUN_RESULT_SUCCEEDED && failed == nullptr) {
      failed = &t;
    }
  }
  if (!facts.converged && failed == nullptr) {
    outcome = facts.sync_failed ? "sync failed" : "syncing";
    verification = facts.sync_failed ? absl::StrCat("sync failed on ", short_rev)
                                     : absl::StrCat("not converged on ", short_rev, " yet");
  } else if (failed != nullptr) {
    const std::string run =
        failed->run_id().empty() ? "" : absl::StrCat(" (run ", failed->run_id(), ")");
    outcome = absl::StrCat("failed: ", failed->test(), run);
    verification = absl::StrCat("test ", failed->test(), " failed on ", short_rev, run,
                                failed->message().empty() ? "" : ": ", failed->message());
  } else if (!running.empty()) {
    outcome = "testing";
    verification = absl::StrCat("tests running on ", short_rev, ": ", absl::StrJoin(running, ", "));
  } else {
    outcome = "passed";
  }
  status->set_verification(verification);
  if (status->history_size() > 0 && status->history(0).revision() == facts.revision) {
    RevisionRecord* record = status->mutable_history(0);
    record->set_outcome(outcome);
    record->clear_tests();
    for (const TestOutcome& t : facts.tests) *record->add_tests() = t;
  }
  if (outcome == "passed" && status->verified_revision() != facts.revision) {
    status->set_verified_revision(facts.revision);
    return true;
  }
  return false;
}

absl::Status Approve(const std::string& revision, const std::string& by, absl::Time now,
                     PromotionStatus* status) {
  if (revision.empty()) return absl::InvalidArgumentError("no revision to approve");
  if (FindApproval(*status, revision) != nullptr) return absl::OkStatus();
  envctl::v1::Approval* a = status->add_approvals();
  a->set_revision(revision);
  a->set_by(by);
  *a->mutable_time() = ToProto(now);
  // Bounded: old unused approvals go first.
  while (status->approvals_size() > kMaxRevisionHistory) {
    status->mutable_approvals()->erase(status->mutable_approvals()->begin());
  }
  return absl::OkStatus();
}

void Pin(const std::string& revision, const std::string& by, PromotionStatus* status) {
  status->set_pinned_revision(revision);
  status->set_pinned_by(by);
}

void Unpin(PromotionStatus* status) {
  status->clear_pinned_revision();
  status->clear_pinned_by();
}

bool InHistory(const PromotionStatus& status, const std::string& revision) {
  for (const auto& h : status.history()) {
    if (h.revision() == revision) return true;
  }
  return false;
}

}  // namespace envctl::controller
