// @azure/arm-storage 20: an ADLS Gen2 account (LRO create), keys, blob containers, update.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { ResourceManagementClient } = require("@azure/arm-resources");
const { StorageManagementClient } = require("@azure/arm-storage");
const { LRO, armClient, uniqueName } = require("../lib/cloud.js");

test("ADLS Gen2 account: create (LRO), get, keys, containers, update, delete", async (t) => {
  const rgClient = armClient(ResourceManagementClient);
  const storage = armClient(StorageManagementClient);
  const rg = uniqueName("rg-st-");
  const account = uniqueName("stconf");
  await rgClient.resourceGroups.createOrUpdate(rg, { location: "westeurope" });
  t.after(() => rgClient.resourceGroups.beginDeleteAndWait(rg, LRO));

  // isHnsEnabled alone would be dropped by this SDK's serializer (reference §13), so
  // minimumTlsVersion and accessTier go along with it.
  const created = await storage.storageAccounts.beginCreateAndWait(
    rg,
    account,
    {
      location: "westeurope",
      sku: { name: "Standard_LRS" },
      kind: "StorageV2",
      isHnsEnabled: true,
      minimumTlsVersion: "TLS1_2",
      accessTier: "Hot",
      allowBlobPublicAccess: false,
      tags: { env: "conformance" },
    },
    LRO,
  );
  assert.equal(created.name, account);
  assert.equal(created.type, "Microsoft.Storage/storageAccounts");
  assert.equal(created.kind, "StorageV2");
  assert.equal(created.sku.name, "Standard_LRS");
  assert.equal(created.provisioningState, "Succeeded");
  assert.equal(created.isHnsEnabled, true);
  assert.equal(created.minimumTlsVersion, "TLS1_2");
  assert.equal(created.accessTier, "Hot");
  assert.deepEqual(created.tags, { env: "conformance" });

  const got = await storage.storageAccounts.getProperties(rg, account);
  assert.equal(got.id, created.id);
  assert.equal(got.isHnsEnabled, true);
  assert.match(got.primaryEndpoints.dfs, /^https:\/\/.+\/$/, "dfs endpoint ends with /");
  assert.match(got.primaryEndpoints.blob, /^https:\/\/.+\/$/, "blob endpoint ends with /");

  // Keys: two full keys; regenerating key1 changes key1 only.
  const keys = await storage.storageAccounts.listKeys(rg, account);
  const byName = Object.fromEntries(keys.keys.map((k) => [k.keyName, k]));
  assert.deepEqual(Object.keys(byName).sort(), ["key1", "key2"]);
  assert.equal(byName.key1.permissions, "Full");
  assert.ok(byName.key1.value.length > 0);
  const regenerated = await storage.storageAccounts.regenerateKey(rg, account, { keyName: "key1" });
  const after = Object.fromEntries(regenerated.keys.map((k) => [k.keyName, k.value]));
  assert.notEqual(after.key1, byName.key1.value, "key1 changed");
  assert.equal(after.key2, byName.key2.value, "key2 unchanged");
  const relisted = await storage.storageAccounts.listKeys(rg, account);
  assert.equal(relisted.keys.find((k) => k.keyName === "key1").value, after.key1);

  // Blob containers (management plane).
  const containers = ["raw", "curated", "sandbox"];
  for (const c of containers) {
    const made = await storage.blobContainers.create(rg, account, c, { metadata: { zone: c } });
    assert.equal(made.name, c);
  }
  const container = await storage.blobContainers.get(rg, account, "raw");
  assert.equal(container.name, "raw");
  assert.equal(container.type, "Microsoft.Storage/storageAccounts/blobServices/containers");
  assert.equal(container.publicAccess, "None");
  assert.deepEqual(container.metadata, { zone: "raw" });
  const listed = [];
  for await (const c of storage.blobContainers.list(rg, account)) listed.push(c.name);
  assert.deepEqual(listed.sort(), [...containers].sort());
  await storage.blobContainers.delete(rg, account, "sandbox");
  await assert.rejects(storage.blobContainers.get(rg, account, "sandbox"), (err) => {
    assert.equal(err.statusCode, 404);
    return true;
  });

  // PATCH: access tier.
  const updated = await storage.storageAccounts.update(rg, account, { accessTier: "Cool" });
  assert.equal(updated.accessTier, "Cool");
  assert.equal(updated.isHnsEnabled, true, "PATCH keeps what it does not mention");
  assert.equal((await storage.storageAccounts.getProperties(rg, account)).accessTier, "Cool");

  const inGroup = [];
  for await (const a of storage.storageAccounts.listByResourceGroup(rg)) inGroup.push(a.name);
  assert.deepEqual(inGroup, [account]);

  await storage.storageAccounts.delete(rg, account);
  await assert.rejects(storage.storageAccounts.getProperties(rg, account), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "ResourceNotFound");
    return true;
  });
});

test("an account under a missing resource group is 404 ResourceGroupNotFound", async () => {
  const storage = armClient(StorageManagementClient);
  await assert.rejects(storage.storageAccounts.getProperties(uniqueName("rg-none-"), uniqueName("st")), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "ResourceGroupNotFound");
    return true;
  });
});

test("check name availability reports a taken name", async (t) => {
  const rgClient = armClient(ResourceManagementClient);
  const storage = armClient(StorageManagementClient);
  const rg = uniqueName("rg-stn-");
  const account = uniqueName("sttaken");
  await rgClient.resourceGroups.createOrUpdate(rg, { location: "westeurope" });
  t.after(() => rgClient.resourceGroups.beginDeleteAndWait(rg, LRO));
  const free = await storage.storageAccounts.checkNameAvailability({
    name: account,
    type: "Microsoft.Storage/storageAccounts",
  });
  assert.equal(free.nameAvailable, true);
  await storage.storageAccounts.beginCreateAndWait(
    rg,
    account,
    { location: "westeurope", sku: { name: "Standard_LRS" }, kind: "StorageV2", minimumTlsVersion: "TLS1_2" },
    LRO,
  );
  const taken = await storage.storageAccounts.checkNameAvailability({
    name: account,
    type: "Microsoft.Storage/storageAccounts",
  });
  assert.equal(taken.nameAvailable, false);
  assert.equal(taken.reason, "AlreadyExists");
});
