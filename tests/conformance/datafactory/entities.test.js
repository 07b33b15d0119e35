// @azure/arm-datafactory linked services and datasets: CRUD, paged lists (nextLink),
// the ADF error envelope on 404, and etag preconditions (ifMatch on createOrUpdate,
// ifNoneMatch on get -> 304).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { uniqueName } = require("../lib/cloud.js");
const { allPages, factoryFixture } = require("./lib.js");

function blobLinkedService(account = "conformance") {
  return { properties: { type: "AzureBlobFS", url: `https://${account}.dfs.core.windows.net/` } };
}

function jsonDataset(linkedService, folder = "raw") {
  return {
    properties: {
      type: "Json",
      linkedServiceName: { referenceName: linkedService, type: "LinkedServiceReference" },
      location: { type: "AzureBlobFSLocation", fileSystem: "data", folderPath: folder },
    },
  };
}

// Asserts a RestError with `status` whose body is ARM's {"error":{"code","message"}}.
function errorEnvelope(status, messagePattern) {
  return (err) => {
    assert.equal(err.statusCode, status);
    assert.ok(err.code, "an error code");
    const body = JSON.parse(err.response.bodyAsText);
    assert.equal(typeof body.error.code, "string");
    assert.equal(typeof body.error.message, "string");
    assert.equal(body.error.code, err.code);
    if (messagePattern) assert.match(body.error.message, messagePattern);
    return true;
  };
}

test("data factory linked services and datasets", async (t) => {
  const { adf, rg, factory } = await factoryFixture(t);
  const lsNames = [uniqueName("ls-a-"), uniqueName("ls-b-"), uniqueName("ls-c-")];
  const dsName = uniqueName("ds-");

  await t.test("linked services: create, get, list across pages", async () => {
    for (const [i, name] of lsNames.entries()) {
      const created = await adf.linkedServices.createOrUpdate(rg, factory, name, blobLinkedService(`acct${i}`));
      assert.equal(created.name, name);
      assert.equal(created.type, "Microsoft.DataFactory/factories/linkedservices");
      assert.match(created.id, new RegExp(`/factories/${factory}/linkedservices/${name}$`, "i"));
      assert.equal(created.properties.type, "AzureBlobFS");
      assert.equal(created.properties.url, `https://acct${i}.dfs.core.windows.net/`);
      assert.ok(created.etag);
    }
    const got = await adf.linkedServices.get(rg, factory, lsNames[1]);
    assert.equal(got.properties.url, "https://acct1.dfs.core.windows.net/");
    const { items, pages } = await allPages(adf.linkedServices.listByFactory(rg, factory));
    assert.deepEqual(items.map((i) => i.name).sort(), [...lsNames].sort());
    assert.ok(pages >= 2, `paged by 2 in the harness (${pages} page(s))`);
  });

  await t.test("datasets: create with a linked service reference, get, list, refuse a dangling one", async () => {
    const created = await adf.datasets.createOrUpdate(rg, factory, dsName, jsonDataset(lsNames[0]));
    assert.equal(created.name, dsName);
    assert.equal(created.type, "Microsoft.DataFactory/factories/datasets");
    assert.equal(created.properties.type, "Json");
    assert.equal(created.properties.linkedServiceName.referenceName, lsNames[0]);
    assert.equal(created.properties.location.folderPath, "raw");
    const got = await adf.datasets.get(rg, factory, dsName);
    assert.equal(got.properties.location.fileSystem, "data");
    const { items } = await allPages(adf.datasets.listByFactory(rg, factory));
    assert.deepEqual(items.map((i) => i.name), [dsName]);
    await assert.rejects(
      adf.datasets.createOrUpdate(rg, factory, uniqueName("ds-bad-"), jsonDataset("no-such-ls")),
      errorEnvelope(400, /no-such-ls/),
    );
  });

  await t.test("a missing entity is 404 with the error envelope", async () => {
    await assert.rejects(adf.datasets.get(rg, factory, "no-such-dataset"), errorEnvelope(404, /no-such-dataset/));
    await assert.rejects(
      adf.linkedServices.get(rg, factory, "no-such-ls"),
      errorEnvelope(404, /no-such-ls/),
    );
    await assert.rejects(
      adf.datasets.get(rg, "no-such-factory", dsName),
      errorEnvelope(404, /no-such-factory/),
    );
  });

  await t.test("ifNoneMatch with the current etag is 304: the SDK returns no entity", async () => {
    const current = await adf.datasets.get(rg, factory, dsName);
    const notModified = await adf.datasets.get(rg, factory, dsName, { ifNoneMatch: current.etag });
    assert.equal(notModified.name, undefined, "a 304 carries no body");
    assert.equal(notModified.properties, undefined);
    const stale = await adf.datasets.get(rg, factory, dsName, { ifNoneMatch: "00000000-0000-0000-0000-000000000000" });
    assert.equal(stale.name, dsName, "another etag gets the entity");
    const ls = await adf.linkedServices.get(rg, factory, lsNames[0]);
    const lsNotModified = await adf.linkedServices.get(rg, factory, lsNames[0], { ifNoneMatch: ls.etag });
    assert.equal(lsNotModified.name, undefined);
  });

  await t.test("ifMatch: the current etag updates (new etag), a stale one is 412", async () => {
    const before = await adf.datasets.get(rg, factory, dsName);
    const updated = await adf.datasets.createOrUpdate(rg, factory, dsName, jsonDataset(lsNames[0], "curated"), {
      ifMatch: before.etag,
    });
    assert.equal(updated.properties.location.folderPath, "curated");
    assert.notEqual(updated.etag, before.etag, "every write changes the etag");
    await assert.rejects(
      adf.datasets.createOrUpdate(rg, factory, dsName, jsonDataset(lsNames[0], "lost"), { ifMatch: before.etag }),
      errorEnvelope(412),
    );
    assert.equal((await adf.datasets.get(rg, factory, dsName)).properties.location.folderPath, "curated");
    const any = await adf.datasets.createOrUpdate(rg, factory, dsName, jsonDataset(lsNames[0], "any"), {
      ifMatch: "*",
    });
    assert.equal(any.properties.location.folderPath, "any");
  });

  await t.test("delete: referenced linked service refused, then dataset and linked services go; 404 after", async () => {
    await assert.rejects(
      adf.linkedServices.delete(rg, factory, lsNames[0]),
      errorEnvelope(400, new RegExp(`referenced by ${dsName}`)),
    );
    await adf.datasets.delete(rg, factory, dsName);
    await assert.rejects(adf.datasets.get(rg, factory, dsName), errorEnvelope(404));
    await adf.datasets.delete(rg, factory, dsName); // absent: 204, not an error
    for (const name of lsNames) await adf.linkedServices.delete(rg, factory, name);
    const { items } = await allPages(adf.linkedServices.listByFactory(rg, factory));
    assert.deepEqual(items, []);
  });
});
