#include "cloud/errors.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

HttpResponse Resp(int status, std::string body, Headers headers = {}) {
  return FakeTransport::Response(status, std::move(body), std::move(headers));
}

TEST(ErrorsTest, SuccessStatusesAreOk) {
  EXPECT_TRUE(StatusFromResponse(Service::kArm, Resp(200, "{}")).ok());
  EXPECT_TRUE(StatusFromResponse(Service::kArm, Resp(304, "")).ok());
}

TEST(ErrorsTest, ArmNotFoundKeepsCodeMessageAndRequestId) {
  absl::Status s = StatusFromResponse(
      Service::kArm,
      Resp(
          404,
          R"({"error":{"code":"ResourceGroupNotFound","message":"Resource group 'rg1' could not be found."}})",
          {{"x-ms-request-id", "req-123"}}));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound,
                          "ARM 404: ResourceGroupNotFound: Resource group 'rg1' could not be "
                          "found. (request id req-123)"));
  EXPECT_EQ(ServiceErrorCode(s), "ResourceGroupNotFound");
  EXPECT_EQ(RequestId(s), "req-123");
  EXPECT_EQ(HttpStatusOf(s), 404);
}

TEST(ErrorsTest, ArmThrottlingCarriesRetryAfter) {
  absl::Status s = StatusFromResponse(
      Service::kArm,
      Resp(429, R"({"error":{"code":"SubscriptionRequestsThrottled","message":"slow down"}})",
           {{"Retry-After", "17"}}));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted,
                          HasSubstr("SubscriptionRequestsThrottled: slow down")));
  EXPECT_EQ(RetryAfter(s), absl::Seconds(17));
}

TEST(ErrorsTest, RetryAfterHttpDateIsRelativeToTheDateHeader) {
  absl::Status s =
      StatusFromResponse(Service::kArm, Resp(503, "",
                                             {{"Date", "Wed, 21 Oct 2015 07:28:00 GMT"},
                                              {"Retry-After", "Wed, 21 Oct 2015 07:28:30 GMT"}}));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, "ARM 503: Service Unavailable"));
  EXPECT_EQ(RetryAfter(s), absl::Seconds(30));
}

TEST(ErrorsTest, ArmConflictCodes) {
  EXPECT_THAT(StatusFromResponse(
                  Service::kArm,
                  Resp(409, R"({"error":{"code":"AnotherOperationInProgress","message":"busy"}})")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("busy")));
  EXPECT_THAT(
      StatusFromResponse(
          Service::kArm,
          Resp(409, R"({"error":{"code":"StorageAccountAlreadyTaken","message":"taken"}})")),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("taken")));
  EXPECT_THAT(StatusFromResponse(Service::kArm, Resp(412, "")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "ARM 412: Precondition Failed"));
}

TEST(ErrorsTest, ArmDetailsAreAppended) {
  absl::Status s = StatusFromResponse(
      Service::kArm, Resp(400, R"({"error":{"code":"MultipleErrorsOccurred","message":"Several.",
                   "details":[{"code":"ResourceGroupNotFound","message":"rg gone"}]}})"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("Several. (details: ResourceGroupNotFound: rg gone)")));
  EXPECT_EQ(ServiceInnerErrorCode(s), "ResourceGroupNotFound");
}

TEST(ErrorsTest, DataFactoryStateConflictIsFailedPrecondition) {
  absl::Status s = StatusFromResponse(
      Service::kDataFactory,
      Resp(
          400,
          R"({"error":{"code":"TriggerEnabledCannotUpdate","message":"Cannot update enabled Trigger; the trigger needs to be disabled first. ","target":null,"details":null}})"));
  EXPECT_THAT(s,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("Data Factory 400: TriggerEnabledCannotUpdate: Cannot update")));
}

TEST(ErrorsTest, KeyVaultInnerErrorIsKept) {
  absl::Status s = StatusFromResponse(
      Service::kKeyVault,
      Resp(
          409,
          R"({"error":{"code":"Conflict","message":"Secret s1 is currently in a deleted but recoverable state.","innererror":{"code":"ObjectIsDeletedButRecoverable"}}})"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          "Key Vault 409: Conflict: Secret s1 is currently in a deleted but "
                          "recoverable state. [ObjectIsDeletedButRecoverable]"));
  EXPECT_EQ(ServiceInnerErrorCode(s), "ObjectIsDeletedButRecoverable");
  EXPECT_THAT(
      StatusFromResponse(Service::kKeyVault,
                         Resp(404, R"({"error":{"code":"SecretNotFound","message":"nope"}})")),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("SecretNotFound")));
}

TEST(ErrorsTest, DatabricksStringErrorCodeWinsOverStatus) {
  absl::Status s = StatusFromResponse(
      Service::kDatabricks,
      Resp(400,
           R"({"error_code":"RESOURCE_ALREADY_EXISTS","message":"Node named 'x' already exists"})",
           {{"x-request-id", "db-1"}}));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists,
                          "Databricks 400: RESOURCE_ALREADY_EXISTS: Node named 'x' already exists "
                          "(request id db-1)"));
  EXPECT_EQ(ServiceErrorCode(s), "RESOURCE_ALREADY_EXISTS");
}

TEST(ErrorsTest, DatabricksIntErrorCodeIsParsed) {
  absl::Status s =
      StatusFromResponse(Service::kDatabricks,
                         Resp(403, R"({"error_code": 403, "message": "Invalid access token."})"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied,
                          "Databricks 403: 403: Invalid access token."));
  EXPECT_EQ(ServiceErrorCode(s), "403");
}

TEST(ErrorsTest, DatabricksMissingRunIsNotFound) {
  EXPECT_THAT(
      StatusFromResponse(
          Service::kDatabricks,
          Resp(400,
               R"({"error_code":"INVALID_PARAMETER_VALUE","message":"Run 42 does not exist."})")),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("Run 42 does not exist.")));
  EXPECT_THAT(
      StatusFromResponse(Service::kDatabricks,
                         Resp(400, R"({"error_code":"INVALID_PARAMETER_VALUE","message":"bad"})")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad")));
}

TEST(ErrorsTest, DatabricksOtherBodyShapes) {
  EXPECT_THAT(
      StatusFromResponse(Service::kDatabricks, Resp(404, "RESOURCE_DOES_NOT_EXIST: gone")),
      StatusIs(absl::StatusCode::kNotFound, "Databricks 404: RESOURCE_DOES_NOT_EXIST: gone"));
  EXPECT_THAT(
      StatusFromResponse(Service::kDatabricks,
                         Resp(403, "<html><pre>Invalid access token.</pre></html>")),
      StatusIs(absl::StatusCode::kPermissionDenied, "Databricks 403: Invalid access token."));
  EXPECT_THAT(StatusFromResponse(Service::kDatabricks, Resp(400, R"({"error":"old style"})")),
              StatusIs(absl::StatusCode::kInvalidArgument, "Databricks 400: old style"));
  EXPECT_THAT(
      StatusFromResponse(Service::kDatabricks,
                         Resp(503, R"({"error_code":"TEMPORARILY_UNAVAILABLE","message":"later"})",
                              {{"Retry-After", "3"}})),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("later")));
}

TEST(ErrorsTest, AadErrorKeepsAadstsCodeAndDropsTraceNoise) {
  absl::Status s = StatusFromResponse(
      Service::kAad,
      Resp(
          401,
          R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t1\r\nCorrelation ID: c1","error_codes":[7000215],"trace_id":"t1"})"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated,
                          "Entra ID 401: invalid_client: AADSTS7000215: Invalid client secret "
                          "provided. (request id t1)"));
  EXPECT_THAT(
      StatusFromResponse(
          Service::kAad,
          Resp(400, R"({"error":"invalid_scope","error_description":"AADSTS70011: bad scope"})")),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("AADSTS70011")));
}

TEST(ErrorsTest, TokensInErrorMessagesAreRedacted) {
  absl::Status s = StatusFromResponse(
      Service::kArm,
      Resp(
          401,
          R"({"error":{"code":"InvalidAuthenticationToken","message":"Token Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig is bad"}})"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated,
                          AllOf(HasSubstr("InvalidAuthenticationToken"), Not(HasSubstr("eyJ")))));
}

TEST(ErrorsTest, AttemptCountFromRetryingTransportIsReported) {
  absl::Status s = StatusFromResponse(Service::kArm, Resp(503, "", {{kAttemptsHeader, "6"}}));
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kUnavailable, "ARM 503: Service Unavailable after 6 attempts"));
}

}  // namespace
}  // namespace envctl::cloud
