#!/usr/bin/env bash
# Azure CLI conformance: the Debian `azure-cli` package, unmodified, against cloudsim.
# Started by ../run.sh azcli, which exports ENVCTL_ENDPOINTS (cloudsim's endpoints.json).
#
# The CLI runs with its own config in a temp dir (AZURE_CONFIG_DIR), trusts cloudsim's CA
# (REQUESTS_CA_BUNDLE) and knows cloudsim as a custom cloud registered from
# /metadata/endpoints. It logs in through the managed-identity path (MSI_ENDPOINT, as in
# Cloud Shell): the Debian CLI 2.45 cannot turn off MSAL instance discovery
# (`core.instance_discovery` arrived in 2.53), so a service-principal login would try to
# reach login.microsoftonline.com, which a test must not do.
# Prints one line per check and closes with "N passed, N failed"; exits non-zero on any
# failure.
set -uo pipefail

endpoints=${ENVCTL_ENDPOINTS:?ENVCTL_ENDPOINTS must name the endpoints.json of cloudsim}
field() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$endpoints" "$1"
}
arm=$(field arm_endpoint)
object_id=$(field object_id)
subscription=$(field subscription_id)

config=$(mktemp -d "${TMPDIR:-/tmp}/azcli-config.XXXXXX")
trap 'rm -rf "$config"' EXIT
export AZURE_CONFIG_DIR=$config
export REQUESTS_CA_BUNDLE=$(field ca_cert_file)
export MSI_ENDPOINT=$arm/msi/token
export AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_ONLY_SHOW_ERRORS=1 AZURE_CORE_NO_COLOR=1
export AZURE_CORE_OUTPUT=json

passed=0
failed=0
out=$config/out
# check NAME EXPECTED COMMAND...: runs the command; passes when it exits 0 and, if
# EXPECTED is not empty, its output (stripped) equals EXPECTED.
check() {
  local name=$1 expected=$2
  shift 2
  if "$@" >"$out" 2>"$out.err"; then
    local got
    got=$(tr -d '\r' <"$out" | sed -e 's/^"//' -e 's/"$//')
    if [[ -z $expected || $got == "$expected" ]]; then
      echo "ok - $name"
      passed=$((passed + 1))
      return 0
    fi
    echo "not ok - $name: expected '$expected', got '$(head -c 400 <<<"$got")'"
  else
    echo "not ok - $name: exit $?: $(head -c 600 "$out.err") $(head -c 200 "$out")"
  fi
  failed=$((failed + 1))
  return 1
}

echo "# $(az version --query '"azure-cli"' -o tsv 2>/dev/null | sed 's/^/azure-cli /')"
# The cloud comes from cloudsim's /metadata/endpoints (served anonymously); the config
# adds what that legacy document does not carry.
cloud_config=$(printf '{"endpoints":{"resourceManager":"%s/","microsoftGraphResourceId":"https://graph.microsoft.com/"},"suffixes":{"keyvaultDns":".vault.azure.net","storageEndpoint":"core.windows.net"}}' "$arm")
check "cloud register from /metadata/endpoints" "" az cloud register -n cloudsim --cloud-config "$cloud_config"
check "cloud login endpoint discovered" "$arm/" az cloud show -n cloudsim --query endpoints.activeDirectory -o tsv
check "cloud set" "" az cloud set -n cloudsim
check "login --identity (MSI_ENDPOINT)" "$subscription" az login --identity --query "[0].id" -o tsv
check "account show" "$subscription" az account show --query id -o tsv
check "provider list" "Microsoft.KeyVault" az provider list --query "[?namespace=='Microsoft.KeyVault'].namespace | [0]" -o tsv
check "provider show lists vaults api-versions" "2026-02-01" \
  az provider show -n Microsoft.KeyVault --query "resourceTypes[?resourceType=='vaults'].apiVersions[0] | [0]" -o tsv
check "provider register" "" az provider register -n Microsoft.Databricks
check "group create" "Succeeded" az group create -n azcli-rg -l westeurope --query properties.provisioningState -o tsv

check "storage account create (HNS)" "true" \
  az storage account create -n azclistore1 -g azcli-rg -l westeurope --sku Standard_LRS \
  --kind StorageV2 --hns true --query isHnsEnabled -o tsv
check "storage container (ARM)" "" az storage container-rm create --storage-account azclistore1 -g azcli-rg -n raw
check "storage container show" "raw" az storage container-rm show --storage-account azclistore1 -g azcli-rg -n raw --query name -o tsv
account_id=/subscriptions/$subscription/resourceGroups/azcli-rg/providers/Microsoft.Storage/storageAccounts/azclistore1
check "resource show without --api-version" "true" az resource show --ids "$account_id" --query properties.isHnsEnabled -o tsv
check "resource list" "Microsoft.Storage/storageAccounts" \
  az resource list -g azcli-rg --query "[?name=='azclistore1'].type | [0]" -o tsv
check "group show" "azcli-rg" az group show -n azcli-rg --query name -o tsv
check "group exists" "true" az group exists -n azcli-rg
check "group list" "azcli-rg" az group list --query "[?name=='azcli-rg'].name | [0]" -o tsv
check "storage account show" "true" az storage account show -n azclistore1 -g azcli-rg --query isHnsEnabled -o tsv
check "storage account keys list" "2" az storage account keys list -n azclistore1 -g azcli-rg --query "length(@)" -o tsv
check "storage account update (PATCH)" "TLS1_2" \
  az storage account update -n azclistore1 -g azcli-rg --min-tls-version TLS1_2 --query minimumTlsVersion -o tsv
check "resource tag" "b" az resource tag --ids "$account_id" --tags a=b --query tags.a -o tsv
# Managed identity (Microsoft.ManagedIdentity). `az role ...` is not checked: Debian's CLI
# 2.45 fails inside its own SDK ('RoleAssignmentsOperations' object has no attribute
# 'config') before sending a request; tests/conformance/arm/authorization.test.js covers
# role assignments with @azure/arm-authorization.
check "identity create" "azcli-id" az identity create -n azcli-id -g azcli-rg --query name -o tsv
check "identity show has a principal" "true" \
  az identity show -n azcli-id -g azcli-rg --query "length(principalId) > \`0\`" -o tsv

# Key vault with an access policy, a secret through `az rest`, soft delete and purge.
check "keyvault create" "true" az keyvault create -n azclikv1 -g azcli-rg -l westeurope --no-self-perms \
  --query properties.enableSoftDelete -o tsv
check "keyvault set-policy" "$object_id" az keyvault set-policy -n azclikv1 --object-id "$object_id" \
  --secret-permissions get set list delete --query "properties.accessPolicies[0].objectId" -o tsv
vault_uri=$(az keyvault show -n azclikv1 --query properties.vaultUri -o tsv 2>/dev/null)
check "rest: put secret" "" az rest --method put --url "${vault_uri}secrets/conformance?api-version=7.4" \
  --resource https://vault.azure.net --body '{"value":"not-a-real-secret"}' -o none
check "rest: get secret" "not-a-real-secret" az rest --method get \
  --url "${vault_uri}secrets/conformance?api-version=7.4" --resource https://vault.azure.net --query value -o tsv
check "keyvault delete (soft)" "" az keyvault delete -n azclikv1
check "keyvault list-deleted" "azclikv1" az keyvault list-deleted --query "[0].name" -o tsv
check "keyvault purge" "" az keyvault purge -n azclikv1
check "keyvault list-deleted after purge" "0" az keyvault list-deleted --query "length(@)" -o tsv

# Data Factory through `az rest` on ARM (the datafactory commands are an extension).
factory=/subscriptions/$subscription/resourceGroups/azcli-rg/providers/Microsoft.DataFactory/factories/azcliadf1
check "rest: factory put" "azcliadf1" az rest --method put --url "${factory}?api-version=2018-06-01" \
  --body '{"location":"westeurope"}' --query name -o tsv
check "rest: pipeline put" "wait" az rest --method put --url "${factory}/pipelines/wait?api-version=2018-06-01" \
  --body '{"properties":{"activities":[{"name":"w","type":"Wait","typeProperties":{"waitTimeInSeconds":1}}]}}' \
  --query name -o tsv
check "resource show factory without --api-version" "azcliadf1" az resource show --ids "$factory" --query name -o tsv

check "group delete" "" az group delete -n azcli-rg --yes
echo "$passed passed, $failed failed"
((failed == 0))
