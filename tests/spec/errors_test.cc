// One test per user-reachable loader error: message text and file:line:column.
#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/loader.h"
#include "tests/spec/test_repo.h"

namespace envctl::spec {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kResourceGroup;
using ::testing::Not;
using ::testing::StartsWith;
using testing::TempRepo;

// A repo with the resource group and `extra` as resources/main.yaml (line 4 onwards).
std::vector<std::string> ErrorsWith(const std::string& extra) {
  TempRepo repo;
  repo.Write("resources/main.yaml", std::string(kResourceGroup) + "---\n" + extra);
  return repo.Errors();
}

TEST(SpecErrorsTest, UnknownFieldSuggestsTheClosestName) {
  EXPECT_THAT(ErrorsWith("name: lake\n"
                         "storageAccount:\n"
                         "  acountName: demolake\n"
                         "  resourceGroup: rg\n"),
              Contains("resources/main.yaml:7:3: storageAccount.acountName: unknown field "
                       "\"acountName\" in StorageAccountSpec (did you mean \"accountName\"?)"));
}

TEST(SpecErrorsTest, UnknownFieldWithoutCloseMatchListsKnownFields) {
  EXPECT_THAT(ErrorsWith("name: g2\nresourceGroup: {groupName: x, zzzzzzzz: 1}\n"),
              Contains(AllOf(StartsWith("resources/main.yaml:6:31: resourceGroup.zzzzzzzz: "),
                             HasSubstr("(known fields: groupName, location)"))));
}

TEST(SpecErrorsTest, MapWhereStringExpectedIsATypeError) {
  EXPECT_THAT(ErrorsWith("name: lake\n"
                         "storageAccount:\n"
                         "  accountName: {name: demolake}\n"
                         "  resourceGroup: rg\n"),
              Contains("resources/main.yaml:7:16: storageAccount.accountName: expected a string, "
                       "got a map"));
}

TEST(SpecErrorsTest, ScalarWhereListExpected) {
  EXPECT_THAT(ErrorsWith("name: t\ndependsOn: rg\nresourceGroup: {groupName: x}\n"),
              Contains("resources/main.yaml:6:12: dependsOn: expected a list, got the scalar "
                       "\"rg\"; write `[rg]` or one `- item` per line"));
}

TEST(SpecErrorsTest, MissingRequiredFieldNamesWhatToSet) {
  EXPECT_THAT(ErrorsWith("name: vault\nkeyVault:\n  resourceGroup: rg\n"),
              Contains("resources/main.yaml:6:1: keyVault.vaultName: required: set the globally "
                       "unique vault name"));
}

TEST(SpecErrorsTest, ResourceWithoutKindOrName) {
  EXPECT_THAT(
      ErrorsWith("name: nothing\n"),
      Contains(AllOf(StartsWith("resources/main.yaml:5:1: resource \"nothing\" has no kind: "
                                "add one of resourceGroup, storageAccount"))));
  EXPECT_THAT(ErrorsWith("resourceGroup: {groupName: x}\n"),
              Contains("resources/main.yaml:5:1: name: required: every resource needs a `name` "
                       "unique in its environment"));
}

TEST(SpecErrorsTest, MissingReferenceSuggestsExistingName) {
  EXPECT_THAT(ErrorsWith("name: lake\n"
                         "storageAccount: {accountName: demolake, resourceGroup: rgg}\n"),
              Contains("resources/main.yaml:6:56: storageAccount.resourceGroup: no resource named "
                       "\"rgg\" (did you mean \"rg\"?)"));
}

TEST(SpecErrorsTest, MissingDependsOnTarget) {
  EXPECT_THAT(ErrorsWith("name: g2\ndependsOn: [ghost-resource]\nresourceGroup: {groupName: x}\n"),
              Contains("resources/main.yaml:6:13: dependsOn[0]: no resource named "
                       "\"ghost-resource\"; declare it or fix the name"));
}

TEST(SpecErrorsTest, ReferenceToTheWrongKind) {
  EXPECT_THAT(ErrorsWith("name: lake\n"
                         "storageAccount: {accountName: demolake, resourceGroup: rg}\n"
                         "---\n"
                         "name: lake2\n"
                         "storageAccount: {accountName: demolake2, resourceGroup: lake}\n"),
              Contains("resources/main.yaml:9:57: storageAccount.resourceGroup: \"lake\" is a "
                       "StorageAccount, but this field must name a ResourceGroup"));
}

TEST(SpecErrorsTest, DependencyCycleIsPrinted) {
  EXPECT_THAT(ErrorsWith("name: a\ndependsOn: [b]\nresourceGroup: {groupName: a}\n---\n"
                         "name: b\ndependsOn: [c]\nresourceGroup: {groupName: b}\n---\n"
                         "name: c\ndependsOn: [a]\nresourceGroup: {groupName: c}\n"),
              Contains("resources/main.yaml:6:1: dependsOn: dependency cycle: a -> b -> c -> a; "
                       "remove one of these dependencies"));
}

TEST(SpecErrorsTest, DuplicateResourceNames) {
  EXPECT_THAT(ErrorsWith("name: rg\nresourceGroup: {groupName: other}\n"),
              Contains("resources/main.yaml:5:7: name: duplicate resource name \"rg\" (first "
                       "declared at resources/main.yaml:1); rename one of them"));
}

TEST(SpecErrorsTest, TwoKindsInOneResource) {
  EXPECT_THAT(
      ErrorsWith("name: x\nresourceGroup: {groupName: x}\nkeyVault: {vaultName: x}\n"),
      Contains("resources/main.yaml:7:1: keyVault: a resource has exactly one kind, but "
               "this one sets both resourceGroup and keyVault; split it into two resources"));
}

TEST(SpecErrorsTest, AzureNameRules) {
  auto errors = ErrorsWith(
      "name: lake\nstorageAccount: {accountName: Demo-Lake, resourceGroup: rg,"
      " containers: [{name: Raw--Data}]}\n"
      "---\nname: kv\nkeyVault: {vaultName: 1vault--x, resourceGroup: rg}\n"
      "---\nname: adf\ndataFactory: {factoryName: -adf, resourceGroup: rg}\n"
      "---\nname: g\nresourceGroup: {groupName: 'bad group.'}\n"
      "---\nname: s\nkeyVaultSecret: {vault: kv, secretName: a_b, value: {env: TOKEN}}\n");
  EXPECT_THAT(errors,
              Contains(HasSubstr("resources/main.yaml:6:31: storageAccount.accountName: invalid "
                                 "storage account name \"Demo-Lake\": Azure requires 3-24 "
                                 "lowercase letters and digits only")));
  EXPECT_THAT(
      errors,
      Contains(HasSubstr(
          "resources/main.yaml:6:81: storageAccount.containers[0].name: invalid container name "
          "\"Raw--Data\"")));
  EXPECT_THAT(errors,
              Contains(HasSubstr("resources/main.yaml:9:23: keyVault.vaultName: invalid Key Vault "
                                 "name \"1vault--x\"")));
  EXPECT_THAT(errors,
              Contains(HasSubstr("resources/main.yaml:12:28: dataFactory.factoryName: invalid "
                                 "Data Factory name \"-adf\"")));
  EXPECT_THAT(errors,
              Contains(HasSubstr("resources/main.yaml:15:28: resourceGroup.groupName: invalid "
                                 "resource group name \"bad group.\"")));
  EXPECT_THAT(
      errors,
      Contains(HasSubstr(
          "resources/main.yaml:18:41: keyVaultSecret.secretName: invalid Key Vault secret name "
          "\"a_b\": use 1-127 letters, digits and hyphens")));
}

TEST(SpecErrorsTest, DatabricksNameRules) {
  auto errors = ErrorsWith(
      "name: ws\ndatabricksWorkspace: {existing: {workspaceUrl: "
      "'https://adb-1.azuredatabricks.net'}}\n"
      "---\nname: scope\ndatabricksSecretScope:\n  workspace: ws\n  scopeName: 'my scope'\n"
      "  secrets: [{key: 'a/b', value: {env: X}}]\n"
      "---\nname: nb\ndatabricksNotebooks: {workspace: ws, sourceFolder: nb, targetFolder: "
      "Shared/x}\n");
  EXPECT_THAT(errors,
              Contains(HasSubstr("resources/main.yaml:11:14: databricksSecretScope.scopeName: "
                                 "invalid secret scope name \"my scope\": use 1-128 letters, "
                                 "digits, '_', '.', '@' or '-'")));
  EXPECT_THAT(
      errors,
      Contains(HasSubstr(
          "resources/main.yaml:12:19: databricksSecretScope.secrets[0].key: invalid secret key "
          "\"a/b\"")));
  EXPECT_THAT(errors, Contains(HasSubstr("databricksNotebooks.targetFolder: must be an absolute "
                                         "workspace path such as /Shared/Shared/x")));
}

TEST(SpecErrorsTest, MissingNotebookFolderLibraryAndDefinitions) {
  auto errors = ErrorsWith(
      "name: ws\ndatabricksWorkspace: {existing: {workspaceUrl: "
      "'https://adb-1.azuredatabricks.net'}}\n"
      "---\nname: nb\ndatabricksNotebooks:\n  workspace: ws\n  sourceFolder: notebooks\n"
      "  targetFolder: /Shared/x\n"
      "---\nname: lib\ndatabricksLibrary: {workspace: ws, sourceFile: libs/x.jar, dbfsPath: "
      "dbfs:/x.jar}\n"
      "---\nname: adf\ndataFactory: {factoryName: demo-adf, resourceGroup: rg}\n"
      "---\nname: defs\ndataFactoryDefinitions: {dataFactory: adf, folder: ../adf}\n");
  EXPECT_THAT(errors,
              Contains("resources/main.yaml:11:17: databricksNotebooks.sourceFolder: folder "
                       "\"notebooks\" not found in the repo; create it or fix the path"));
  EXPECT_THAT(errors, Contains("resources/main.yaml:15:48: databricksLibrary.sourceFile: file "
                               "\"libs/x.jar\" not found in the repo; create it or fix the path"));
  EXPECT_THAT(errors,
              Contains("resources/main.yaml:21:52: dataFactoryDefinitions.folder: \"../adf\" "
                       "must be a path inside the repo, relative to its root"));
}

TEST(SpecErrorsTest, LiteralSecretIsRefused) {
  EXPECT_THAT(ErrorsWith("name: kv\nkeyVault: {vaultName: demo-kv, resourceGroup: rg}\n---\n"
                         "name: s\nkeyVaultSecret:\n  vault: kv\n  secretName: token\n"
                         "  value: dapi0123456789\n"),
              Contains("resources/main.yaml:12:10: keyVaultSecret.value: a secret value is never "
                       "written in the repo: use `{output: RESOURCE.OUTPUT}` (e.g. `{output: "
                       "workspace.token}`) or `{env: VARIABLE}` read at apply time"));
  EXPECT_THAT(ErrorsWith("name: kv\nkeyVault: {vaultName: demo-kv, resourceGroup: rg}\n---\n"
                         "name: s\nkeyVaultSecret: {vault: kv, secretName: token}\n"),
              Contains(HasSubstr("keyVaultSecret.value: required: a secret value comes from")));
}

TEST(SpecErrorsTest, SecretMessagesNeverEchoTheLiteral) {
  const std::vector<std::string> values = {"hunter2-secret", "{env: hunter2-secret}",
                                           "{output: hunter2-secret}"};
  for (const std::string& value : values) {
    const auto errors = ErrorsWith(
        "name: kv\nkeyVault: {vaultName: demo-kv, resourceGroup: rg}\n"
        "---\nname: s\nkeyVaultSecret: {vault: kv, secretName: t,"
        " value: " +
        value + "}\n");
    EXPECT_THAT(errors, ::testing::SizeIs(1)) << value;
    for (const std::string& e : errors) EXPECT_THAT(e, ::testing::Not(HasSubstr("hunter2")));
  }
}

TEST(SpecErrorsTest, OutputReferencesAreChecked) {
  auto errors = ErrorsWith(
      "name: kv\nkeyVault: {vaultName: demo-kv, resourceGroup: rg}\n---\n"
      "name: s\nkeyVaultSecret: {vault: kv, secretName: t, value: {output: kv.vaultUrl}}\n---\n"
      "name: s2\nkeyVaultSecret: {vault: kv, secretName: t2, contentType: '${nobody.id}',"
      " value: {output: {resource: rg, output: token}}}\n");
  EXPECT_THAT(errors,
              Contains(HasSubstr("resources/main.yaml:9:60: keyVaultSecret.value.output: KeyVault "
                                 "\"kv\" has no output \"vaultUrl\" (did you mean \"vaultUri\"?); "
                                 "its outputs are vaultUri, id")));
  EXPECT_THAT(
      errors,
      Contains(HasSubstr(
          "resources/main.yaml:12:58: keyVaultSecret.contentType: no resource named \"nobody\"")));
  EXPECT_THAT(errors,
              Contains(HasSubstr("keyVaultSecret.value.output: ResourceGroup \"rg\" has no output "
                                 "\"token\"")));
}

TEST(SpecErrorsTest, UndefinedParameterPointsAtThePlaceholder) {
  EXPECT_THAT(ErrorsWith("name: g2\nresourceGroup:\n  groupName: demo-${sufix}-rg\n"),
              Contains("resources/main.yaml:7:19: resourceGroup.groupName: undefined parameter "
                       "${sufix} (did you mean \"suffix\"?): define it under `parameters:` in "
                       "envctl.yaml or the environment's file"));
}

TEST(SpecErrorsTest, EnvPlaceholderIsNotAllowed) {
  EXPECT_THAT(ErrorsWith("name: g2\nresourceGroup:\n  groupName: \"${env:RG_NAME}\"\n"),
              Contains("resources/main.yaml:7:15: resourceGroup.groupName: ${env:RG_NAME} is not "
                       "allowed in specs: secrets never live in the repo; read the variable at "
                       "apply time with a ValueSource `value: {env: RG_NAME}` on a secret"));
}

TEST(SpecErrorsTest, BadEnumDurationIntegerAndBool) {
  auto errors = ErrorsWith(
      "name: g2\ndriftPolicy: enforced\nenabled: yes\n"
      "resourceGroup: {groupName: x}\n---\n"
      "name: kv\nkeyVault: {vaultName: demo-kv, resourceGroup: rg,"
      " softDeleteRetentionDays: 99999999999}\n---\n"
      "name: ws\ndatabricksWorkspace:\n  existing: {workspaceUrl: 'https://a'}\n"
      "  tokenLifetime: 3 days\n");
  EXPECT_THAT(errors,
              Contains("resources/main.yaml:6:14: driftPolicy: unknown value \"enforced\" (did "
                       "you mean \"enforce\"?); use one of enforce, report, ignore"));
  EXPECT_THAT(errors,
              Contains("resources/main.yaml:7:10: enabled: expected true or false, got \"yes\""));
  EXPECT_THAT(errors,
              Contains(HasSubstr("resources/main.yaml:11:76: keyVault.softDeleteRetentionDays: "
                                 "expected an integer between "
                                 "-2147483648 and 2147483647, got \"99999999999\"")));
  EXPECT_THAT(errors,
              Contains("resources/main.yaml:16:18: databricksWorkspace.tokenLifetime: invalid "
                       "duration \"3 days\": write a positive duration such as \"30s\", "
                       "\"10m\" or \"1h30m\""));
}

TEST(SpecErrorsTest, YamlSyntaxError) {
  EXPECT_THAT(ErrorsWith("name: [unclosed\n"),
              Contains("resources/main.yaml:6:1: invalid YAML: did not find expected ',' or ']' "
                       "(while parsing a flow sequence at line 5, column 7)"));
  TempRepo repo;
  repo.Write("resources/bad.json",
             "{\"name\": \"x\",\n  \"resourceGroup\": {\"groupName\": \"x\"\n");
  EXPECT_THAT(repo.Errors(), Contains(StartsWith("resources/bad.json:")));
  EXPECT_THAT(repo.Errors(), Contains(HasSubstr("invalid JSON")));
}

TEST(SpecErrorsTest, InvalidDataFactoryJsonHasItsLineAndColumn) {
  TempRepo repo;
  repo.Write("resources/main.yaml",
             std::string(kResourceGroup) +
                 "---\nname: adf\ndataFactory: {factoryName: demo-adf, resourceGroup: rg}\n"
                 "---\nname: defs\ndataFactoryDefinitions: {dataFactory: adf, folder: adf}\n");
  repo.Write("adf/pipeline/P.json",
             "{\n  \"name\": \"P\",\n  \"properties\": {\"activities\": [,]}\n}\n");
  repo.Write("adf/linkedService/Ls.json",
             "{\"name\": \"Other\", \"properties\": {\"type\": \"X\"}}\n");
  repo.Write("adf/dataset/D.json", "[1, 2]\n");
  auto errors = repo.Errors();
  EXPECT_THAT(errors,
              Contains(AllOf(StartsWith("adf/pipeline/P.json:3:33: invalid JSON: syntax error"))));
  EXPECT_THAT(errors,
              Contains("adf/linkedService/Ls.json:1:2: name: name \"Other\" differs from the file "
                       "name \"Ls.json\"; Data Factory's Git mode names the file after the "
                       "definition"));
  EXPECT_THAT(errors,
              Contains("adf/dataset/D.json:1:1: not a Data Factory definition: expected "
                       "{\"name\": \"...\", \"properties\": {...}} as Data Factory's Git mode "
                       "writes it"));
}

TEST(SpecErrorsTest, DataFactoryPlaceholdersAndReferencesAreChecked) {
  TempRepo repo;
  repo.Write("resources/main.yaml",
             std::string(kResourceGroup) +
                 "---\nname: adf\ndataFactory: {factoryName: demo-adf, resourceGroup: rg}\n"
                 "---\nname: defs\ndataFactoryDefinitions: {dataFactory: adf, folder: adf,"
                 " startedTriggers: [Nightly]}\n"
                 "---\nname: run\npipelineRunTest: {dataFactory: adf, pipeline: Aply}\n");
  repo.Write("adf/linkedService/Kv.json",
             "{\"name\": \"Kv\",\n \"properties\": {\"type\": \"AzureKeyVault\",\n"
             "   \"typeProperties\": {\"baseUrl\": \"${adf.vaultUri}\", \"x\": \"${nope}\"}}}\n");
  repo.Write("adf/pipeline/Apply.json",
             "{\"name\": \"Apply\", \"properties\": {\"activities\": [{\"name\": \"a\",\n"
             "  \"linkedServiceName\": {\"referenceName\": \"Databricks\", \"type\": "
             "\"LinkedServiceReference\"}}]}}\n");
  auto errors = repo.Errors();
  EXPECT_THAT(errors,
              Contains(HasSubstr("adf/linkedService/Kv.json:3:35: DataFactory \"adf\" has no "
                                 "output \"vaultUri\"")));
  EXPECT_THAT(errors,
              Contains(HasSubstr("adf/linkedService/Kv.json:3:59: undefined parameter ${nope}")));
  EXPECT_THAT(errors,
              Contains("adf/pipeline/Apply.json:2:42: referenceName: no linkedService named "
                       "\"Databricks\" in adf/linkedService/"));
  EXPECT_THAT(errors,
              Contains(HasSubstr(
                  "resources/main.yaml:9:75: dataFactoryDefinitions.startedTriggers[0]: no trigger "
                  "\"Nightly\" in adf/trigger/")));
  EXPECT_THAT(errors, Contains(HasSubstr("resources/main.yaml:12:47: pipelineRunTest.pipeline: no "
                                         "pipeline \"Aply\" in adf/pipeline/ "
                                         "for factory \"adf\" (did you mean \"Apply\"?)")));
}

TEST(SpecErrorsTest, EnabledResourceNeedingADisabledOne) {
  EXPECT_THAT(
      ErrorsWith(
          "name: adf\nenabled: false\ndataFactory: {factoryName: demo-adf, resourceGroup: rg}\n"
          "---\nname: run\npipelineRunTest: {dataFactory: adf, pipeline: P}\n"),
      Contains(HasSubstr("pipelineRunTest.dataFactory: \"adf\" is disabled in environment dev "
                         "(enabled: false) but \"run\" is enabled and needs it")));
}

TEST(SpecErrorsTest, PipelineTestWithoutPublishedDefinitions) {
  EXPECT_THAT(ErrorsWith("name: adf\ndataFactory: {factoryName: demo-adf, resourceGroup: rg}\n"
                         "---\nname: run\npipelineRunTest: {dataFactory: adf, pipeline: P}\n"),
              Contains(HasSubstr("pipelineRunTest.dataFactory: no enabled DataFactoryDefinitions "
                                 "publishes factory \"adf\" in environment dev")));
}

TEST(SpecErrorsTest, ErrorsOfOneEnvironmentOnlySayWhich) {
  TempRepo repo;
  repo.Write("environments/test.yaml", "parameters:\n  suffix: TEST_\n");
  repo.Write("resources/lake.yaml",
             std::string(kResourceGroup) +
                 "---\nname: lake\nstorageAccount:\n  accountName: demo${suffix}\n"
                 "  resourceGroup: rg\n");
  EXPECT_THAT(repo.Errors(),
              ElementsAre("resources/lake.yaml:7:16: storageAccount.accountName: invalid storage "
                          "account name \"demoTEST_\": Azure requires 3-24 lowercase letters and "
                          "digits only (no hyphens), globally unique [environment test]"));
}

TEST(SpecErrorsTest, ProjectAndEnvironmentFileErrors) {
  TempRepo repo;
  repo.Write("envctl.yaml",
             "project: demo\nenvironments: [dev, Prod, prod]\nresource: [x]\n"
             "parameters: {environment: x, a.b: 1, ok: [1]}\nresources: [missing/]\n");
  repo.Write("environments/dev.yaml", "parameter: {}\nsync: {prune: maybe}\n");
  auto errors = repo.Errors();
  EXPECT_THAT(errors, ::testing::Not(Contains(HasSubstr("environments/Prod.yaml"))));
  EXPECT_THAT(errors,
              Contains("envctl.yaml:2:21: environments[1]: invalid environment name \"Prod\": "
                       "use lowercase letters, digits and '-'"));
  EXPECT_THAT(errors, Contains("envctl.yaml:3:1: resource: unknown key \"resource\" (did you mean "
                               "\"resources\"?)"));
  EXPECT_THAT(errors,
              Contains(HasSubstr("envctl.yaml:4:14: parameters.environment: \"environment\" is "
                                 "built in")));
  EXPECT_THAT(errors,
              Contains(HasSubstr("envctl.yaml:4:30: parameters.a.b: invalid parameter name")));
  EXPECT_THAT(errors,
              Contains(HasSubstr("parameters.ok: a parameter value must be a string, number or "
                                 "boolean, got a list")));
  EXPECT_THAT(errors,
              Contains("envctl.yaml:5:13: resources[0]: \"missing/\" matches no file or folder "
                       "in the repo"));
  EXPECT_THAT(errors,
              Contains("envctl.yaml:2:27: environments: environment \"prod\" has no "
                       "environments/prod.yaml; create it with the environment's `parameters:` "
                       "[environment prod]"));
  EXPECT_THAT(errors,
              Contains("environments/dev.yaml:1:1: parameter: unknown key \"parameter\" (did you "
                       "mean \"parameters\"?) [environment dev]"));
  EXPECT_THAT(errors,
              Contains("environments/dev.yaml:2:15: sync.prune: expected true or false, got "
                       "\"maybe\" [environment dev]"));
}

TEST(SpecErrorsTest, MissingEnvctlYaml) {
  TempRepo repo;
  repo.Remove("envctl.yaml");
  auto errors = repo.Errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], StartsWith("envctl.yaml: not found in "));
}

TEST(SpecErrorsTest, AllErrorsAcrossFilesAreCollectedAndSorted) {
  TempRepo repo;
  repo.Write("resources/a.yaml", "name: a\nresourceGroup: {groupName: 'x.'}\n");
  repo.Write("resources/b.yaml",
             "name: b\nstorageAccount: {accountName: B, resourceGroup: a}\n"
             "---\nname: c\nbogus: 1\nresourceGroup: {groupName: c}\n");
  auto errors = repo.Errors();
  ASSERT_EQ(errors.size(), 3u) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors[0], StartsWith("resources/a.yaml:2:28:"));
  EXPECT_THAT(errors[1], StartsWith("resources/b.yaml:2:31:"));
  EXPECT_THAT(errors[2], StartsWith("resources/b.yaml:5:1: bogus: unknown field"));
  EXPECT_THAT(LoadRepo(repo.dir()).environments.size(), 2u);
}

TEST(SpecErrorsTest, MalformedInputsAreErrorsNotCrashes) {
  const std::vector<std::string> inputs = {
      "",
      "---\n---\n",
      "~\n",
      "42\n",
      "[1, [2, [3]]]\n",
      "\t\tname: x\n",
      "name: &a x\nresourceGroup: {groupName: *a}\nother: *a\n",
      "name: x\nresourceGroup: !!binary aGVsbG8=\n",
      std::string("name: \0x\n", 10),
      "name: x\ntags: {? [a, b] : c}\n",
      "name: x\nenabled: ${unterminated\n",
      "name: x\nstorageAccount: {containers: {name: c}}\n",
      "name: x\nkeyVault: {accessPolicies: [{principal: {deployer: true, objectId: y}}]}\n",
      std::string(300, '[') + "\n"};
  for (const std::string& input : inputs) {
    TempRepo repo;
    repo.Write("resources/f.yaml", input);
    LoadResult result = LoadRepo(repo.dir());
    EXPECT_EQ(result.environments.size(), 2u) << input;
    for (const Diagnostic& d : result.errors) {
      if (d.file == "resources/f.yaml") {
        EXPECT_GE(d.line, 0) << d.ToString();
      }
    }
  }
}

// Found by spec_loader_fuzzer (a libFuzzer timeout; fuzz/corpus/spec_loader/
// yaml_cpp_tag_continuation.yaml): libyaml reads one tagged scalar continued on the next
// lines, yaml-cpp ends it at the line in column 1 and YAML::LoadAll then looped forever on
// the `,` it could not place. A located error now, at the line where yaml-cpp diverges.
TEST(SpecErrorsTest, TaggedScalarContinuedInColumnOneIsALocatedErrorNotAHang) {
  const std::string fuzzed("!resourcae: rg\ne\n\nra\n,liong-x}rou ", 33);
  for (const std::string& input :
       {fuzzed, std::string("!t a\n,b\n"), std::string("&x a\n,b\n"), std::string("!t a\nb\n")}) {
    TempRepo repo;
    repo.Write("resources/f.yaml", input);
    LoadResult result = LoadRepo(repo.dir());
    std::vector<std::string> errors;
    for (const Diagnostic& d : result.errors) errors.push_back(d.ToString());
    EXPECT_THAT(errors, ElementsAre(StartsWith("resources/f.yaml:2:1: invalid YAML: envctl's "
                                               "YAML library (yaml-cpp) would start document 2 "
                                               "here where libyaml reads 1")))
        << input;
  }
  // Continued with an indent, or quoted, both parsers read one scalar: no such error.
  for (const std::string& input : {std::string("!t a\n b\n"), std::string("\"a\n,b\"\n")}) {
    TempRepo repo;
    repo.Write("resources/f.yaml", input);
    for (const std::string& e : repo.Errors()) EXPECT_THAT(e, Not(HasSubstr("yaml-cpp"))) << input;
  }
}

TEST(SpecErrorsTest, OneofAlternativesAreReported) {
  auto errors = ErrorsWith(
      "name: kv\nkeyVault:\n  vaultName: demo-kv\n  resourceGroup: rg\n"
      "  accessPolicies:\n    - principal: {deployer: true, objectId: x}\n");
  EXPECT_THAT(errors,
              Contains("resources/main.yaml:10:35: keyVault.accessPolicies[0].principal.objectId: "
                       "only one of deployer and objectId may be set (they are alternatives "
                       "in PrincipalRef)"));
}

TEST(SpecErrorsTest, PromotionFromIsLoadedWithItsApproval) {
  TempRepo repo;
  repo.Write("resources/main.yaml", kResourceGroup);
  repo.Write("environments/test.yaml",
             "parameters:\n  suffix: test\npromotion:\n  from: dev\n  requireApproval: true\n");
  LoadResult result = LoadRepo(repo.dir());
  ASSERT_THAT(repo.Errors(), IsEmpty());
  ASSERT_EQ(result.environments.size(), 2u);
  EXPECT_EQ(result.environments[1].promotion().from(), "dev");
  EXPECT_TRUE(result.environments[1].promotion().require_approval());
  EXPECT_EQ(result.environments[0].promotion().from(), "");
}

TEST(SpecErrorsTest, PromotionFromAnUnknownEnvironmentNamesTheDeclaredOnes) {
  TempRepo repo;
  repo.Write("resources/main.yaml", kResourceGroup);
  repo.Write("environments/test.yaml",
             "parameters:\n  suffix: test\npromotion:\n  from: staging\n");
  EXPECT_THAT(repo.Errors(),
              Contains("environments/test.yaml:4:9: promotion.from: \"staging\" is not a declared "
                       "environment (declared: dev, test)"));
}

TEST(SpecErrorsTest, PromotionFromItselfIsAnError) {
  TempRepo repo;
  repo.Write("resources/main.yaml", kResourceGroup);
  repo.Write("environments/test.yaml", "parameters:\n  suffix: test\npromotion: {from: test}\n");
  EXPECT_THAT(repo.Errors(),
              Contains(StartsWith("environments/test.yaml:3:19: promotion.from: environment "
                                  "\"test\" cannot be promoted from itself")));
}

TEST(SpecErrorsTest, PromotionCycleIsReportedOnceWithItsChain) {
  TempRepo repo;
  repo.Write("resources/main.yaml", kResourceGroup);
  repo.Write("environments/dev.yaml", "parameters:\n  suffix: dev\npromotion:\n  from: test\n");
  repo.Write("environments/test.yaml", "parameters:\n  suffix: test\npromotion:\n  from: dev\n");
  const std::vector<std::string> errors = repo.Errors();
  EXPECT_THAT(errors, Contains("environments/dev.yaml:4:9: promotion.from: promotion cycle: "
                               "dev <- test <- dev; one environment of the chain must follow the "
                               "source"));
  EXPECT_EQ(
      std::count_if(errors.begin(), errors.end(),
                    [](const std::string& e) { return e.find("cycle") != std::string::npos; }),
      1);
}

TEST(SpecErrorsTest, PromotionUnknownFieldIsAnError) {
  TempRepo repo;
  repo.Write("resources/main.yaml", kResourceGroup);
  repo.Write("environments/test.yaml", "parameters:\n  suffix: test\npromotion:\n  form: dev\n");
  EXPECT_THAT(repo.Errors(),
              Contains(AllOf(StartsWith("environments/test.yaml:4:3: promotion.form"),
                             HasSubstr("did you mean \"from\"?"))));
}

TEST(SpecErrorsTest, SyncWindowsAreCheckedAtTheirFields) {
  TempRepo repo;
  repo.Write("resources/main.yaml", kResourceGroup);
  repo.Write(
      "environments/test.yaml",
      "parameters:\n  suffix: test\n"
      "sync:\n"
      "  windows:\n"
      "    - {kind: deny, schedule: \"0 25 * * *\", duration: 2h, timeZone: UTC}\n"
      "    - kind: allow\n"
      "      schedule: \"0 9 * * 1-5\"\n"
      "      duration: 0s\n"
      "      timeZone: Mars/Olympus\n"
      "    - {kind: maybe, schedule: \"*/15 * * *\", duration: 1h}\n"
      "    - {kind: deny, schedule: \"0 18 * * 5\", duration: 62h, timeZone: Europe/Paris}\n");
  const std::vector<std::string> errors = repo.Errors();
  EXPECT_THAT(errors, Contains("environments/test.yaml:5:30: sync.windows[0].schedule: "
                               "\"0 25 * * *\": hour: \"25\" is outside 0-23 [environment test]"));
  EXPECT_THAT(errors, Contains("environments/test.yaml:8:17: sync.windows[1].duration: must be "
                               "between 1m and 31 days (e.g. 2h) [environment test]"));
  EXPECT_THAT(errors, Contains(StartsWith("environments/test.yaml:9:17: sync.windows[1].timeZone: "
                                          "unknown IANA time zone \"Mars/Olympus\"")));
  EXPECT_THAT(errors, Contains(StartsWith("environments/test.yaml:10:14: sync.windows[2].kind: "
                                          "\"maybe\" is not allow or deny")));
  EXPECT_THAT(errors, Contains(StartsWith("environments/test.yaml:10:31: sync.windows[2].schedule: "
                                          "\"*/15 * * *\": expected 5 fields")));
  EXPECT_EQ(
      std::count_if(errors.begin(), errors.end(),
                    [](const std::string& e) { return e.find("windows[3]") != std::string::npos; }),
      0)
      << "a valid window is not reported";
}

TEST(SpecErrorsTest, AnUnparsableWindowDurationIsReportedOnce) {
  TempRepo repo;
  repo.Write("resources/main.yaml", kResourceGroup);
  repo.Write("environments/dev.yaml",
             "parameters:\n  suffix: dev\nsync:\n  windows:\n"
             "    - {kind: deny, schedule: \"0 18 * * 5\", duration: soon}\n");
  const std::vector<std::string> errors = repo.Errors();
  EXPECT_EQ(
      std::count_if(errors.begin(), errors.end(),
                    [](const std::string& e) { return e.find("duration") != std::string::npos; }),
      1)
      << ::testing::PrintToString(errors);
}

TEST(SpecErrorsTest, MisspelledIgnorePathIsLocatedWithASuggestion) {
  const std::vector<std::string> errors = ErrorsWith(
      "name: lake\n"
      "ignoreDifferences: [tag.CostCenter, properties.minimumTlsVerison, tags.Owner, "
      "\"containers[name=raw].properties.publicAccess\"]\n"
      "storageAccount: {accountName: demolake, resourceGroup: rg}\n");
  EXPECT_THAT(
      errors,
      Contains(AllOf(StartsWith(
          "resources/main.yaml:6:21: ignoreDifferences[0]: \"tag.CostCenter\" is not a path "
          "StorageAccount plan can show (did you mean \"tags.CostCenter\"?)"))));
  EXPECT_THAT(
      errors,
      Contains(StartsWith(
          "resources/main.yaml:6:37: ignoreDifferences[1]: \"properties.minimumTlsVerison\" is not "
          "a path StorageAccount plan can show (did you mean \"properties.minimumTlsVersion\"?)")));
  EXPECT_EQ(std::count_if(errors.begin(), errors.end(),
                          [](const std::string& e) {
                            return e.find("ignoreDifferences[") != std::string::npos;
                          }),
            2)
      << "tags.Owner and a container path are valid: " << ::testing::PrintToString(errors);
}

TEST(SpecErrorsTest, IgnorePathWithoutACloseMatchListsThePaths) {
  EXPECT_THAT(
      ErrorsWith("name: g2\nignoreDifferences: [location]\nresourceGroup: {groupName: x}\n"),
      Contains("resources/main.yaml:6:21: ignoreDifferences[0]: \"location\" is not a path "
               "ResourceGroup "
               "plan can show; paths: tags.** (* is any name, ** anything below)"));
  EXPECT_THAT(
      ErrorsWith("name: g2\nignoreDifferences: [\"tags.\"]\nresourceGroup: {groupName: x}\n"),
      Contains(
          StartsWith("resources/main.yaml:6:21: ignoreDifferences[0]: \"tags.\" is not a path")));
}

TEST(SpecErrorsTest, PrincipalsOfAccessPoliciesAndRoleAssignmentsAreCheckedAlike) {
  const std::vector<std::string> errors = ErrorsWith(
      "name: vault\nkeyVault:\n  resourceGroup: rg\n  accessPolicies:\n"
      "    - principal: {deployer: false}\n      secretPermissions: [get]\n"
      "    - principal: {objectId: not-a-guid}\n      secretPermissions: [get]\n"
      "---\n"
      "name: grant\nroleAssignment: {scope: rg, role: Reader}\n"
      "---\n"
      "name: grant2\nroleAssignment: {scope: rg, role: Reader, principal: {deployer: false}}\n");
  EXPECT_THAT(errors, Contains(AllOf(StartsWith("resources/main.yaml:9:29: "),
                                     HasSubstr("keyVault.accessPolicies[0].principal.deployer: "
                                               "`deployer: false` names no one"))));
  EXPECT_THAT(errors, Contains(AllOf(StartsWith("resources/main.yaml:11:29: "),
                                     HasSubstr("keyVault.accessPolicies[1].principal.objectId"))));
  EXPECT_THAT(errors,
              Contains(AllOf(StartsWith("resources/main.yaml:15:1: "),
                             HasSubstr("roleAssignment.principal: required: set one of "))));
  EXPECT_THAT(errors, Contains(AllOf(StartsWith("resources/main.yaml:18:65: "),
                                     HasSubstr("roleAssignment.principal.deployer: `deployer: "
                                               "false` names no one"))));
}

TEST(SpecErrorsTest, IgnoreDifferencesOnAKindWithoutFieldsIsAnError) {
  EXPECT_THAT(
      ErrorsWith(
          "name: grant\nignoreDifferences: [properties.description]\n"
          "roleAssignment: {scope: {resource: rg}, role: Reader, principal: {deployer: true}}\n"),
      Contains(AllOf(
          StartsWith(
              "resources/main.yaml:6:21: ignoreDifferences[0]: a RoleAssignment has no fields "
              "ignoreDifferences can name; remove it (kinds that take it: "),
          HasSubstr("StorageAccount"))));
}

TEST(SpecErrorsTest, SyncIgnoreRulesCheckKindAndPathsAtTheirFields) {
  TempRepo repo;
  repo.Write("resources/main.yaml", kResourceGroup);
  repo.Write("environments/test.yaml",
             "parameters:\n  suffix: test\n"
             "sync:\n"
             "  ignoreDifferences:\n"
             "    - kind: StorageAcount\n"
             "      jsonPaths: [tags.CostCenter]\n"
             "    - kind: ResourceGroup\n"
             "      jsonPaths: [tags.Owner, tgas.Owner]\n"
             "    - kind: DatabricksJob\n"
             "      jsonPaths: [schedule.pause_status, \"tasks[0].timeout_seconds\", shedule]\n");
  const std::vector<std::string> errors = repo.Errors();
  EXPECT_THAT(errors,
              Contains(StartsWith(
                  "environments/test.yaml:5:13: sync.ignoreDifferences[0].kind: unknown kind "
                  "\"StorageAcount\" (did you mean \"StorageAccount\"?)")));
  EXPECT_THAT(errors, Contains(StartsWith(
                          "environments/test.yaml:8:31: sync.ignoreDifferences[1].jsonPaths[1]: "
                          "\"tgas.Owner\" is not a path ResourceGroup plan can show (did you mean "
                          "\"tags.Owner\"?)")));
  EXPECT_THAT(errors, Contains(StartsWith(
                          "environments/test.yaml:10:70: sync.ignoreDifferences[2].jsonPaths[2]: "
                          "\"shedule\" is not a path DatabricksJob plan can show (did you mean "
                          "\"schedule\"?)")));
  EXPECT_EQ(std::count_if(errors.begin(), errors.end(),
                          [](const std::string& e) {
                            return e.find("ignoreDifferences") != std::string::npos;
                          }),
            3)
      << ::testing::PrintToString(errors);
}

}  // namespace
}  // namespace envctl::spec
