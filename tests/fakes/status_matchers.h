// gMock matchers for absl::Status / absl::StatusOr (our Abseil has none):
//   EXPECT_THAT(s, IsOk());
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("vault")));
#ifndef ENVCTL_TESTS_FAKES_STATUS_MATCHERS_H_
#define ENVCTL_TESTS_FAKES_STATUS_MATCHERS_H_

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace envctl::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code && ::testing::Matches(message_matcher)(std::string(s.message()));
}

}  // namespace envctl::testing

#define ASSERT_OK(expr) ASSERT_THAT(expr, ::envctl::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT(expr, ::envctl::testing::IsOk())

#endif  // ENVCTL_TESTS_FAKES_STATUS_MATCHERS_H_
