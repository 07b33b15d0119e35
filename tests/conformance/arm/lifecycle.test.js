// @azure/arm-resources + @azure/arm-storage + @azure/arm-keyvault: resource group cascade
// delete, location conflicts, storage PATCH, keys and blob container updates. Real-service
// shapes: reference §3, §4 and §5.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { ResourceManagementClient } = require("@azure/arm-resources");
const { StorageManagementClient } = require("@azure/arm-storage");
const { KeyVaultManagementClient } = require("@azure/arm-keyvault");
const { LRO, armClient, endpoints, uniqueName } = require("../lib/cloud.js");

const LOCATION = "westeurope";

async function newGroup(t, prefix) {
  const rgClient = armClient(ResourceManagementClient);
  const rg = uniqueName(prefix);
  await rgClient.resourceGroups.createOrUpdate(rg, { location: LOCATION, tags: { suite: "conformance" } });
  t.after(async () => {
    try {
      await rgClient.resourceGroups.beginDeleteAndWait(rg, LRO);
    } catch (err) {
      if (err.statusCode !== 404) throw err;
    }
  });
  return rg;
}

async function newAccount(storage, rg, extra = {}) {
  const account = uniqueName("stlc");
  const created = await storage.storageAccounts.beginCreateAndWait(
    rg,
    account,
    {
      location: LOCATION,
      sku: { name: "Standard_LRS" },
      kind: "StorageV2",
      minimumTlsVersion: "TLS1_2",
      ...extra,
    },
    LRO,
  );
  return { account, created };
}

test("deleting a resource group deletes what is in it: the account is gone, the vault soft-deleted", async (t) => {
  const ep = endpoints();
  const rgClient = armClient(ResourceManagementClient);
  const storage = armClient(StorageManagementClient);
  const kv = armClient(KeyVaultManagementClient);
  const rg = uniqueName("rg-cas-");
  await rgClient.resourceGroups.createOrUpdate(rg, { location: LOCATION });
  const { account } = await newAccount(storage, rg);
  const vaultName = uniqueName("kv-cas-");
  await kv.vaults.beginCreateOrUpdateAndWait(
    rg,
    vaultName,
    {
      location: LOCATION,
      properties: { tenantId: ep.tenant_id, sku: { family: "A", name: "standard" }, accessPolicies: [] },
    },
    LRO,
  );
  t.after(async () => {
    try {
      await kv.vaults.beginPurgeDeletedAndWait(vaultName, LOCATION, LRO);
    } catch (err) {
      if (err.statusCode !== 404) throw err;
    }
  });
  const inside = [];
  for await (const r of rgClient.resources.listByResourceGroup(rg)) inside.push(r.type);
  assert.deepEqual(inside.sort(), ["Microsoft.KeyVault/vaults", "Microsoft.Storage/storageAccounts"]);

  await rgClient.resourceGroups.beginDeleteAndWait(rg, LRO);

  assert.equal((await rgClient.resourceGroups.checkExistence(rg)).body, false, "HEAD is 404 afterwards");
  await assert.rejects(storage.storageAccounts.getProperties(rg, account), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "ResourceGroupNotFound");
    return true;
  });
  await assert.rejects(kv.vaults.get(rg, vaultName), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "ResourceGroupNotFound");
    return true;
  });
  // The account name is free again; the vault waits in deletedVaults.
  const free = await storage.storageAccounts.checkNameAvailability({ name: account, type: "Microsoft.Storage/storageAccounts" });
  assert.equal(free.nameAvailable, true);
  const deleted = await kv.vaults.getDeleted(vaultName, LOCATION);
  assert.match(deleted.properties.vaultId, new RegExp(`/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${vaultName}$`, "i"));
  // Nothing of the group is listed subscription-wide.
  for await (const r of rgClient.resources.list()) {
    assert.ok(!r.id.toLowerCase().includes(`/resourcegroups/${rg.toLowerCase()}/`), `${r.id} survived its group`);
  }
});

test("resource group: PUT in another location is 409 InvalidResourceGroupLocation; PATCH replaces tags", async (t) => {
  const rgClient = armClient(ResourceManagementClient);
  const rg = await newGroup(t, "rg-loc-");
  assert.equal((await rgClient.resourceGroups.checkExistence(rg)).body, true, "HEAD is 204");
  await assert.rejects(rgClient.resourceGroups.createOrUpdate(rg, { location: "eastus" }), (err) => {
    assert.equal(err.statusCode, 409);
    assert.equal(err.code, "InvalidResourceGroupLocation");
    assert.equal(
      err.message,
      `Invalid resource group location 'eastus'. The Resource group already exists in location '${LOCATION}'.`,
    );
    return true;
  });
  // The same location again is an update (200) that replaces tags.
  const again = await rgClient.resourceGroups.createOrUpdate(rg, { location: LOCATION, tags: { a: "1" } });
  assert.deepEqual(again.tags, { a: "1" });
  const patched = await rgClient.resourceGroups.update(rg, { tags: { b: "2" } });
  assert.deepEqual(patched.tags, { b: "2" });
  assert.equal(patched.location, LOCATION);
  assert.deepEqual((await rgClient.resourceGroups.get(rg)).tags, { b: "2" });
});

test("storage account: PATCH tags and minimumTlsVersion; regenerateKey key2; listKeys $expand=kerb", async (t) => {
  const storage = armClient(StorageManagementClient);
  const rg = await newGroup(t, "rg-stu-");
  const { account, created } = await newAccount(storage, rg, {
    isHnsEnabled: true,
    accessTier: "Hot",
    tags: { a: "1", b: "2" },
  });
  assert.equal(created.isHnsEnabled, true);

  const updated = await storage.storageAccounts.update(rg, account, { tags: { c: "3" }, minimumTlsVersion: "TLS1_3" });
  assert.deepEqual(updated.tags, { c: "3" }, "PATCH replaces the whole tags map");
  assert.equal(updated.minimumTlsVersion, "TLS1_3");
  assert.equal(updated.isHnsEnabled, true, "isHnsEnabled survives a PATCH that does not mention it");
  const got = await storage.storageAccounts.getProperties(rg, account);
  assert.deepEqual(got.tags, { c: "3" });
  assert.equal(got.minimumTlsVersion, "TLS1_3");
  assert.equal(got.isHnsEnabled, true);
  assert.equal(got.accessTier, "Hot");

  const before = await storage.storageAccounts.listKeys(rg, account, { expand: "kerb" });
  const keyMap = (r) => Object.fromEntries(r.keys.map((k) => [k.keyName, k.value]));
  const k0 = keyMap(before);
  assert.ok(k0.key1 && k0.key2, "key1 and key2 listed with $expand=kerb");
  const regenerated = await storage.storageAccounts.regenerateKey(rg, account, { keyName: "key2" });
  const k1 = keyMap(regenerated);
  assert.ok(k1.key1 === k0.key1, "key1 unchanged");
  assert.ok(k1.key2 !== k0.key2, "key2 changed");
  const after = keyMap(await storage.storageAccounts.listKeys(rg, account));
  assert.ok(after.key2 === k1.key2, "the new key2 is what listKeys returns");
  const props = await storage.storageAccounts.getProperties(rg, account);
  assert.ok(props.keyCreationTime.key2 >= props.keyCreationTime.key1, "key2's creation time moved");

  await assert.rejects(storage.storageAccounts.regenerateKey(rg, account, { keyName: "key3" }), (err) => {
    assert.equal(err.statusCode, 400);
    return true;
  });
});

test("blob containers: create, update publicAccess and metadata, list, delete; invalid names are 400", async (t) => {
  const storage = armClient(StorageManagementClient);
  const rg = await newGroup(t, "rg-stc-");
  const { account } = await newAccount(storage, rg);

  const made = await storage.blobContainers.create(rg, account, "landing", { metadata: { zone: "raw" } });
  assert.equal(made.publicAccess, "None");
  assert.deepEqual(made.metadata, { zone: "raw" });
  assert.match(made.etag, /^"0x[0-9A-F]+"$/i);

  // Public access needs the account to allow it first.
  await assert.rejects(storage.blobContainers.update(rg, account, "landing", { publicAccess: "Blob" }), (err) => {
    assert.ok(err.statusCode === 409 || err.statusCode === 400, `got ${err.statusCode}`);
    return true;
  });
  // arm-storage 20.0.0's update serializer checks "AllowBlobPublicAccess" (sic) when deciding
  // whether to send `properties`, so alone the flag would be dropped (like isHnsEnabled on
  // create, reference §13): send minimumTlsVersion with it.
  const allowed = await storage.storageAccounts.update(rg, account, {
    allowBlobPublicAccess: true,
    minimumTlsVersion: "TLS1_2",
  });
  assert.equal(allowed.allowBlobPublicAccess, true);
  const updated = await storage.blobContainers.update(rg, account, "landing", {
    publicAccess: "Blob",
    metadata: { zone: "bronze", owner: "data" },
  });
  assert.equal(updated.publicAccess, "Blob");
  assert.deepEqual(updated.metadata, { zone: "bronze", owner: "data" });
  assert.notEqual(updated.etag, made.etag, "a change moves the etag");
  const got = await storage.blobContainers.get(rg, account, "landing");
  assert.equal(got.publicAccess, "Blob");
  assert.deepEqual(got.metadata, { zone: "bronze", owner: "data" });
  assert.ok(got.lastModifiedTime instanceof Date);

  for (const bad of ["Upper", "a", "bad--hyphen", "-lead", "under_score"]) {
    await assert.rejects(storage.blobContainers.create(rg, account, bad, {}), (err) => {
      assert.equal(err.statusCode, 400, `${bad}: ${err.statusCode}`);
      assert.equal(err.code, "ContainerOperationFailure", bad);
      return true;
    });
  }

  const names = ["c-one", "c-two", "c-three"];
  for (const n of names) await storage.blobContainers.create(rg, account, n, {});
  const listed = [];
  let pages = 0;
  for await (const page of storage.blobContainers.list(rg, account).byPage()) {
    pages++;
    listed.push(...page.map((c) => c.name));
  }
  assert.ok(pages >= 2, "4 containers at page size 2");
  assert.deepEqual(listed.sort(), ["landing", ...names].sort());

  await storage.blobContainers.delete(rg, account, "landing");
  await assert.rejects(storage.blobContainers.get(rg, account, "landing"), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "ContainerNotFound");
    return true;
  });
});
