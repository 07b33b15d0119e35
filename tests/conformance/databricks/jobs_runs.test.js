// Jobs API one-time runs through @databricks/sdk-experimental (it calls /api/2.2): submit a
// notebook_task on a new_cluster, life cycle transitions, cancel, get-output, list, and the
// failures a deployment can cause (reference §7). cloudsim runs at --speed 1000, so the
// `# cloudsim: sleep` directive (README "Notebook directives") keeps a run RUNNING long
// enough to observe and cancel it.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { uniqueName } = require("../lib/cloud.js");
const {
  TERMINAL_STATES,
  apiError,
  b64,
  sdkGet,
  sdkSession,
  submitNotebook,
  waitForRunState,
} = require("../lib/databricks.js");

const ORDER = ["QUEUED", "PENDING", "RUNNING", "TERMINATING", "TERMINATED"];

async function importPy(w, path, lines) {
  await w.workspace.import({
    path,
    format: "SOURCE",
    language: "PYTHON",
    content: b64(["# Databricks notebook source", ...lines].join("\n")),
    overwrite: true,
  });
}

// Polls until the run is terminal, recording every life_cycle_state seen on the way.
async function followRun(w, runId) {
  const seen = [];
  const run = await waitForRunState(w, runId, "terminal", (r) => {
    const lc = r.state.life_cycle_state;
    if (seen[seen.length - 1] !== lc) seen.push(lc);
    if (!TERMINAL_STATES.has(lc)) assert.equal(r.state.result_state, undefined, `no result while ${lc}`);
    return TERMINAL_STATES.has(lc);
  });
  const ranks = seen.map((s) => ORDER.indexOf(s));
  assert.ok(ranks.every((r) => r >= 0), `known states: ${seen}`);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `states only move forward: ${seen}`);
  return { run, seen };
}

test("jobs runs through the official SDK", async (t) => {
  const { w } = await sdkSession(t, "rg-dbw-jobs-");
  const dir = `/Shared/${uniqueName("runs-")}`;
  await w.workspace.mkdirs({ path: dir });
  await importPy(w, `${dir}/echo`, [
    'dbutils.widgets.text("greeting", "hello")',
    'dbutils.notebook.exit("echo: " + dbutils.widgets.get("greeting"))',
  ]);
  await importPy(w, `${dir}/slow`, ["# cloudsim: sleep 1h", 'dbutils.notebook.exit("too late")']);
  await importPy(w, `${dir}/boom`, ['raise ValueError("boom")']);
  const ids = {};

  await t.test("submit a notebook_task: PENDING -> RUNNING -> TERMINATED/SUCCESS with its output", async () => {
    const runId = await submitNotebook(w, `${dir}/echo`, { greeting: "sdk" }, { run_name: "conf-echo" });
    ids.echo = runId;
    const { run, seen } = await followRun(w, runId);
    assert.equal(seen[seen.length - 1], "TERMINATED");
    assert.equal(run.state.result_state, "SUCCESS", run.state.state_message);
    assert.equal(run.state.user_cancelled_or_timedout, false);
    assert.equal(run.run_id, runId);
    assert.equal(run.run_name, "conf-echo");
    assert.equal(run.run_type, "SUBMIT_RUN");
    assert.ok(run.start_time > 1e12 && run.end_time >= run.start_time, "epoch ms timestamps");
    assert.match(run.run_page_url, /^https:\/\//);
    assert.equal(run.tasks.length, 1);
    const task = run.tasks[0];
    assert.equal(task.task_key, "main");
    assert.notEqual(task.run_id, runId, "the task has its own run id");
    assert.equal(task.notebook_task.notebook_path, `${dir}/echo`);
    assert.ok(task.new_cluster, "the task keeps its new_cluster");
    assert.equal(task.state.result_state, "SUCCESS");

    const output = await sdkGet(w, "/api/2.2/jobs/runs/get-output", { run_id: task.run_id });
    assert.equal(output.notebook_output.result, "echo: sdk");
    assert.equal(output.notebook_output.truncated, false);
    assert.equal(output.error, undefined);
    assert.equal(output.metadata.run_id, task.run_id);
    assert.equal(output.metadata.state.life_cycle_state, "TERMINATED");
  });

  await t.test("the same idempotency_token gives the same run", async () => {
    const token = uniqueName("idem-");
    const first = await submitNotebook(w, `${dir}/echo`, {}, { idempotency_token: token });
    const second = await submitNotebook(w, `${dir}/echo`, {}, { idempotency_token: token });
    assert.equal(second, first);
    await followRun(w, first);
  });

  await t.test("runs/cancel: a RUNNING run ends TERMINATED/CANCELED", async () => {
    const runId = await submitNotebook(w, `${dir}/slow`, {}, { run_name: "conf-slow" });
    ids.slow = runId;
    const running = await waitForRunState(w, runId, "RUNNING", (r) => r.state.life_cycle_state === "RUNNING");
    assert.equal(running.state.result_state, undefined);
    assert.ok(running.tasks[0].cluster_instance.cluster_id, "a running task has a cluster");

    const active = await sdkGet(w, "/api/2.2/jobs/runs/list", { active_only: true, run_type: "SUBMIT_RUN" });
    assert.deepEqual(
      active.runs.map((r) => r.run_id),
      [runId],
      "active_only lists only the running run",
    );

    await w.jobs.cancelRun({ run_id: runId });
    const { run } = await followRun(w, runId);
    assert.equal(run.state.life_cycle_state, "TERMINATED");
    assert.equal(run.state.result_state, "CANCELED");
    assert.equal(run.state.user_cancelled_or_timedout, true);
    const output = await sdkGet(w, "/api/2.2/jobs/runs/get-output", { run_id: run.tasks[0].run_id });
    assert.equal(output.notebook_output.result, undefined, "a cancelled run has no exit value");

    // Cancelling a finished run changes nothing.
    await w.jobs.cancelRun({ run_id: runId });
    const again = await sdkGet(w, "/api/2.2/jobs/runs/get", { run_id: runId });
    assert.equal(again.state.result_state, "CANCELED");
  });

  await t.test("runs/list shows submitted runs newest first", async () => {
    const listed = [];
    for await (const r of w.jobs.listRuns({})) listed.push(r);
    const runIds = listed.map((r) => r.run_id);
    assert.ok(runIds.includes(ids.echo) && runIds.includes(ids.slow), "both runs are listed");
    assert.ok(runIds.indexOf(ids.slow) < runIds.indexOf(ids.echo), "newest first");
    for (const r of listed) assert.equal(r.run_type, "SUBMIT_RUN");
    const completed = await sdkGet(w, "/api/2.2/jobs/runs/list", { completed_only: true, limit: 1 });
    assert.equal(completed.runs.length, 1);
    assert.equal(completed.has_more, true);
    assert.ok(completed.next_page_token, "a next page token when there is more");
    await assert.rejects(
      sdkGet(w, "/api/2.2/jobs/runs/list", { active_only: true, completed_only: true }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
    );
  });

  await t.test("an exception ends TERMINATED/FAILED with the error in get-output", async () => {
    const runId = await submitNotebook(w, `${dir}/boom`);
    const { run } = await followRun(w, runId);
    assert.equal(run.state.life_cycle_state, "TERMINATED");
    assert.equal(run.state.result_state, "FAILED");
    const output = await sdkGet(w, "/api/2.2/jobs/runs/get-output", { run_id: run.tasks[0].run_id });
    assert.match(output.error, /ValueError: boom/);
    assert.equal(output.notebook_output.result, undefined);
  });

  await t.test("a missing notebook path fails the run with Databricks' message", async () => {
    const path = `${dir}/does_not_exist`;
    const runId = await submitNotebook(w, path);
    const { run } = await followRun(w, runId);
    assert.equal(run.state.life_cycle_state, "TERMINATED");
    assert.equal(run.state.result_state, "FAILED");
    const escaped = path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    assert.match(
      run.state.state_message,
      new RegExp(
        `^Unable to access the notebook "${escaped}"\\. Either it does not exist, or the identity used to run ` +
          "this job, .+, lacks the required permissions\\.$",
      ),
    );
  });

  await t.test("unknown runs are 400 INVALID_PARAMETER_VALUE 'Run <id> does not exist.'", async () => {
    const notFound = apiError(400, "INVALID_PARAMETER_VALUE", /Run 998877665544 does not exist\./);
    await assert.rejects(sdkGet(w, "/api/2.2/jobs/runs/get", { run_id: 998877665544 }), notFound);
    await assert.rejects(sdkGet(w, "/api/2.2/jobs/runs/get-output", { run_id: 998877665544 }), notFound);
    await assert.rejects(w.jobs.cancelRun({ run_id: 998877665544 }), notFound);
  });
});
