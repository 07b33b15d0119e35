// @azure/arm-keyvault 5: vault lifecycle, access policies and soft delete.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { KeyVaultManagementClient } = require("@azure/arm-keyvault");
const { LRO, armClient, endpoints, uniqueName } = require("../lib/cloud.js");
const { LOCATION, accessPolicy, resourceGroup } = require("../lib/fixtures.js");

function policyFor(vault, objectId) {
  return vault.properties.accessPolicies.find((p) => p.objectId === objectId);
}

test("vault: create with access policies, add/remove a policy, delete, list deleted, purge", async (t) => {
  const ep = endpoints();
  const client = armClient(KeyVaultManagementClient);
  const rg = await resourceGroup(t, "rg-kv-");
  const name = uniqueName("kv-conf-");
  const other = crypto.randomUUID();

  const created = await client.vaults.beginCreateOrUpdateAndWait(
    rg,
    name,
    {
      location: LOCATION,
      tags: { env: "conformance" },
      properties: {
        tenantId: ep.tenant_id,
        sku: { family: "A", name: "standard" },
        accessPolicies: [accessPolicy(ep.object_id, ["get", "list", "set"], ep)],
        enableSoftDelete: true,
        softDeleteRetentionInDays: 7,
      },
    },
    LRO,
  );
  assert.equal(created.name, name);
  assert.equal(created.type, "Microsoft.KeyVault/vaults");
  assert.equal(created.location, LOCATION);
  assert.equal(created.properties.tenantId, ep.tenant_id);
  assert.equal(created.properties.sku.name, "standard");
  assert.match(created.properties.vaultUri, /^https:\/\//);
  assert.equal(created.properties.provisioningState, "Succeeded");
  assert.deepEqual(policyFor(created, ep.object_id).permissions.secrets, ["get", "list", "set"]);

  // add: a second principal appears; the first keeps its permissions.
  const added = await client.vaults.updateAccessPolicy(rg, name, "add", {
    properties: { accessPolicies: [accessPolicy(other, ["get"], ep)] },
  });
  assert.ok(added.properties.accessPolicies.some((p) => p.objectId === other));
  let got = await client.vaults.get(rg, name);
  assert.deepEqual(policyFor(got, other).permissions.secrets, ["get"]);
  assert.deepEqual(policyFor(got, ep.object_id).permissions.secrets, ["get", "list", "set"]);

  // remove: that principal's entry goes away.
  await client.vaults.updateAccessPolicy(rg, name, "remove", {
    properties: { accessPolicies: [accessPolicy(other, ["get"], ep)] },
  });
  got = await client.vaults.get(rg, name);
  assert.equal(policyFor(got, other), undefined, "the removed policy is gone");
  assert.ok(policyFor(got, ep.object_id), "the client's policy stays");

  const inGroup = [];
  for await (const v of client.vaults.listByResourceGroup(rg)) inGroup.push(v.name);
  assert.deepEqual(inGroup, [name]);

  // Soft delete: the vault is gone from its group and shows up as deleted.
  await client.vaults.delete(rg, name);
  await assert.rejects(client.vaults.get(rg, name), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "ResourceNotFound");
    return true;
  });
  const deleted = [];
  for await (const d of client.vaults.listDeleted()) deleted.push(d);
  const mine = deleted.find((d) => d.name === name);
  assert.ok(mine, `${name} is listed in deletedVaults`);
  assert.equal(mine.type, "Microsoft.KeyVault/deletedVaults");
  assert.match(mine.properties.vaultId, new RegExp(`/vaults/${name}$`, "i"));
  assert.equal(mine.properties.location, LOCATION);
  assert.ok(mine.properties.deletionDate instanceof Date || typeof mine.properties.deletionDate === "string");
  const one = await client.vaults.getDeleted(name, LOCATION);
  assert.equal(one.name, name);

  // The name stays reserved while the vault is soft-deleted.
  await assert.rejects(
    client.vaults.beginCreateOrUpdateAndWait(
      rg,
      name,
      {
        location: LOCATION,
        properties: { tenantId: ep.tenant_id, sku: { family: "A", name: "standard" }, accessPolicies: [] },
      },
      LRO,
    ),
    (err) => {
      assert.equal(err.statusCode, 409);
      assert.match(err.code, /^(ConflictError|VaultAlreadyExists)$/);
      return true;
    },
  );

  await client.vaults.beginPurgeDeletedAndWait(name, LOCATION, LRO);
  await assert.rejects(client.vaults.getDeleted(name, LOCATION), (err) => {
    assert.equal(err.statusCode, 404);
    return true;
  });
  const afterPurge = [];
  for await (const d of client.vaults.listDeleted()) afterPurge.push(d.name);
  assert.ok(!afterPurge.includes(name), "purged vault no longer listed");
});

test("vault name availability", async () => {
  const client = armClient(KeyVaultManagementClient);
  const result = await client.vaults.checkNameAvailability({
    name: uniqueName("kv-free-"),
    type: "Microsoft.KeyVault/vaults",
  });
  assert.equal(result.nameAvailable, true);
});
