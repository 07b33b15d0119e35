// @azure/arm-databricks (official, TypeSpec-generated): workspace create (LRO), get, lists,
// tag update (PATCH LRO) and delete. The client is pinned to api-version 2024-05-01, the
// newest stable Microsoft.Databricks version cloudsim's table was checked against
// (cloudsim/README.md); the package's own default is newer. Real-service shapes: the spec
// examples of 2024-05-01 (WorkspaceCreate.json, WorkspaceGet.json, WorkspaceUpdate.json).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { AzureDatabricksManagementClient } = require("@azure/arm-databricks");
const { LRO, armOptions, credential, endpoints, uniqueName } = require("../lib/cloud.js");
const { LOCATION, resourceGroup } = require("../lib/fixtures.js");

const API_VERSION = "2024-05-01";

function databricksClient(ep = endpoints()) {
  return new AzureDatabricksManagementClient(credential(ep), ep.subscription_id, {
    ...armOptions(ep),
    apiVersion: API_VERSION,
  });
}

test("workspace lifecycle: create (LRO), get, list by group and subscription, PATCH tags, delete", async (t) => {
  const ep = endpoints();
  const client = databricksClient(ep);
  const rg = await resourceGroup(t, "rg-dbw-");
  const name = uniqueName("dbw-");
  const managed = `/subscriptions/${ep.subscription_id}/resourceGroups/${name}-managed`;

  const created = await client.workspaces.beginCreateOrUpdateAndWait(
    rg,
    name,
    {
      location: LOCATION,
      sku: { name: "premium" },
      managedResourceGroupId: managed,
      parameters: { enableNoPublicIp: { value: true } },
      tags: { env: "conformance" },
    },
    LRO,
  );
  assert.equal(created.name, name);
  assert.equal(created.type, "Microsoft.Databricks/workspaces");
  assert.match(created.id, new RegExp(`/resourceGroups/${rg}/providers/Microsoft.Databricks/workspaces/${name}$`, "i"));
  assert.equal(created.provisioningState, "Succeeded");
  assert.equal(created.sku.name, "premium");
  assert.equal(created.managedResourceGroupId.toLowerCase(), managed.toLowerCase());
  // A host without a scheme, as in the spec (adb-<id>.<n>.azuredatabricks.net); cloudsim's
  // data plane in this mode is a loopback host:port.
  assert.match(created.workspaceUrl, /^[a-z0-9.-]+(:\d+)?$/i, "a host, no scheme, no path");
  assert.match(created.workspaceId, /^\d+$/);
  assert.ok(created.createdDateTime instanceof Date && !Number.isNaN(created.createdDateTime.getTime()));
  assert.equal(created.parameters.enableNoPublicIp.value, true);
  assert.equal(created.tags.env, "conformance");

  const got = await client.workspaces.get(rg, name);
  assert.equal(got.workspaceUrl, created.workspaceUrl);
  assert.equal(got.workspaceId, created.workspaceId);

  const inGroup = [];
  for await (const w of client.workspaces.listByResourceGroup(rg)) inGroup.push(w.name);
  assert.deepEqual(inGroup, [name]);
  let seen = false;
  for await (const w of client.workspaces.listBySubscription()) seen = seen || w.name === name;
  assert.ok(seen, "listed subscription-wide");

  const updated = await client.workspaces.beginUpdateAndWait(rg, name, { tags: { env: "changed", team: "data" } }, LRO);
  assert.deepEqual(updated.tags, { env: "changed", team: "data" }, "PATCH replaces the tags");
  assert.equal(updated.workspaceUrl, created.workspaceUrl, "the rest stays");

  await client.workspaces.beginDeleteAndWait(rg, name, LRO);
  await assert.rejects(client.workspaces.get(rg, name), (err) => err.statusCode === 404);

  // (cloudsim answers 400 InvalidApiVersionParameter for a version outside its table,
  // so every call above went out with the pinned one.)
});

test("workspace get of a missing workspace is a 404 the SDK surfaces as a RestError", async (t) => {
  const client = databricksClient();
  const rg = await resourceGroup(t, "rg-dbw-");
  await assert.rejects(client.workspaces.get(rg, "dbw-none"), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "ResourceNotFound");
    return true;
  });
});
