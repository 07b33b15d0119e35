// @azure/arm-datafactory pipeline runs: createRun with parameters, pipelineRuns.get through
// Queued/InProgress to Succeeded, queryByFactory (time window, filters, continuationToken),
// cancel, and activityRuns.queryByPipelineRun.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { uniqueName } = require("../lib/cloud.js");
const { TERMINAL, factoryFixture, waitForRunStatus, waitPipeline, window } = require("./lib.js");

// Every run queryByFactory returns for `filter`, following continuationToken (bounded).
async function queryAll(fx, filter) {
  const runs = [];
  let token;
  for (let page = 0; page < 20; page++) {
    const res = await fx.adf.pipelineRuns.queryByFactory(fx.rg, fx.factory, { ...filter, continuationToken: token });
    runs.push(...res.value);
    token = res.continuationToken;
    if (!token) return { runs, pages: page + 1 };
  }
  throw new Error("queryPipelineRuns did not end within 20 pages");
}

test("data factory pipeline runs", async (t) => {
  const fx = await factoryFixture(t);
  const { adf, rg, factory } = fx;
  // 1500 simulated seconds: 1.5 s of real time, long enough to see the run in progress.
  const slow = await waitPipeline(fx, 1500);
  const quick = await waitPipeline(fx, 1);
  const runs = {};

  await t.test("createRun with parameters; the run goes Queued/InProgress -> Succeeded", async () => {
    const before = Date.now();
    const { runId } = await adf.pipelines.createRun(rg, factory, slow, { parameters: { greeting: "hello" } });
    assert.match(runId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    runs.slow = runId;
    const early = await adf.pipelineRuns.get(rg, factory, runId);
    assert.ok(["Queued", "InProgress"].includes(early.status), `fresh run is ${early.status}`);
    assert.equal(early.runEnd, undefined, "no runEnd while running");
    assert.equal(early.durationInMs, undefined, "no durationInMs while running");
    const running = await waitForRunStatus(fx, runId, new Set(["InProgress", ...TERMINAL]));
    assert.equal(running.status, "InProgress");
    assert.ok(running.runStart instanceof Date, "runStart once in progress");
    const run = await waitForRunStatus(fx, runId, TERMINAL);
    assert.equal(run.status, "Succeeded", run.message);
    assert.equal(run.runId, runId);
    assert.equal(run.pipelineName, slow);
    assert.equal(run.parameters.greeting, "hello");
    assert.equal(run.invokedBy.invokedByType, "Manual");
    assert.equal(run.isLatest, true);
    assert.ok(run.runStart instanceof Date && run.runEnd instanceof Date);
    assert.ok(run.runStart.getTime() >= before - 5000, "runStart is now-ish");
    assert.ok(run.runEnd >= run.runStart);
    // cloudsim measures durationInMs on its own clock: 1500 simulated s ≈ 1500 ms at speed 1000.
    assert.ok(run.durationInMs >= 1000, `durationInMs ${run.durationInMs}`);
    assert.ok(run.lastUpdated instanceof Date);
  });

  await t.test("parameters not given take the pipeline's defaults", async () => {
    const { runId } = await adf.pipelines.createRun(rg, factory, quick);
    runs.quick = runId;
    const run = await waitForRunStatus(fx, runId, TERMINAL);
    assert.equal(run.status, "Succeeded");
    assert.equal(run.parameters.greeting, "hi");
  });

  await t.test("a recovery rerun joins the referenced run's group with its parameters", async () => {
    const { runId } = await adf.pipelines.createRun(rg, factory, quick, {
      referencePipelineRunId: runs.quick,
      isRecovery: true,
      parameters: { greeting: "ignored: the referenced run's parameters win" },
    });
    const rerun = await waitForRunStatus(fx, runId, TERMINAL);
    assert.equal(rerun.status, "Succeeded");
    assert.equal(rerun.runGroupId, runs.quick);
    assert.equal(rerun.isLatest, true);
    assert.equal(rerun.parameters.greeting, "hi");
    const original = await adf.pipelineRuns.get(rg, factory, runs.quick);
    assert.equal(original.runGroupId, runs.quick);
    assert.equal(original.isLatest, false);
    runs.rerun = runId;
  });

  await t.test("activityRuns.queryByPipelineRun lists the Wait activity", async () => {
    const res = await adf.activityRuns.queryByPipelineRun(rg, factory, runs.slow, window());
    assert.equal(res.value.length, 1);
    const [act] = res.value;
    assert.equal(act.activityName, "Wait1");
    assert.equal(act.activityType, "Wait");
    assert.equal(act.status, "Succeeded");
    assert.equal(act.pipelineRunId, runs.slow);
    assert.equal(act.pipelineName, slow);
    assert.ok(act.activityRunStart instanceof Date && act.activityRunEnd instanceof Date);
    const filtered = await adf.activityRuns.queryByPipelineRun(rg, factory, runs.slow, {
      ...window(),
      filters: [{ operand: "ActivityType", operator: "Equals", values: ["DatabricksNotebook"] }],
    });
    assert.deepEqual(filtered.value, []);
  });

  await t.test("queryByFactory filters by pipeline name and time window, and pages", async () => {
    const more = [];
    for (let i = 0; i < 3; i++) more.push((await adf.pipelines.createRun(rg, factory, quick)).runId);
    const byName = await queryAll(fx, {
      ...window(),
      filters: [{ operand: "PipelineName", operator: "Equals", values: [quick] }],
    });
    assert.deepEqual(byName.runs.map((r) => r.runId).sort(), [runs.quick, runs.rerun, ...more].sort());
    assert.ok(byName.runs.every((r) => r.pipelineName === quick));
    assert.ok(byName.pages >= 2, `paged by 2 in the harness (${byName.pages} page(s))`);
    const notQuick = await queryAll(fx, {
      ...window(),
      filters: [{ operand: "PipelineName", operator: "NotEquals", values: [quick] }],
    });
    assert.deepEqual(notQuick.runs.map((r) => r.runId), [runs.slow]);
    const newestFirst = await queryAll(fx, {
      ...window(),
      filters: [{ operand: "PipelineName", operator: "Equals", values: [quick] }],
      orderBy: [{ orderBy: "RunStart", order: "DESC" }],
    });
    const starts = newestFirst.runs.map((r) => r.runStart.getTime());
    assert.deepEqual(starts, [...starts].sort((a, b) => b - a), "orderBy RunStart DESC holds across pages");
    const future = new Date(Date.now() + 3600 * 1000);
    const none = await adf.pipelineRuns.queryByFactory(rg, factory, {
      lastUpdatedAfter: future,
      lastUpdatedBefore: new Date(future.getTime() + 1000),
    });
    assert.deepEqual(none.value, []);
    assert.equal(none.continuationToken, undefined);
  });

  await t.test("cancel ends a running run Cancelled, and its activity too", async () => {
    const long = await waitPipeline(fx, 600000);
    const { runId } = await adf.pipelines.createRun(rg, factory, long);
    await waitForRunStatus(fx, runId, new Set(["InProgress"]));
    await adf.pipelineRuns.cancel(rg, factory, runId);
    const run = await waitForRunStatus(fx, runId, TERMINAL);
    assert.equal(run.status, "Cancelled");
    assert.ok(run.runEnd instanceof Date);
    const acts = await adf.activityRuns.queryByPipelineRun(rg, factory, runId, window());
    assert.equal(acts.value.length, 1);
    assert.equal(acts.value[0].status, "Cancelled");
    const cancelled = await queryAll(fx, {
      ...window(),
      filters: [{ operand: "Status", operator: "Equals", values: ["Cancelled"] }],
    });
    assert.deepEqual(cancelled.runs.map((r) => r.runId), [runId]);
  });

  await t.test("an unknown run id is 404; createRun of a missing pipeline is 404", async () => {
    await assert.rejects(adf.pipelineRuns.get(rg, factory, "00000000-0000-0000-0000-000000000000"), (err) => {
      assert.equal(err.statusCode, 404);
      return true;
    });
    await assert.rejects(adf.pipelines.createRun(rg, factory, uniqueName("pl-none-")), (err) => {
      assert.equal(err.statusCode, 404);
      return true;
    });
  });
});
