// Test fixtures built with the official SDKs: a resource group removed after the test, a
// vault with access policies (purged after the test so its name is free again).
"use strict";

const { ResourceManagementClient } = require("@azure/arm-resources");
const { KeyVaultManagementClient } = require("@azure/arm-keyvault");
const { LRO, armClient, endpoints, uniqueName } = require("./cloud.js");

const LOCATION = "westeurope";
const ALL_SECRET_PERMISSIONS = ["get", "list", "set", "delete", "backup", "restore", "recover", "purge"];

// Creates a resource group deleted (with everything in it) when test context `t` ends.
async function resourceGroup(t, prefix = "rg-conf-") {
  const client = armClient(ResourceManagementClient);
  const name = uniqueName(prefix);
  await client.resourceGroups.createOrUpdate(name, { location: LOCATION, tags: { suite: "conformance" } });
  t.after(() => client.resourceGroups.beginDeleteAndWait(name, LRO));
  return name;
}

function accessPolicy(objectId, secrets = ALL_SECRET_PERMISSIONS, ep = endpoints()) {
  return { tenantId: ep.tenant_id, objectId, permissions: { secrets, keys: [], certificates: [] } };
}

// Creates a vault whose access policies grant `objectIds` every secret permission (with
// `rbac`: a vault in RBAC mode, no access policies, no data access for anyone yet); after
// the test it is deleted and purged.
async function vault(t, rg, { objectIds = [endpoints().object_id], prefix = "kv-conf-", rbac = false } = {}) {
  const ep = endpoints();
  const client = armClient(KeyVaultManagementClient);
  const name = uniqueName(prefix);
  const created = await client.vaults.beginCreateOrUpdateAndWait(
    rg,
    name,
    {
      location: LOCATION,
      properties: {
        tenantId: ep.tenant_id,
        sku: { family: "A", name: "standard" },
        ...(rbac
          ? { enableRbacAuthorization: true }
          : { accessPolicies: objectIds.map((o) => accessPolicy(o, ALL_SECRET_PERMISSIONS, ep)) }),
        enableSoftDelete: true,
        softDeleteRetentionInDays: 7,
      },
    },
    LRO,
  );
  t.after(async () => {
    try {
      await client.vaults.delete(rg, name);
    } catch (err) {
      if (err.statusCode !== 404) throw err;
    }
    try {
      await client.vaults.beginPurgeDeletedAndWait(name, LOCATION, LRO);
    } catch (err) {
      if (err.statusCode !== 404) throw err;
    }
  });
  return created;
}

module.exports = { ALL_SECRET_PERMISSIONS, LOCATION, accessPolicy, resourceGroup, vault };
