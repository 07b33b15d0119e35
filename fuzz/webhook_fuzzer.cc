// libFuzzer target: arbitrary bytes as the body of a webhook delivery: an Event Grid
// delivery (both schemas, with and without the validation header) and a Git push
// (GitHub, GitLab and Gitea headers). Parsing must never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string>

#include "watchers/event_grid.h"
#include "watchers/git_webhook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  using envctl::watchers::HttpHeaders;
  (void)envctl::watchers::ParseEventGridDelivery(HttpHeaders{}, body);
  (void)envctl::watchers::ParseEventGridDelivery(
      HttpHeaders{{"aeg-event-type", "SubscriptionValidation"}}, body);
  (void)envctl::watchers::ParseEventGridDelivery(
      HttpHeaders{{"ce-type", "Microsoft.Resources.ResourceWriteSuccess"}, {"ce-subject", "/x"}},
      body);
  envctl::watchers::GitWebhookOptions options;
  options.branch = "main";
  options.allow_unsigned = true;
  for (const HttpHeaders& headers :
       {HttpHeaders{{"X-GitHub-Event", "push"}}, HttpHeaders{{"X-Gitlab-Event", "Push Hook"}},
        HttpHeaders{{"X-Gitea-Event", "push"}}, HttpHeaders{}}) {
    (void)envctl::watchers::ParseGitWebhook(headers, body, options);
  }
  return 0;
}
