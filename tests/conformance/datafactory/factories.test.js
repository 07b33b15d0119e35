// @azure/arm-datafactory factories: list by resource group and subscription (paged),
// update (PATCH tags replace the map), If-None-Match on get, delete and 404 afterwards.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { DataFactoryManagementClient } = require("@azure/arm-datafactory");
const { LOCATION, resourceGroup } = require("../lib/fixtures.js");
const { armClient, uniqueName } = require("../lib/cloud.js");
const { allPages } = require("./lib.js");

test("data factory factories", async (t) => {
  const adf = armClient(DataFactoryManagementClient);
  const rg = await resourceGroup(t, "rg-adf-f-");
  const names = [uniqueName("adf-f1-"), uniqueName("adf-f2-"), uniqueName("adf-f3-")];

  await t.test("create three; listByResourceGroup pages through exactly them", async () => {
    for (const name of names) {
      const f = await adf.factories.createOrUpdate(rg, name, { location: LOCATION, tags: { a: "1", b: "2" } });
      assert.equal(f.name, name);
      assert.equal(f.location, LOCATION);
      assert.deepEqual(f.tags, { a: "1", b: "2" });
      assert.equal(f.provisioningState, "Succeeded");
      assert.equal(f.version, "2018-06-01");
      assert.ok(f.createTime instanceof Date);
    }
    const { items, pages } = await allPages(adf.factories.listByResourceGroup(rg));
    assert.deepEqual(items.map((f) => f.name).sort(), [...names].sort());
    assert.ok(pages >= 2, `paged by 2 in the harness (${pages} page(s))`);
  });

  await t.test("list (subscription) includes them", async () => {
    const { items } = await allPages(adf.factories.list());
    const listed = new Set(items.map((f) => f.id.toLowerCase()));
    for (const name of names) {
      assert.ok([...listed].some((id) => id.endsWith(`/resourcegroups/${rg.toLowerCase()}/providers/microsoft.datafactory/factories/${name}`)));
    }
  });

  await t.test("update replaces the tags and the eTag; createTime stays", async () => {
    const before = await adf.factories.get(rg, names[0]);
    const updated = await adf.factories.update(rg, names[0], { tags: { c: "3" } });
    assert.deepEqual(updated.tags, { c: "3" }, "PATCH tags replace the whole map");
    assert.notEqual(updated.eTag, before.eTag);
    assert.equal(updated.createTime.getTime(), before.createTime.getTime());
    const got = await adf.factories.get(rg, names[0]);
    assert.deepEqual(got.tags, { c: "3" });
  });

  await t.test("get with ifNoneMatch = current eTag is 304 (no body)", async () => {
    const current = await adf.factories.get(rg, names[1]);
    const notModified = await adf.factories.get(rg, names[1], { ifNoneMatch: current.eTag });
    assert.equal(notModified.name, undefined);
    const changed = await adf.factories.get(rg, names[1], { ifNoneMatch: '"0"' });
    assert.equal(changed.name, names[1]);
  });

  await t.test("delete removes the factory and its children; get is then 404 ResourceNotFound", async () => {
    const name = names[2];
    await adf.linkedServices.createOrUpdate(rg, name, "ls", {
      properties: { type: "AzureBlobFS", url: "https://x.dfs.core.windows.net/" },
    });
    await adf.factories.delete(rg, name);
    await assert.rejects(adf.factories.get(rg, name), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, "ResourceNotFound");
      assert.match(err.message, new RegExp(`Microsoft.DataFactory/factories/${name}`));
      return true;
    });
    await assert.rejects(adf.linkedServices.get(rg, name, "ls"), (err) => {
      assert.equal(err.statusCode, 404);
      return true;
    });
    await adf.factories.delete(rg, name); // 204 when absent: not an error
    const { items } = await allPages(adf.factories.listByResourceGroup(rg));
    assert.deepEqual(items.map((f) => f.name).sort(), names.slice(0, 2).sort());
  });

  await t.test("a factory in a missing resource group is 404 ResourceGroupNotFound", async () => {
    await assert.rejects(adf.factories.get(uniqueName("rg-none-"), names[0]), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, "ResourceGroupNotFound");
      return true;
    });
  });
});
