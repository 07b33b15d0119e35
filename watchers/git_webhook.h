// Git push webhooks: verifies that a delivery comes from the Git host (HMAC signature or
// shared token) and says whether it concerns the watched branch. A relevant push only
// asks the controller to Fetch() its GitSource now instead of at the next poll; the
// revision synced is always the one fetched, never the one a webhook claims.
//
// Providers, recognised by their headers:
//   GitHub  X-GitHub-Event: push|ping, X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body)>
//   GitLab  X-Gitlab-Event: Push Hook, X-Gitlab-Token: <the secret itself>
//   Gitea   X-Gitea-Event: push, X-Gitea-Signature: <hex HMAC-SHA256(body)>
//           (also Forgejo / Gogs; and generic senders that sign like GitHub or Gitea)
//   Azure DevOps (Azure Repos) service hook, event git.push: Authorization: Basic
//           <user:secret> (the subscription's basic-auth password is the secret);
//           resource.refUpdates[].name / newObjectId say what moved
// Stateless functions; thread-safe.
#ifndef ENVCTL_WATCHERS_GIT_WEBHOOK_H_
#define ENVCTL_WATCHERS_GIT_WEBHOOK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "watchers/http_headers.h"

namespace envctl::watchers {

struct GitWebhookOptions {
  // The webhook secret configured on the Git host. Never logged, never in errors.
  std::string secret;
  // Pushes to refs/heads/<branch> are relevant.
  std::string branch = "main";
  // Accept unsigned deliveries when `secret` is empty (local development only; the
  // controller's webhooks.allowUnsigned). Without it and without a secret every delivery
  // is refused.
  bool allow_unsigned = false;
};

struct GitPush {
  // True when the controller should fetch now: a push (or branch deletion) on `branch`.
  bool relevant = false;
  // The branch pushed to ("" for pings, tags and other events).
  std::string branch;
  // The commit the branch points to after the push (40 hex; all zeros when deleted).
  std::string after_sha;
  // One line for logs: "github push to main (1a2b3c4)", "gitlab push to dev, watching main".
  std::string reason;
};

// Verifies and parses one delivery.
// PermissionDenied when the signature or token is missing or wrong (the message names the
// header expected), or when no secret is configured and unsigned deliveries are not
// allowed. InvalidArgument when the body is not JSON or a push lacks "ref".
// Signatures are checked before the body is parsed. Pings and events other than pushes
// are valid but not relevant.
absl::StatusOr<GitPush> ParseGitWebhook(const HttpHeaders& headers, absl::string_view body,
                                        const GitWebhookOptions& options);

}  // namespace envctl::watchers

#endif  // ENVCTL_WATCHERS_GIT_WEBHOOK_H_
