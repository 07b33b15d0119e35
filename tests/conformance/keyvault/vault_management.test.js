// @azure/arm-keyvault 5: vault lists and paging, PATCH, access-policy add/replace semantics,
// soft-deleted name reuse, getDeleted and purge. Real-service shapes: reference §5.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { KeyVaultManagementClient } = require("@azure/arm-keyvault");
const { LRO, armClient, endpoints, uniqueName } = require("../lib/cloud.js");
const { LOCATION, accessPolicy, resourceGroup } = require("../lib/fixtures.js");

function vaultBody(ep, extra = {}) {
  return {
    location: LOCATION,
    properties: {
      tenantId: ep.tenant_id,
      sku: { family: "A", name: "standard" },
      accessPolicies: [accessPolicy(ep.object_id, ["get", "list"], ep)],
      softDeleteRetentionInDays: 7,
      ...extra,
    },
  };
}

async function deleteAndPurge(client, rg, name) {
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
}

test("vault lists page (page size 2): listByResourceGroup and the subscription-wide list", async (t) => {
  const ep = endpoints();
  const client = armClient(KeyVaultManagementClient);
  const rg = await resourceGroup(t, "rg-kvl-");
  const names = [];
  for (let i = 0; i < 3; i++) {
    const name = uniqueName(`kv-l${i}-`);
    names.push(name);
    t.after(() => deleteAndPurge(client, rg, name));
    await client.vaults.beginCreateOrUpdateAndWait(rg, name, vaultBody(ep), LRO);
  }

  const seen = [];
  let pages = 0;
  for await (const page of client.vaults.listByResourceGroup(rg).byPage()) {
    pages++;
    assert.ok(page.length <= 2, `page size 2, got ${page.length}`);
    for (const v of page) {
      assert.equal(v.type, "Microsoft.KeyVault/vaults");
      assert.equal(v.properties.tenantId, ep.tenant_id, "group lists carry full vaults");
      seen.push(v.name);
    }
  }
  assert.equal(pages, 2, "3 vaults at 2 a page");
  assert.deepEqual(seen.sort(), [...names].sort());

  // vaults.list() goes through GET /subscriptions/{s}/resources?$filter=resourceType eq
  // 'Microsoft.KeyVault/vaults'&api-version=2015-11-01 (generic resources).
  const all = [];
  for await (const v of client.vaults.list()) {
    assert.equal(v.type, "Microsoft.KeyVault/vaults", "the filter keeps only vaults");
    all.push(v);
  }
  for (const n of names) {
    const v = all.find((x) => x.name === n);
    assert.ok(v, `${n} listed subscription-wide`);
    assert.equal(v.location, LOCATION);
    assert.match(v.id, new RegExp(`/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${n}$`, "i"));
  }
});

test("vaults.update (PATCH) replaces tags and sets flags; other properties stay", async (t) => {
  const ep = endpoints();
  const client = armClient(KeyVaultManagementClient);
  const rg = await resourceGroup(t, "rg-kvu-");
  const name = uniqueName("kv-u-");
  t.after(() => deleteAndPurge(client, rg, name));
  const created = await client.vaults.beginCreateOrUpdateAndWait(
    rg,
    name,
    { ...vaultBody(ep), tags: { a: "1", b: "2" } },
    LRO,
  );
  assert.equal(created.properties.enabledForTemplateDeployment, false);

  const updated = await client.vaults.update(rg, name, {
    tags: { c: "3" },
    properties: { enabledForTemplateDeployment: true },
  });
  assert.deepEqual(updated.tags, { c: "3" }, "PATCH replaces the whole tags map");
  assert.equal(updated.properties.enabledForTemplateDeployment, true);
  assert.equal(updated.properties.vaultUri, created.properties.vaultUri);
  assert.equal(updated.properties.softDeleteRetentionInDays, 7);
  assert.equal(updated.properties.accessPolicies.length, 1, "access policies untouched");

  const got = await client.vaults.get(rg, name);
  assert.deepEqual(got.tags, { c: "3" });
  assert.equal(got.properties.enabledForTemplateDeployment, true);
  assert.equal(got.properties.enabledForDeployment, false);
});

test("access policies: add merges permissions of the same principal, replace overwrites them", async (t) => {
  const ep = endpoints();
  const client = armClient(KeyVaultManagementClient);
  const rg = await resourceGroup(t, "rg-kvp-");
  const name = uniqueName("kv-p-");
  t.after(() => deleteAndPurge(client, rg, name));
  await client.vaults.beginCreateOrUpdateAndWait(rg, name, vaultBody(ep), LRO);
  const other = crypto.randomUUID();
  const policyOf = (v, oid) => v.properties.accessPolicies.filter((p) => p.objectId === oid);

  await client.vaults.updateAccessPolicy(rg, name, "add", {
    properties: { accessPolicies: [accessPolicy(other, ["get"], ep)] },
  });
  const added = await client.vaults.updateAccessPolicy(rg, name, "add", {
    properties: { accessPolicies: [accessPolicy(other, ["list", "set", "get"], ep)] },
  });
  assert.deepEqual(added.properties.accessPolicies.map((p) => p.objectId), [other], "the response echoes the request");
  let got = await client.vaults.get(rg, name);
  assert.equal(policyOf(got, other).length, 1, "one entry per principal");
  assert.deepEqual([...policyOf(got, other)[0].permissions.secrets].sort(), ["get", "list", "set"]);

  await client.vaults.updateAccessPolicy(rg, name, "replace", {
    properties: { accessPolicies: [accessPolicy(other, ["delete"], ep)] },
  });
  got = await client.vaults.get(rg, name);
  assert.equal(policyOf(got, other).length, 1);
  assert.deepEqual(policyOf(got, other)[0].permissions.secrets, ["delete"]);
  assert.deepEqual(policyOf(got, ep.object_id)[0].permissions.secrets, ["get", "list"], "other principals untouched");

  // remove takes the listed permissions away; with none left the entry goes.
  await client.vaults.updateAccessPolicy(rg, name, "remove", {
    properties: { accessPolicies: [accessPolicy(other, ["delete"], ep)] },
  });
  got = await client.vaults.get(rg, name);
  assert.equal(policyOf(got, other).length, 0);
});

test("a soft-deleted vault keeps its name: 409 ConflictError, getDeleted, purge frees the name", async (t) => {
  const ep = endpoints();
  const client = armClient(KeyVaultManagementClient);
  const rg = await resourceGroup(t, "rg-kvd-");
  const name = uniqueName("kv-d-");
  t.after(() => deleteAndPurge(client, rg, name));
  const created = await client.vaults.beginCreateOrUpdateAndWait(rg, name, { ...vaultBody(ep), tags: { x: "y" } }, LRO);
  await client.vaults.delete(rg, name);

  const deleted = await client.vaults.getDeleted(name, LOCATION);
  assert.equal(deleted.name, name);
  assert.equal(deleted.type, "Microsoft.KeyVault/deletedVaults");
  assert.match(
    deleted.id,
    new RegExp(`/subscriptions/${ep.subscription_id}/providers/Microsoft.KeyVault/locations/${LOCATION}/deletedVaults/${name}$`, "i"),
  );
  assert.equal(deleted.properties.vaultId.toLowerCase(), created.id.toLowerCase());
  assert.equal(deleted.properties.location, LOCATION);
  assert.deepEqual(deleted.properties.tags, { x: "y" });
  assert.ok(deleted.properties.deletionDate instanceof Date);
  assert.equal(
    deleted.properties.scheduledPurgeDate.getTime() - deleted.properties.deletionDate.getTime(),
    7 * 86400 * 1000,
    "purge date = deletion + softDeleteRetentionInDays",
  );
  assert.equal(deleted.properties.purgeProtectionEnabled, false);

  // Also from another resource group: vault names are global.
  const rg2 = await resourceGroup(t, "rg-kvd2-");
  for (const group of [rg, rg2]) {
    await assert.rejects(client.vaults.beginCreateOrUpdateAndWait(group, name, vaultBody(ep), LRO), (err) => {
      assert.equal(err.statusCode, 409);
      assert.equal(err.code, "ConflictError");
      assert.match(err.message, /already exists in deleted state/);
      return true;
    });
  }
  const check = await client.vaults.checkNameAvailability({ name, type: "Microsoft.KeyVault/vaults" });
  assert.equal(check.nameAvailable, false);
  assert.equal(check.reason, "AlreadyExists");

  await client.vaults.beginPurgeDeletedAndWait(name, LOCATION, LRO);
  await assert.rejects(client.vaults.getDeleted(name, LOCATION), (err) => {
    assert.equal(err.statusCode, 404);
    return true;
  });
  const again = await client.vaults.beginCreateOrUpdateAndWait(rg2, name, vaultBody(ep), LRO);
  assert.equal(again.properties.provisioningState, "Succeeded", "the purged name is free again");
});
