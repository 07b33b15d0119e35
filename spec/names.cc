#include "spec/names.h"

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace envctl::spec {

namespace {

bool IsLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

std::string Quoted(const std::string& name) { return absl::StrCat("\"", name, "\""); }

}  // namespace

std::string CheckResourceName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63 && IsAlnum(name[0]);
  for (char c : name) ok = ok && (IsAlnum(c) || c == '-' || c == '_');
  if (ok) return "";
  return absl::StrCat("invalid resource name ", Quoted(name),
                      ": use 1-63 letters, digits, '-' or '_', starting with a letter or digit "
                      "(no dots: `${name.output}` uses the dot)");
}

std::string CheckResourceGroupName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 90 && name.back() != '.';
  for (char c : name) {
    ok = ok && (IsAlnum(c) || c == '-' || c == '_' || c == '.' || c == '(' || c == ')');
  }
  if (ok) return "";
  return absl::StrCat("invalid resource group name ", Quoted(name),
                      ": Azure requires 1-90 letters, digits, '-', '_', '.', '(' or ')', "
                      "not ending in '.'");
}

std::string CheckStorageAccountName(const std::string& name) {
  bool ok = name.size() >= 3 && name.size() <= 24;
  for (char c : name) ok = ok && IsLowerOrDigit(c);
  if (ok) return "";
  return absl::StrCat("invalid storage account name ", Quoted(name),
                      ": Azure requires 3-24 lowercase letters and digits only (no hyphens), "
                      "globally unique");
}

std::string CheckKeyVaultName(const std::string& name) {
  bool ok = name.size() >= 3 && name.size() <= 24 && IsLetter(name[0]) && IsAlnum(name.back()) &&
            !absl::StrContains(name, "--");
  for (char c : name) ok = ok && (IsAlnum(c) || c == '-');
  if (ok) return "";
  return absl::StrCat("invalid Key Vault name ", Quoted(name),
                      ": Azure requires 3-24 letters, digits and hyphens, starting with a "
                      "letter, ending with a letter or digit, without \"--\"");
}

std::string CheckDataFactoryName(const std::string& name) {
  bool ok = name.size() >= 3 && name.size() <= 63 && IsAlnum(name[0]) && IsAlnum(name.back());
  for (char c : name) ok = ok && (IsAlnum(c) || c == '-');
  if (ok) return "";
  return absl::StrCat("invalid Data Factory name ", Quoted(name),
                      ": Azure requires 3-63 letters, digits and hyphens, starting and ending "
                      "with a letter or digit");
}

std::string CheckDatabricksWorkspaceName(const std::string& name) {
  bool ok = name.size() >= 3 && name.size() <= 64 && IsAlnum(name[0]);
  for (char c : name) ok = ok && (IsAlnum(c) || c == '-' || c == '_');
  if (ok) return "";
  return absl::StrCat("invalid Databricks workspace name ", Quoted(name),
                      ": Azure requires 3-64 letters, digits, '-' or '_', starting with a "
                      "letter or digit");
}

std::string CheckContainerName(const std::string& name) {
  bool ok = name.size() >= 3 && name.size() <= 63 && IsLowerOrDigit(name[0]) &&
            IsLowerOrDigit(name.back()) && !absl::StrContains(name, "--");
  for (char c : name) ok = ok && (IsLowerOrDigit(c) || c == '-');
  if (ok) return "";
  return absl::StrCat("invalid container name ", Quoted(name),
                      ": use 3-63 lowercase letters, digits and single hyphens, starting and "
                      "ending with a letter or digit");
}

std::string CheckKeyVaultSecretName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 127;
  for (char c : name) ok = ok && (IsAlnum(c) || c == '-');
  if (ok) return "";
  return absl::StrCat("invalid Key Vault secret name ", Quoted(name),
                      ": use 1-127 letters, digits and hyphens");
}

std::string CheckSecretScopeName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (char c : name) ok = ok && (IsAlnum(c) || c == '_' || c == '.' || c == '@' || c == '-');
  if (ok) return "";
  return absl::StrCat("invalid secret scope name ", Quoted(name),
                      ": use 1-128 letters, digits, '_', '.', '@' or '-'");
}

std::string CheckSecretScopeKey(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (char c : name) ok = ok && (IsAlnum(c) || c == '_' || c == '.' || c == '-');
  if (ok) return "";
  return absl::StrCat("invalid secret key ", Quoted(name),
                      ": use 1-128 letters, digits, '_', '.' or '-'");
}

std::string CheckEnvVarName(const std::string& name) {
  bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (IsAlnum(c) || c == '_');
  if (ok) return "";
  // The name is not echoed: a secret pasted here by mistake must not reach the output.
  return "invalid environment variable name: use letters, digits and '_', not starting "
         "with a digit";
}

std::string CheckGuid(const std::string& value) {
  static constexpr int kGroups[] = {8, 4, 4, 4, 12};
  size_t pos = 0;
  bool ok = value.size() == 36;
  for (int g = 0; ok && g < 5; ++g) {
    for (int i = 0; i < kGroups[g]; ++i, ++pos) {
      ok = ok && std::isxdigit(static_cast<unsigned char>(value[pos]));
    }
    if (g < 4) ok = ok && value[pos++] == '-';
  }
  if (ok) return "";
  return absl::StrCat("not a GUID (", Quoted(value),
                      "): write the object id as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
}

}  // namespace envctl::spec
