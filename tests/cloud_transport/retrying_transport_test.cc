#include "cloud/transport/retrying_transport.h"

#include "absl/strings/str_cat.h"
#include "cloud/errors.h"
#include "common/wait_observer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kUrl[] = "https://management.azure.com/subscriptions/s?api-version=2022-09-01";

HttpRequest Get() {
  HttpRequest r;
  r.method = "GET";
  r.url = kUrl;
  return r;
}

HttpRequest Post(std::optional<bool> idempotent = std::nullopt) {
  HttpRequest r;
  r.method = "POST";
  r.url = kUrl;
  r.idempotent = idempotent;
  return r;
}

class RetryingTransportTest : public ::testing::Test {
 protected:
  RetryOptions Options() {
    RetryOptions o;
    o.seed = 42;
    return o;
  }
  FakeClock clock_;
  FakeTransport fake_;
};

TEST_F(RetryingTransportTest, HonoursRetryAfterSeconds) {
  fake_.Enqueue("GET", "", 429, "", {{"Retry-After", "7"}});
  fake_.Enqueue("GET", "", 200, "{}");
  RetryingTransport t(fake_, clock_, Options());
  auto r = t.Send(Get());
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(7)));
  EXPECT_EQ(fake_.Count(), 2);
}

TEST_F(RetryingTransportTest, ARequestNotToBeRetriedGetsOneAttemptAndNoWait) {
  fake_.Enqueue("GET", "", 429, "", {{"Retry-After", "5"}});
  fake_.Enqueue("GET", "", 200, "{}");
  RetryingTransport t(fake_, clock_, Options());
  SingleAttemptTransport once(t);
  auto r = once.Send(Get());
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_THAT(clock_.Sleeps(), IsEmpty());
  EXPECT_EQ(fake_.Count(), 1);
  // The same transport still retries the requests that may be.
  auto again = t.Send(Get());
  ASSERT_OK(again);
  EXPECT_EQ(again->status, 200);
}

// Records when waits begin and end on the fake clock.
class RecordingObserver : public WaitObserver {
 public:
  explicit RecordingObserver(Clock& clock) : clock_(clock) {}
  void WaitBegins() override { begins.push_back(clock_.Now()); }
  void WaitEnds() override { ends.push_back(clock_.Now()); }
  std::vector<absl::Time> begins, ends;

 private:
  Clock& clock_;
};

TEST_F(RetryingTransportTest, EveryRetryWaitIsReportedToTheThreadsObserverAroundTheSleep) {
  fake_.Enqueue("GET", "", 429, "", {{"Retry-After", "5"}});
  fake_.Enqueue("GET", "", 503, "", {{"Retry-After", "3"}});
  fake_.Enqueue("GET", "", 200, "{}");
  RetryingTransport t(fake_, clock_, Options());
  RecordingObserver observer(clock_);
  {
    ScopedWaitObserver scope(&observer);
    ASSERT_OK(t.Send(Get()));
  }
  // The waits are what the server asked for, no shorter, and only the waits are reported.
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(5), absl::Seconds(3)));
  ASSERT_EQ(observer.begins.size(), 2u);
  ASSERT_EQ(observer.ends.size(), 2u);
  EXPECT_EQ(observer.ends[0] - observer.begins[0], absl::Seconds(5));
  EXPECT_EQ(observer.ends[1] - observer.begins[1], absl::Seconds(3));
  // Without an observer (another thread, or after the scope) nothing is reported.
  fake_.Enqueue("GET", "", 429, "", {{"Retry-After", "1"}});
  fake_.Enqueue("GET", "", 200, "{}");
  ASSERT_OK(t.Send(Get()));
  EXPECT_EQ(observer.begins.size(), 2u);
}

TEST_F(RetryingTransportTest, HonoursRetryAfterHttpDate) {
  const absl::Time when = clock_.Now() + absl::Seconds(12);
  fake_.Enqueue(
      "GET", "", 503, "",
      {{"Retry-After", absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", when, absl::UTCTimeZone())}});
  fake_.Enqueue("GET", "", 200, "{}");
  RetryingTransport t(fake_, clock_, Options());
  ASSERT_OK(t.Send(Get()));
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(12)));
}

TEST_F(RetryingTransportTest, HonoursMsRetryAfterOverSeconds) {
  fake_.Enqueue("GET", "", 429, "", {{"x-ms-retry-after-ms", "1500"}, {"Retry-After", "9"}});
  fake_.Enqueue("GET", "", 200, "{}");
  RetryingTransport t(fake_, clock_, Options());
  ASSERT_OK(t.Send(Get()));
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Milliseconds(1500)));
}

TEST_F(RetryingTransportTest, DoesNotRetryClientErrors) {
  for (int status : {400, 401, 403, 404, 409, 412}) {
    FakeTransport fake;
    fake.Always("GET", "", status, R"({"error":{"code":"X","message":"no"}})");
    RetryingTransport t(fake, clock_, Options());
    auto r = t.Send(Get());
    ASSERT_OK(r);
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(fake.Count(), 1) << status;
  }
  EXPECT_THAT(clock_.Sleeps(), IsEmpty());
}

TEST_F(RetryingTransportTest, BackoffIsFullJitterWithinExponentialBounds) {
  RetryOptions o = Options();
  o.initial_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(8);
  RetryingTransport t(fake_, clock_, o);
  absl::Duration seen_max_first = absl::ZeroDuration();
  for (int i = 0; i < 200; ++i) {
    for (int attempt = 1; attempt <= 6; ++attempt) {
      absl::Duration cap = std::min(absl::Seconds(1 << (attempt - 1)), absl::Seconds(8));
      absl::Duration d = t.JitteredBackoff(attempt);
      EXPECT_GE(d, absl::ZeroDuration());
      EXPECT_LE(d, cap) << "attempt " << attempt;
      if (attempt == 4) seen_max_first = std::max(seen_max_first, d);
    }
  }
  // Full jitter spreads over the whole range, not just near the cap or zero.
  EXPECT_GT(seen_max_first, absl::Seconds(6));
}

TEST_F(RetryingTransportTest, SameSeedGivesSameSchedule) {
  RetryingTransport a(fake_, clock_, Options());
  RetryingTransport b(fake_, clock_, Options());
  for (int attempt = 1; attempt <= 5; ++attempt) {
    EXPECT_EQ(a.JitteredBackoff(attempt), b.JitteredBackoff(attempt));
  }
}

TEST_F(RetryingTransportTest, PersistentUnavailableStopsAtAttemptCap) {
  fake_.Always("GET", "", 503,
               R"({"error":{"code":"ServiceUnavailable","message":"The service is down."}})");
  RetryOptions o = Options();
  o.max_attempts = 4;
  RetryingTransport t(fake_, clock_, o);
  auto r = t.Send(Get());
  ASSERT_OK(r);
  EXPECT_EQ(fake_.Count(), 4);
  EXPECT_EQ(clock_.Sleeps().size(), 3u);
  EXPECT_THAT(StatusFromResponse(Service::kArm, *r),
              StatusIs(absl::StatusCode::kUnavailable,
                       "ARM 503: ServiceUnavailable: The service is down. after 4 attempts"));
}

TEST_F(RetryingTransportTest, StormPastTheAttemptCapIsRetriedFromTheBudgetSuccessesEarn) {
  RetryOptions o = Options();
  o.max_attempts = 3;
  o.budget_per_success = 1;
  RetryingTransport t(fake_, clock_, o);
  // Two successes earn two tokens.
  for (int i = 0; i < 2; ++i) {
    fake_.Enqueue("GET", "", 200, "{}");
    ASSERT_OK(t.Send(Get()));
  }
  // Five "come back in 1 s" in a row: 3 attempts, then the 2 tokens buy 2 more; the
  // budget runs out before the success queued behind them.
  for (int i = 0; i < 5; ++i) fake_.Enqueue("GET", "", 503, "", {{"Retry-After", "1"}});
  fake_.Enqueue("GET", "", 200, "{}");
  auto stormy = t.Send(Get());
  ASSERT_OK(stormy);
  EXPECT_EQ(stormy->status, 503) << "3 attempts + 2 from the budget = 5, all faults";
  EXPECT_EQ(stormy->Header(kAttemptsHeader), "5");
  // The success queued last is still there; the budget is empty now.
  auto next = t.Send(Get());
  ASSERT_OK(next);
  EXPECT_EQ(next->status, 200);

  // With enough earned, the same storm is ridden out.
  for (int i = 0; i < 5; ++i) {
    fake_.Enqueue("GET", "", 200, "{}");
    ASSERT_OK(t.Send(Get()));
  }
  for (int i = 0; i < 4; ++i) fake_.Enqueue("GET", "", 429, "", {{"Retry-After", "1"}});
  fake_.Enqueue("GET", "", 200, "{}");
  auto ridden = t.Send(Get());
  ASSERT_OK(ridden);
  EXPECT_EQ(ridden->status, 200);
  EXPECT_EQ(ridden->Header(kAttemptsHeader), "5");
}

TEST_F(RetryingTransportTest, TheBudgetBuysOnlyRetriesTheServerAskedFor) {
  RetryOptions o = Options();
  o.max_attempts = 2;
  o.budget_initial = 10;
  RetryingTransport t(fake_, clock_, o);
  // A 503 without Retry-After is an outage signal, not a storm: the attempt cap holds.
  fake_.Always("GET", "", 503, "");
  auto r = t.Send(Get());
  ASSERT_OK(r);
  EXPECT_EQ(fake_.Count(), 2);
}

TEST_F(RetryingTransportTest, StopsBeforeTheTotalTimeCap) {
  fake_.Always("GET", "", 429, "", {{"Retry-After", "30"}});
  RetryOptions o = Options();
  o.max_attempts = 100;
  o.max_total = absl::Seconds(100);
  RetryingTransport t(fake_, clock_, o);
  const absl::Time start = clock_.Now();
  auto r = t.Send(Get());
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 429);
  // 3 waits of 30 s fit in 100 s; a 4th would end at 120 s.
  EXPECT_EQ(fake_.Count(), 4);
  EXPECT_LE(clock_.Now() - start, absl::Seconds(100));
  EXPECT_EQ(r->Header(kAttemptsHeader), "4");
}

TEST_F(RetryingTransportTest, ConnectionErrorsAreRetriedThenReported) {
  for (int i = 0; i < 3; ++i) {
    fake_.Enqueue("GET", "", absl::UnavailableError("connection refused"));
  }
  RetryOptions o = Options();
  o.max_attempts = 3;
  RetryingTransport t(fake_, clock_, o);
  EXPECT_THAT(t.Send(Get()),
              StatusIs(absl::StatusCode::kUnavailable, "connection refused (after 3 attempts)"));
  EXPECT_EQ(fake_.Count(), 3);
}

TEST_F(RetryingTransportTest, CancelledIsNotRetried) {
  fake_.Enqueue("GET", "", absl::CancelledError("shutting down"));
  RetryingTransport t(fake_, clock_, Options());
  EXPECT_THAT(t.Send(Get()), StatusIs(absl::StatusCode::kCancelled, "shutting down"));
  EXPECT_EQ(fake_.Count(), 1);
}

TEST_F(RetryingTransportTest, PostIsNotRetriedUnlessIdempotent) {
  fake_.Always("POST", "", 503, "");
  RetryingTransport t(fake_, clock_, Options());
  auto r = t.Send(Post());
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(fake_.Count(), 1);

  FakeTransport errors;
  errors.Enqueue("POST", "", absl::UnavailableError("reset"));
  RetryingTransport t2(errors, clock_, Options());
  EXPECT_THAT(t2.Send(Post()), StatusIs(absl::StatusCode::kUnavailable, "reset"));
  EXPECT_EQ(errors.Count(), 1);
}

TEST_F(RetryingTransportTest, IdempotentPostIsRetried) {
  fake_.Enqueue("POST", "", 503, "");
  fake_.Enqueue("POST", "", 200, "{}");
  RetryingTransport t(fake_, clock_, Options());
  auto r = t.Send(Post(/*idempotent=*/true));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(fake_.Count(), 2);
}

TEST_F(RetryingTransportTest, ThrottledPostIsRetriedBecauseNothingHappened) {
  fake_.Enqueue("POST", "", 429, "", {{"Retry-After", "1"}});
  fake_.Enqueue("POST", "", 200, "{}");
  RetryingTransport t(fake_, clock_, Options());
  auto r = t.Send(Post());
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(RetryingTransportTest, AttemptsAreNumbered) {
  fake_.Enqueue("GET", "", 500, "");
  fake_.Enqueue("GET", "", 502, "");
  fake_.Enqueue("GET", "", 200, "");
  RetryingTransport t(fake_, clock_, Options());
  ASSERT_OK(t.Send(Get()));
  auto requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].attempt, 1);
  EXPECT_EQ(requests[2].attempt, 3);
}

TEST(HttpRequestTest, IdempotenceDefaultsFollowTheMethod) {
  HttpRequest r;
  for (const char* m : {"GET", "HEAD", "PUT", "DELETE", "PATCH", "get"}) {
    r.method = m;
    EXPECT_TRUE(r.IsIdempotent()) << m;
  }
  r.method = "POST";
  EXPECT_FALSE(r.IsIdempotent());
  r.idempotent = true;
  EXPECT_TRUE(r.IsIdempotent());
  r.method = "PUT";
  r.idempotent = false;
  EXPECT_FALSE(r.IsIdempotent());
}

}  // namespace
}  // namespace envctl::cloud
