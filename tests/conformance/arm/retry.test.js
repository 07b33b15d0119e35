// The Azure SDK's retry policy against cloudsim's injected throttling: a 429 with
// Retry-After is retried after the delay and the call succeeds.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { ResourceManagementClient } = require("@azure/arm-resources");
const { LRO, addFault, armClient, clearFaults, requestLog, stats, uniqueName } = require("../lib/cloud.js");

test("a 429 with Retry-After is retried after the delay and succeeds", async (t) => {
  const client = armClient(ResourceManagementClient);
  const name = uniqueName("rg-retry-");
  await client.resourceGroups.createOrUpdate(name, { location: "westeurope" });
  t.after(async () => {
    await clearFaults();
    await client.resourceGroups.beginDeleteAndWait(name, LRO);
  });

  const before = (await stats()).requests.arm.read;
  await addFault({
    service: "arm",
    operation: `GET /subscriptions/*/resourcegroups/${name}`,
    status: 429,
    retry_after_s: 1,
    count: 1,
  });
  const got = await client.resourceGroups.get(name);
  assert.equal(got.name, name, "the SDK retried and got the group");

  const after = (await stats()).requests.arm.read;
  assert.equal(after - before, 2, "one throttled read and one retried read");

  const mine = (await requestLog()).filter(
    (e) => e.method === "GET" && e.path.toLowerCase().endsWith(`/resourcegroups/${name}`),
  );
  assert.equal(mine.length, 2, `two GETs of the group in the request log, got ${JSON.stringify(mine)}`);
  assert.equal(mine[0].status, 429);
  assert.equal(mine[1].status, 200);
  assert.equal(mine[0].service, "arm");
  const waitedMs = Date.parse(mine[1].time) - Date.parse(mine[0].time);
  assert.ok(waitedMs >= 900, `the retry came after Retry-After (1 s), waited ${waitedMs} ms`);

  // The fault was used up: the next read goes straight through.
  await client.resourceGroups.get(name);
  const final = (await requestLog()).filter(
    (e) => e.method === "GET" && e.path.toLowerCase().endsWith(`/resourcegroups/${name}`),
  );
  assert.equal(final.length, 3);
  assert.equal(final[2].status, 200);
});

test("a fault that never stops throttling makes the SDK give up with the 429", async (t) => {
  const client = armClient(ResourceManagementClient);
  const name = uniqueName("rg-throttled-");
  t.after(clearFaults);
  await addFault({
    service: "arm",
    operation: `GET /subscriptions/*/resourcegroups/${name}`,
    status: 429,
    retry_after_s: 0,
    count: -1,
  });
  const { endpoints, credential, armOptions } = require("../lib/cloud.js");
  const ep = endpoints();
  const limited = new ResourceManagementClient(credential(ep), ep.subscription_id, {
    ...armOptions(ep),
    retryOptions: { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
  });
  await assert.rejects(limited.resourceGroups.get(name), (err) => {
    assert.equal(err.statusCode, 429);
    return true;
  });
  const mine = (await requestLog()).filter((e) => e.path.toLowerCase().endsWith(`/resourcegroups/${name}`));
  assert.equal(mine.length, 3, "the first try and maxRetries=2 retries");
  assert.ok(mine.every((e) => e.status === 429));
});
