// Fixtures shared by the Data Factory conformance files: a factory in its own resource
// group and small pipelines built from Wait activities (cloudsim runs them without any
// other service, and their length is what a test needs to observe run states).
"use strict";

const { DataFactoryManagementClient } = require("@azure/arm-datafactory");
const { LOCATION, resourceGroup } = require("../lib/fixtures.js");
const { armClient, uniqueName, waitFor } = require("../lib/cloud.js");

const TERMINAL = new Set(["Succeeded", "Failed", "Cancelled"]);

// A resource group (removed after `t`) holding one factory; returns { adf, rg, factory }.
async function factoryFixture(t, prefix = "adf-") {
  const adf = armClient(DataFactoryManagementClient);
  const rg = await resourceGroup(t, "rg-adf-");
  const factory = uniqueName(prefix);
  await adf.factories.createOrUpdate(rg, factory, { location: LOCATION });
  return { adf, rg, factory };
}

// A pipeline of one Wait activity of `seconds` simulated seconds (run.sh starts cloudsim
// at --speed 1000: 1000 s take one real second), with a String parameter `greeting`.
async function waitPipeline(fx, seconds, name = uniqueName("pl-wait-")) {
  await fx.adf.pipelines.createOrUpdate(fx.rg, fx.factory, name, {
    parameters: { greeting: { type: "String", defaultValue: "hi" } },
    activities: [{ name: "Wait1", type: "Wait", dependsOn: [], waitTimeInSeconds: seconds }],
  });
  return name;
}

async function waitForRunStatus(fx, runId, accept, timeoutMs = 30000) {
  return waitFor(
    `pipeline run ${runId} to reach ${[...accept].join("|")}`,
    async () => {
      const run = await fx.adf.pipelineRuns.get(fx.rg, fx.factory, runId);
      return accept.has(run.status) ? run : null;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

// A lastUpdatedAfter/Before window around now, wide enough for any test here.
function window(minutes = 60) {
  const now = Date.now();
  return {
    lastUpdatedAfter: new Date(now - minutes * 60 * 1000),
    lastUpdatedBefore: new Date(now + minutes * 60 * 1000),
  };
}

// Collects every item of a PagedAsyncIterableIterator, and the number of pages it took.
async function allPages(iterable) {
  const items = [];
  let pages = 0;
  for await (const page of iterable.byPage()) {
    pages += 1;
    items.push(...page);
  }
  return { items, pages };
}

module.exports = { TERMINAL, allPages, factoryFixture, waitForRunStatus, waitPipeline, window };
