// Azure and Databricks naming rules, checked before any API call so a bad name is a
// `file:line` error at validate time instead of a 400 halfway through an apply.
// Each check returns "" when the name is valid, else a sentence stating the rule.
// Pure functions; safe from any thread.
#ifndef ENVCTL_SPEC_NAMES_H_
#define ENVCTL_SPEC_NAMES_H_

#include <string>

namespace envctl::spec {

std::string CheckResourceName(const std::string& name);  // envctl resource `name`
std::string CheckResourceGroupName(const std::string& name);
std::string CheckStorageAccountName(const std::string& name);
std::string CheckKeyVaultName(const std::string& name);
std::string CheckDataFactoryName(const std::string& name);
std::string CheckDatabricksWorkspaceName(const std::string& name);
std::string CheckContainerName(const std::string& name);
std::string CheckKeyVaultSecretName(const std::string& name);
std::string CheckSecretScopeName(const std::string& name);
std::string CheckSecretScopeKey(const std::string& name);
std::string CheckEnvVarName(const std::string& name);
std::string CheckGuid(const std::string& value);

}  // namespace envctl::spec

#endif  // ENVCTL_SPEC_NAMES_H_
