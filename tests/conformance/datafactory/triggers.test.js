// @azure/arm-datafactory triggers: a ScheduleTrigger's lifecycle (Stopped -> Started ->
// Stopped), the 400 TriggerEnabledCannotUpdate real ADF answers to a PUT or DELETE of a
// started trigger, listing, querying and event subscriptions.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { LRO, uniqueName } = require("../lib/cloud.js");
const { allPages, factoryFixture, waitPipeline } = require("./lib.js");

function scheduleTrigger(pipeline, interval = 15) {
  return {
    properties: {
      type: "ScheduleTrigger",
      description: "conformance",
      recurrence: {
        frequency: "Minute",
        interval,
        // Far in the future: the trigger must not fire while the test runs.
        startTime: new Date("2099-01-01T00:00:00Z"),
        timeZone: "UTC",
      },
      pipelines: [
        {
          pipelineReference: { referenceName: pipeline, type: "PipelineReference" },
          parameters: { greeting: "from trigger" },
        },
      ],
    },
  };
}

// Asserts that `promise` rejects with ADF's TriggerEnabledCannotUpdate.
async function rejectsStarted(promise) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, "TriggerEnabledCannotUpdate");
    assert.match(err.message, /Cannot update enabled Trigger; the trigger needs to be disabled first/);
    return true;
  });
}

test("data factory triggers", async (t) => {
  const fx = await factoryFixture(t);
  const { adf, rg, factory } = fx;
  const pipeline = await waitPipeline(fx, 1);
  const name = uniqueName("tr-");

  await t.test("a new ScheduleTrigger is Stopped and comes back as sent", async () => {
    const created = await adf.triggers.createOrUpdate(rg, factory, name, scheduleTrigger(pipeline));
    assert.equal(created.name, name);
    assert.equal(created.type, "Microsoft.DataFactory/factories/triggers");
    assert.ok(created.etag, "triggers carry an etag");
    assert.equal(created.properties.type, "ScheduleTrigger");
    assert.equal(created.properties.runtimeState, "Stopped");
    assert.equal(created.properties.recurrence.frequency, "Minute");
    assert.equal(created.properties.recurrence.interval, 15);
    assert.equal(created.properties.pipelines[0].pipelineReference.referenceName, pipeline);
    assert.equal(created.properties.pipelines[0].parameters.greeting, "from trigger");
    const got = await adf.triggers.get(rg, factory, name);
    assert.equal(got.properties.runtimeState, "Stopped");
    assert.equal(got.etag, created.etag);
  });

  await t.test("a trigger referencing a missing pipeline is refused", async () => {
    await assert.rejects(
      adf.triggers.createOrUpdate(rg, factory, uniqueName("tr-bad-"), scheduleTrigger("no-such-pipeline")),
      (err) => {
        assert.equal(err.statusCode, 400);
        assert.match(err.message, /no-such-pipeline/);
        return true;
      },
    );
  });

  await t.test("beginStartAndWait starts it", async () => {
    await adf.triggers.beginStartAndWait(rg, factory, name, LRO);
    const got = await adf.triggers.get(rg, factory, name);
    assert.equal(got.properties.runtimeState, "Started");
  });

  await t.test("a started trigger cannot be updated or deleted", async () => {
    await rejectsStarted(adf.triggers.createOrUpdate(rg, factory, name, scheduleTrigger(pipeline, 30)));
    await rejectsStarted(adf.triggers.delete(rg, factory, name));
    const got = await adf.triggers.get(rg, factory, name);
    assert.equal(got.properties.recurrence.interval, 15, "the refused update changed nothing");
    assert.equal(got.properties.runtimeState, "Started");
  });

  await t.test("the pipeline of a trigger cannot be deleted", async () => {
    await assert.rejects(adf.pipelines.delete(rg, factory, pipeline), (err) => {
      assert.equal(err.statusCode, 400);
      assert.match(err.message, new RegExp(`referenced by ${name}`));
      return true;
    });
  });

  await t.test("listByFactory pages through every trigger", async () => {
    const others = [uniqueName("tr-a-"), uniqueName("tr-b-")];
    for (const o of others) await adf.triggers.createOrUpdate(rg, factory, o, scheduleTrigger(pipeline));
    const { items, pages } = await allPages(adf.triggers.listByFactory(rg, factory));
    assert.deepEqual(items.map((i) => i.name).sort(), [name, ...others].sort());
    assert.ok(pages >= 2, `cloudsim pages by 2 in the harness (got ${pages} page(s))`);
    const states = Object.fromEntries(items.map((i) => [i.name, i.properties.runtimeState]));
    assert.equal(states[name], "Started");
    assert.equal(states[others[0]], "Stopped");
    // querytriggers pages with a continuationToken in the body instead of a nextLink.
    const queried = [];
    let token;
    for (let page = 0; page < 10; page++) {
      const res = await adf.triggers.queryByFactory(rg, factory, { continuationToken: token });
      queried.push(...res.value);
      token = res.continuationToken;
      if (!token) break;
    }
    assert.equal(token, undefined, "querytriggers ends within 10 pages");
    assert.deepEqual(queried.map((i) => i.name).sort(), [name, ...others].sort());
    const none = await adf.triggers.queryByFactory(rg, factory, { parentTriggerName: name });
    assert.deepEqual(none.value, [], "only rerun triggers have a parent");
    for (const o of others) await adf.triggers.delete(rg, factory, o);
  });

  await t.test("subscribeToEvents / getEventSubscriptionStatus / unsubscribeFromEvents", async () => {
    const subscribed = await adf.triggers.beginSubscribeToEventsAndWait(rg, factory, name, LRO);
    assert.equal(subscribed.triggerName, name);
    assert.equal(subscribed.status, "Enabled");
    const status = await adf.triggers.getEventSubscriptionStatus(rg, factory, name);
    assert.equal(status.triggerName, name);
    assert.equal(status.status, "Enabled");
    const unsubscribed = await adf.triggers.beginUnsubscribeFromEventsAndWait(rg, factory, name, LRO);
    assert.equal(unsubscribed.status, "Disabled");
    assert.equal((await adf.triggers.getEventSubscriptionStatus(rg, factory, name)).status, "Disabled");
  });

  await t.test("beginStopAndWait stops it; then it can be updated and deleted", async () => {
    await adf.triggers.beginStopAndWait(rg, factory, name, LRO);
    assert.equal((await adf.triggers.get(rg, factory, name)).properties.runtimeState, "Stopped");
    const updated = await adf.triggers.createOrUpdate(rg, factory, name, scheduleTrigger(pipeline, 30));
    assert.equal(updated.properties.recurrence.interval, 30);
    assert.equal(updated.properties.runtimeState, "Stopped", "an update keeps the runtime state");
    await adf.triggers.delete(rg, factory, name);
    await assert.rejects(adf.triggers.get(rg, factory, name), (err) => {
      assert.equal(err.statusCode, 404);
      return true;
    });
  });

  await t.test("starting or stopping a missing trigger is 404", async () => {
    await assert.rejects(adf.triggers.beginStartAndWait(rg, factory, "no-such-trigger", LRO), (err) => {
      assert.equal(err.statusCode, 404);
      return true;
    });
  });
});
