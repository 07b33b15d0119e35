// @azure/arm-resources: resource group lifecycle, paging and errors.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { ResourceManagementClient } = require("@azure/arm-resources");
const { LRO, armClient, uniqueName } = require("../lib/cloud.js");

test("resource group create, get, tag update, delete; 404 afterwards", async () => {
  const client = armClient(ResourceManagementClient);
  const name = uniqueName("rg-conf-");
  const created = await client.resourceGroups.createOrUpdate(name, {
    location: "westeurope",
    tags: { env: "conformance" },
  });
  assert.equal(created.name, name);
  assert.equal(created.location, "westeurope");
  assert.equal(created.type, "Microsoft.Resources/resourceGroups");
  assert.match(created.id, new RegExp(`/resourceGroups/${name}$`, "i"));
  assert.equal(created.properties.provisioningState, "Succeeded");
  assert.deepEqual(created.tags, { env: "conformance" });

  const got = await client.resourceGroups.get(name);
  assert.equal(got.id, created.id);

  // HEAD: 204 exists.
  const exists = await client.resourceGroups.checkExistence(name);
  assert.equal(exists.body, true);

  // PATCH replaces the whole tags map.
  const updated = await client.resourceGroups.update(name, { tags: { owner: "data" } });
  assert.deepEqual(updated.tags, { owner: "data" });
  assert.deepEqual((await client.resourceGroups.get(name)).tags, { owner: "data" });

  await client.resourceGroups.beginDeleteAndWait(name, LRO);
  await assert.rejects(client.resourceGroups.get(name), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "ResourceGroupNotFound");
    return true;
  });
  const gone = await client.resourceGroups.checkExistence(name);
  assert.equal(gone.body, false);
});

test("a missing resource group is 404 ResourceGroupNotFound naming the group", async () => {
  const client = armClient(ResourceManagementClient);
  const name = uniqueName("rg-missing-");
  await assert.rejects(client.resourceGroups.get(name), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "ResourceGroupNotFound");
    assert.match(err.message, new RegExp(name));
    return true;
  });
});

test("listing resource groups follows nextLink across pages (page size 2)", async () => {
  const client = armClient(ResourceManagementClient);
  const tag = uniqueName("page");
  const names = [];
  for (let i = 0; i < 5; i++) {
    const name = uniqueName(`rg-page${i}-`);
    names.push(name);
    await client.resourceGroups.createOrUpdate(name, { location: "westeurope", tags: { suite: tag } });
  }
  try {
    const seen = [];
    let pages = 0;
    for await (const page of client.resourceGroups.list().byPage()) {
      pages++;
      assert.ok(page.length <= 2, `page size 2, got ${page.length}`);
      seen.push(...page.map((g) => g.name));
    }
    assert.ok(pages >= 3, `at least 3 pages for >= 5 groups, got ${pages}`);
    for (const n of names) assert.ok(seen.includes(n), `${n} listed`);
    assert.equal(new Set(seen).size, seen.length, "no group listed twice");

    // The plain iterator walks the same pages.
    const all = [];
    for await (const g of client.resourceGroups.list()) all.push(g.name);
    assert.deepEqual(all.sort(), [...seen].sort());
  } finally {
    for (const n of names) await client.resourceGroups.beginDeleteAndWait(n, LRO);
  }
});

test("an unknown api-version is InvalidApiVersionParameter", async () => {
  const { ResourceManagementClient: Client } = require("@azure/arm-resources");
  const { endpoints, credential, armOptions } = require("../lib/cloud.js");
  const ep = endpoints();
  const client = new Client(credential(ep), ep.subscription_id, { ...armOptions(ep), apiVersion: "1999-01-01" });
  await assert.rejects(client.resourceGroups.get(uniqueName("rg-")), (err) => {
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, "InvalidApiVersionParameter");
    return true;
  });
});
