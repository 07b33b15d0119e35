// ReplicatedApi on a fake KV: a mutating call reaching a replica that does not own the
// environment runs on the owner (through etcd keys) and its answer, error included, comes
// back; reads carry the owner; webhook notices reach every other replica once.
#include "controller/replicated_api.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_controller_api.h"
#include "tests/fakes/fake_kv.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using envctl::testing::FakeControllerApi;
using envctl::testing::FakeKv;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ReplicatedApiTest : public ::testing::Test {
 protected:
  ReplicatedApiTest() : kv_(clock_) {
    ReplicaSetOptions o;
    o.prefix = "/envctl/p";
    o.replica_id = "a";
    a_ = std::make_unique<ReplicaSet>(kv_, clock_, metrics_, o);
    o.replica_id = "b";
    b_ = std::make_unique<ReplicaSet>(kv_, clock_, metrics_, o);
    // "a" alone first: it owns both environments; then "b" joins without taking any
    // (b never balances).
    a_->SetEnvironments({"dev", "test"});
    EXPECT_OK(a_->RenewLease());
    EXPECT_OK(a_->Balance());
    EXPECT_OK(b_->RenewLease());
    b_->SetEnvironments({"dev", "test"});
    local_a_.AddEnvironment("dev");
    local_b_.AddEnvironment("dev");
    ReplicatedApiOptions fast;
    fast.poll_interval = absl::Milliseconds(5);
    fast.forward_timeout = absl::Seconds(10);
    api_a_ = std::make_unique<ReplicatedApi>(local_a_, *a_, kv_, fast);
    api_b_ = std::make_unique<ReplicatedApi>(local_b_, *b_, kv_, fast);
  }
  // Runs `call` on b while a serves: a looks (ServeOnce) each time the store's watch says
  // a call was written or removed (bounded).
  template <typename F>
  auto WhileAServes(F call) {
    absl::Mutex mu;
    int changes = 0;
    bool done = false;
    auto watch = kv_.WatchPrefix(a_->prefix() + "/calls/", [&](const std::string&) {
      absl::MutexLock lock(&mu);
      ++changes;
    });
    EXPECT_OK(watch.status());
    std::thread server([&] {
      int seen = 0;
      while (true) {
        {
          absl::MutexLock lock(&mu);
          auto ready = [&] { return done || changes > seen; };
          if (!mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(10)) || done) return;
          seen = changes;
        }
        api_a_->ServeOnce();
      }
    });
    auto result = call();
    {
      absl::MutexLock lock(&mu);
      done = true;
    }
    server.join();
    api_a_->Stop();  // joins the call threads
    return result;
  }

  FakeClock clock_;
  FakeKv kv_;
  metrics::Metrics metrics_;
  std::unique_ptr<ReplicaSet> a_, b_;
  FakeControllerApi local_a_, local_b_;
  std::unique_ptr<ReplicatedApi> api_a_, api_b_;
};

TEST_F(ReplicatedApiTest, SyncOnANonOwnerRunsOnTheOwnerAndReturnsItsAnswer) {
  ASSERT_TRUE(a_->Owns("dev"));
  ASSERT_FALSE(b_->Owns("dev"));
  envctl::v1::SyncRequest request;
  request.set_environment("dev");
  request.set_wait(true);
  auto response = WhileAServes([&] { return api_b_->Sync(request); });
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->converged());
  EXPECT_EQ(response->sync_id(), "sync-1");
  ASSERT_EQ(local_a_.sync_requests().size(), 1u);
  EXPECT_EQ(local_a_.sync_requests()[0].environment(), "dev");
  EXPECT_TRUE(local_b_.sync_requests().empty()) << "the non-owner never synced";
  // Nothing is left behind in etcd.
  EXPECT_TRUE(kv_.List("/envctl/p/calls/")->empty());
  EXPECT_TRUE(kv_.List("/envctl/p/replies/")->empty());
}

TEST_F(ReplicatedApiTest, WithWatchesACallAndItsReplyArriveWithoutWaitingForTheLook) {
  // Looks an hour apart: only the store's watches can carry the call and the reply.
  ReplicatedApiOptions watched;
  watched.poll_interval = absl::Hours(1);
  watched.watched_poll_interval = absl::Hours(1);
  watched.forward_timeout = absl::Seconds(30);
  ReplicatedApi owner(local_a_, *a_, kv_, watched);
  ReplicatedApi caller(local_b_, *b_, kv_, watched);
  owner.Start();
  caller.Start();
  envctl::v1::SyncRequest request;
  request.set_environment("dev");
  request.set_wait(true);
  auto response = caller.Sync(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->converged());
  ASSERT_EQ(local_a_.sync_requests().size(), 1u);
  caller.Stop();
  owner.Stop();
  EXPECT_TRUE(kv_.List("/envctl/p/calls/")->empty());
}

TEST_F(ReplicatedApiTest, TheOwnersErrorComesBackWithItsCode) {
  local_a_.FailNext("Suspend", absl::FailedPreconditionError("dev is pinned"));
  envctl::v1::SuspendRequest request;
  request.set_environment("dev");
  auto response = WhileAServes([&] { return api_b_->Suspend(request); });
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(response.status().message(), "dev is pinned");
}

TEST_F(ReplicatedApiTest, OwnerRunsItsOwnCallsLocallyAndReadsNameTheOwner) {
  envctl::v1::SyncRequest request;
  request.set_environment("dev");
  ASSERT_OK(api_a_->Sync(request).status());
  EXPECT_EQ(local_a_.sync_requests().size(), 1u);
  EXPECT_TRUE(kv_.List("/envctl/p/calls/")->empty()) << "no round trip through etcd";
  EXPECT_OK(b_->Balance());  // b learns the owners
  auto got = api_b_->GetEnvironment("dev");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status().owner(), "a");
}

TEST_F(ReplicatedApiTest, WithoutAReplyTheCallerGetsDeadlineExceededNamingTheOwner) {
  ReplicatedApiOptions quick;
  quick.poll_interval = absl::Milliseconds(5);
  quick.forward_timeout = absl::Milliseconds(100);
  ReplicatedApi impatient(local_b_, *b_, kv_, quick);
  EXPECT_OK(b_->Balance());
  envctl::v1::SyncRequest request;
  request.set_environment("dev");
  auto response = impatient.Sync(request);  // nobody serves
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(response.status().message(), HasSubstr("no reply from its owner (a)"));
  EXPECT_TRUE(kv_.List("/envctl/p/calls/")->empty()) << "the unanswered call is withdrawn";
}

TEST_F(ReplicatedApiTest, WebhooksReachEveryOtherReplicaOnce) {
  api_b_->OnSourceChanged("push to main");
  CloudChange change;
  change.resource_id = "/subscriptions/s/resourceGroups/rg";
  change.client_request_id = "dev-7";
  api_b_->OnCloudResourceChanged(change);
  EXPECT_THAT(local_b_.source_changes(), ElementsAre("push to main"));
  api_a_->ServeOnce();
  api_a_->ServeOnce();
  EXPECT_THAT(local_a_.source_changes(), ElementsAre("push to main"));
  EXPECT_THAT(local_a_.cloud_changes(), ElementsAre("/subscriptions/s/resourceGroups/rg"));
  // Who made the change travels too: only the owner can tell its own echo.
  EXPECT_THAT(local_a_.cloud_change_origins(), ElementsAre("dev-7"));
  api_b_->ServeOnce();
  EXPECT_THAT(local_b_.source_changes(), ElementsAre("push to main")) << "not its own notice again";
}

}  // namespace
}  // namespace envctl::controller
