// Saved jobs (Jobs API 2.2) and permissions through @databricks/sdk-experimental,
// unmodified: create, get, list, reset, update, run-now with depends_on sequencing and job
// parameters, runs get/list/cancel, job permissions get/set/update and permission levels;
// what the workspace enforces on a run: a run-as principal needs CAN_RUN on the notebook
// and READ on a secret scope, and a Spark read of a DBFS path nothing wrote fails the run
// (Spark's PATH_NOT_FOUND) while one a previous task wrote succeeds.
// The SDK's generated GETs send no query string, and its PATCH sends the body as a query
// string (api-client.js sends a body only for POST and PUT), so reads with parameters go
// through sdkGet and the PATCH of permissions/update through plain fetch as well.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { uniqueName } = require("../lib/cloud.js");
const { TERMINAL_STATES, apiError, b64, sdkGet, sdkSession, waitForRunState, workspaceApi } = require("../lib/databricks.js");

const NEW_CLUSTER = { spark_version: "13.3.x-scala2.12", node_type_id: "Standard_DS3_v2", num_workers: 1 };

async function importPy(w, path, lines) {
  await w.workspace.import({
    path,
    format: "SOURCE",
    language: "PYTHON",
    content: b64(["# Databricks notebook source", ...lines].join("\n")),
    overwrite: true,
  });
}

const getJob = (w, id) => sdkGet(w, "/api/2.2/jobs/get", { job_id: id });
const getRun = (w, id) => sdkGet(w, "/api/2.2/jobs/runs/get", { run_id: id });
const finished = (w, id) => waitForRunState(w, id, "terminal", (r) => TERMINAL_STATES.has(r.state.life_cycle_state));

test("jobs and permissions through the official SDK", async (t) => {
  const { w, ws, pat } = await sdkSession(t, "rg-dbw-jobsapi-");
  const dir = `/Shared/${uniqueName("jobs-")}`;
  const data = `dbfs:/tmp/${uniqueName("jobdata-")}`;
  await w.workspace.mkdirs({ path: dir });
  await importPy(w, `${dir}/prepare`, [
    'dbutils.widgets.text("data_path", "")',
    'data_path = dbutils.widgets.get("data_path")',
    'df = spark.read.option("header", True).csv("/databricks-datasets/bikeSharing/data-001/hour.csv")',
    'df.write.mode("overwrite").parquet(f"{data_path}/train")',
    'dbutils.notebook.exit("prepared " + dbutils.widgets.get("greeting"))',
  ]);
  await importPy(w, `${dir}/train`, [
    'dbutils.widgets.text("data_path", "")',
    'data_path = dbutils.widgets.get("data_path")',
    'model = fit(spark.read.parquet(f"{data_path}/train"))',
    'dbutils.notebook.exit("trained")',
  ]);
  await importPy(w, `${dir}/slow`, ["# cloudsim: sleep 1h", 'dbutils.notebook.exit("late")']);
  await importPy(w, `${dir}/secret`, ['v = dbutils.secrets.get("conf-scope", "k")', 'dbutils.notebook.exit("read")']);
  const settings = {
    name: uniqueName("conf-job-"),
    tasks: [
      {
        task_key: "prepare",
        notebook_task: { notebook_path: `${dir}/prepare`, base_parameters: { data_path: data } },
        job_cluster_key: "main",
      },
      {
        task_key: "train",
        depends_on: [{ task_key: "prepare" }],
        notebook_task: { notebook_path: `${dir}/train`, base_parameters: { data_path: data } },
        job_cluster_key: "main",
      },
    ],
    job_clusters: [{ job_cluster_key: "main", new_cluster: NEW_CLUSTER }],
    schedule: { quartz_cron_expression: "0 0 3 * * ?", timezone_id: "Europe/Amsterdam", pause_status: "PAUSED" },
    parameters: [{ name: "greeting", default: "hello" }],
    email_notifications: { on_failure: ["team@example.com"] },
    tags: { project: "conformance" },
    max_concurrent_runs: 1,
  };
  const ids = {};

  await t.test("create and get: settings come back with the server's defaults", async () => {
    const created = await w.jobs.create(settings);
    assert.ok(Number.isInteger(created.job_id));
    ids.job = created.job_id;
    const job = await getJob(w, ids.job);
    assert.equal(job.job_id, ids.job);
    assert.ok(job.creator_user_name);
    assert.ok(job.created_time > 1e12);
    const s = job.settings;
    assert.equal(s.name, settings.name);
    assert.equal(s.format, "MULTI_TASK");
    assert.equal(s.timeout_seconds, 0);
    assert.equal(s.max_concurrent_runs, 1);
    assert.deepEqual(s.schedule, settings.schedule);
    assert.deepEqual(s.tags, settings.tags);
    assert.deepEqual(s.email_notifications, settings.email_notifications);
    assert.deepEqual(s.parameters, settings.parameters);
    assert.deepEqual(s.tasks.map((x) => x.task_key), ["prepare", "train"]);
    assert.equal(s.tasks[1].run_if, "ALL_SUCCESS");
    assert.equal(s.tasks[0].notebook_task.source, "WORKSPACE");
    assert.deepEqual(s.job_clusters, settings.job_clusters);

    await assert.rejects(
      getJob(w, 987654321),
      apiError(400, "INVALID_PARAMETER_VALUE", /Job 987654321 does not exist/),
    );
    await assert.rejects(
      w.jobs.create({ ...settings, tasks: [{ ...settings.tasks[1], depends_on: [{ task_key: "nope" }] }] }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
      "depends_on must name a task",
    );
    await assert.rejects(
      w.jobs.create({ ...settings, schedule: { quartz_cron_expression: "0 3 * * *", timezone_id: "UTC" } }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
      "a five-field cron is not Quartz",
    );
  });

  await t.test("list pages with has_more and next_page_token", async () => {
    const second = await w.jobs.create({ ...settings, name: uniqueName("conf-job2-") });
    ids.second = second.job_id;
    const listed = [];
    for await (const j of w.jobs.list({})) listed.push(j.job_id);
    assert.ok(listed.includes(ids.job) && listed.includes(ids.second));
    const page = await sdkGet(w, "/api/2.2/jobs/list", { limit: 1 });
    assert.equal(page.jobs.length, 1);
    assert.equal(page.has_more, true);
    assert.ok(page.next_page_token);
    assert.equal(page.jobs[0].settings.tasks, undefined, "tasks only with expand_tasks");
    const next = await sdkGet(w, "/api/2.2/jobs/list", { limit: 1, page_token: page.next_page_token });
    assert.notEqual(next.jobs[0].job_id, page.jobs[0].job_id);
    const named = await sdkGet(w, "/api/2.2/jobs/list", { name: settings.name, expand_tasks: true });
    assert.deepEqual(named.jobs.map((j) => j.job_id), [ids.job]);
    assert.equal(named.jobs[0].settings.tasks.length, 2);
    // The name filter is exact but case-insensitive; an expanded entry carries the settings
    // jobs/get returns (what envctl's change poll hashes).
    const upper = await sdkGet(w, "/api/2.2/jobs/list", { name: settings.name.toUpperCase(), expand_tasks: true });
    assert.deepEqual(upper.jobs.map((j) => j.job_id), [ids.job]);
    assert.deepEqual(upper.jobs[0].settings, (await getJob(w, ids.job)).settings);
    const none = await sdkGet(w, "/api/2.2/jobs/list", { name: settings.name.slice(0, -1) });
    assert.equal(none.jobs, undefined, "no prefix match; jobs is left out when empty");
  });

  await t.test("reset replaces the settings; update merges and removes fields", async () => {
    const reset = { ...settings, max_concurrent_runs: 3, schedule: { ...settings.schedule, pause_status: "UNPAUSED" } };
    await w.jobs.reset({ job_id: ids.second, new_settings: reset });
    let job = await getJob(w, ids.second);
    assert.equal(job.settings.max_concurrent_runs, 3);
    assert.equal(job.settings.schedule.pause_status, "UNPAUSED");
    assert.equal(job.settings.name, settings.name, "reset replaces the name too");

    await w.jobs.update({
      job_id: ids.second,
      new_settings: { max_concurrent_runs: 2, tasks: [{ ...settings.tasks[1], timeout_seconds: 600 }] },
      fields_to_remove: ["tags"],
    });
    job = await getJob(w, ids.second);
    assert.equal(job.settings.max_concurrent_runs, 2);
    assert.equal(job.settings.tags, undefined);
    assert.equal(job.settings.tasks.length, 2, "tasks merge by key");
    assert.equal(job.settings.tasks.find((x) => x.task_key === "train").timeout_seconds, 600);
    await w.jobs.delete({ job_id: ids.second });
    await assert.rejects(getJob(w, ids.second), apiError(400, "INVALID_PARAMETER_VALUE"));
  });

  await t.test("run-now: train waits for prepare, reads what prepare wrote, job parameters reach widgets", async () => {
    const waiter = await w.jobs.runNow({ job_id: ids.job, job_parameters: { greeting: "sdk" } });
    ids.run = waiter.run_id;
    let sawBlocked = false;
    const run = await waitForRunState(w, ids.run, "terminal", (r) => {
      const train = r.tasks.find((x) => x.task_key === "train");
      const prepare = r.tasks.find((x) => x.task_key === "prepare");
      if (train.state.life_cycle_state === "BLOCKED") sawBlocked = true;
      if (train.state.life_cycle_state === "RUNNING") {
        assert.equal(prepare.state.life_cycle_state, "TERMINATED", "train starts after prepare ended");
      }
      return TERMINAL_STATES.has(r.state.life_cycle_state);
    });
    assert.equal(run.state.result_state, "SUCCESS", run.state.state_message);
    assert.equal(run.run_type, "JOB_RUN");
    assert.equal(run.job_id, ids.job);
    assert.deepEqual(run.job_parameters, [{ name: "greeting", default: "hello", value: "sdk" }]);
    const prepare = run.tasks.find((x) => x.task_key === "prepare");
    const train = run.tasks.find((x) => x.task_key === "train");
    assert.ok(train.start_time >= prepare.end_time, "train started after prepare ended");
    assert.ok(sawBlocked || train.start_time > prepare.start_time);
    const output = await sdkGet(w, "/api/2.2/jobs/runs/get-output", { run_id: prepare.run_id });
    assert.equal(output.notebook_output.result, "prepared sdk");
    // What prepare wrote is in DBFS, as a Spark write leaves it.
    const written = await sdkGet(w, "/api/2.0/dbfs/get-status", { path: `${data}/train` });
    assert.equal(written.is_dir, true);

    const runs = await sdkGet(w, "/api/2.2/jobs/runs/list", { job_id: ids.job });
    assert.deepEqual(runs.runs.map((r) => r.run_id), [ids.run]);
  });

  await t.test("a Spark read of a DBFS path nothing wrote fails the run with PATH_NOT_FOUND", async () => {
    const missing = `dbfs:/tmp/${uniqueName("never-written-")}`;
    const job = await w.jobs.create({
      name: uniqueName("conf-reader-"),
      tasks: [
        {
          task_key: "train",
          notebook_task: { notebook_path: `${dir}/train`, base_parameters: { data_path: missing } },
          new_cluster: NEW_CLUSTER,
        },
      ],
    });
    const run = await finished(w, (await w.jobs.runNow({ job_id: job.job_id })).run_id);
    assert.equal(run.state.result_state, "FAILED");
    const output = await sdkGet(w, "/api/2.2/jobs/runs/get-output", { run_id: run.tasks[0].run_id });
    assert.equal(output.error, `AnalysisException: [PATH_NOT_FOUND] Path does not exist: ${missing}/train.`);
  });

  await t.test("runs/cancel of a job run cancels the running task and the one waiting for it", async () => {
    const job = await w.jobs.create({
      name: uniqueName("conf-slow-"),
      tasks: [
        { task_key: "slow", notebook_task: { notebook_path: `${dir}/slow` }, new_cluster: NEW_CLUSTER },
        {
          task_key: "after",
          depends_on: [{ task_key: "slow" }],
          notebook_task: { notebook_path: `${dir}/slow` },
          new_cluster: NEW_CLUSTER,
        },
      ],
    });
    const runId = (await w.jobs.runNow({ job_id: job.job_id })).run_id;
    await waitForRunState(w, runId, "RUNNING", (r) => r.state.life_cycle_state === "RUNNING");
    const active = await sdkGet(w, "/api/2.2/jobs/runs/list", { job_id: job.job_id, active_only: true });
    assert.deepEqual(active.runs.map((r) => r.run_id), [runId]);
    await w.jobs.cancelRun({ run_id: runId });
    const run = await finished(w, runId);
    assert.equal(run.state.result_state, "CANCELED");
    assert.equal(run.tasks.find((x) => x.task_key === "slow").state.result_state, "CANCELED");
    const after = run.tasks.find((x) => x.task_key === "after");
    assert.equal(after.state.result_state, "CANCELED");
    assert.equal(after.cluster_instance, undefined, "it never started");
  });

  await t.test("job permissions: get shows the owner, set replaces, update adds, levels are checked", async () => {
    const levels = await w.jobs.getPermissionLevels({ job_id: String(ids.job) });
    assert.deepEqual(
      levels.permission_levels.map((l) => l.permission_level).sort(),
      ["CAN_MANAGE", "CAN_MANAGE_RUN", "CAN_VIEW", "IS_OWNER"],
    );
    const acl = await w.jobs.getPermissions({ job_id: String(ids.job) });
    assert.equal(acl.object_id, `/jobs/${ids.job}`);
    assert.equal(acl.object_type, "job");
    const owner = acl.access_control_list.find((e) => e.all_permissions.some((p) => p.permission_level === "IS_OWNER"));
    assert.ok(owner && owner.user_name, "the creator owns the job");

    await w.jobs.setPermissions({
      job_id: String(ids.job),
      access_control_list: [{ group_name: "data-engineers", permission_level: "CAN_MANAGE_RUN" }],
    });
    let after = await w.jobs.getPermissions({ job_id: String(ids.job) });
    const group = after.access_control_list.find((e) => e.group_name === "data-engineers");
    assert.deepEqual(group.all_permissions, [{ permission_level: "CAN_MANAGE_RUN", inherited: false }]);
    assert.ok(after.access_control_list.some((e) => e.user_name === owner.user_name), "set keeps the owner");

    // The SDK's own PATCH carries no body, so the workspace sees no access_control_list.
    await assert.rejects(
      w.jobs.updatePermissions({
        job_id: String(ids.job),
        access_control_list: [{ user_name: "analyst@example.com", permission_level: "CAN_VIEW" }],
      }),
      apiError(400, "INVALID_PARAMETER_VALUE", /access_control_list/),
    );
    await workspaceApi(ws.url, pat, "PATCH", `/api/2.0/permissions/jobs/${ids.job}`, {
      access_control_list: [{ user_name: "analyst@example.com", permission_level: "CAN_VIEW" }],
    });
    after = await w.permissions.get({ request_object_type: "jobs", request_object_id: String(ids.job) });
    assert.ok(after.access_control_list.some((e) => e.user_name === "analyst@example.com"));
    assert.ok(after.access_control_list.some((e) => e.group_name === "data-engineers"), "update keeps the others");

    await assert.rejects(
      w.jobs.setPermissions({
        job_id: String(ids.job),
        access_control_list: [{ group_name: "data-engineers", permission_level: "CAN_ATTACH_TO" }],
      }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
    );
  });

  await t.test("a run-as principal needs CAN_RUN on the notebook and READ on the secret scope", async () => {
    const runAs = "etl-bot@example.com";
    await w.secrets.createScope({ scope: "conf-scope" });
    await w.secrets.putSecret({ scope: "conf-scope", key: "k", string_value: "s3cr3t" });
    const job = await w.jobs.create({
      name: uniqueName("conf-runas-"),
      run_as: { user_name: runAs },
      tasks: [{ task_key: "main", notebook_task: { notebook_path: `${dir}/secret` }, new_cluster: NEW_CLUSTER }],
    });
    await assert.rejects(w.jobs.runNow({ job_id: job.job_id }), apiError(403, "PERMISSION_DENIED"));

    const status = await sdkGet(w, "/api/2.0/workspace/get-status", { path: dir });
    await w.permissions.set({
      request_object_type: "directories",
      request_object_id: String(status.object_id),
      access_control_list: [{ user_name: runAs, permission_level: "CAN_RUN" }],
    });
    const denied = await finished(w, (await w.jobs.runNow({ job_id: job.job_id })).run_id);
    assert.equal(denied.state.result_state, "FAILED");
    const output = await sdkGet(w, "/api/2.2/jobs/runs/get-output", { run_id: denied.tasks[0].run_id });
    assert.match(output.error, /PERMISSION_DENIED: User etl-bot@example\.com does not have READ permission on scope conf-scope/);
    assert.doesNotMatch(output.error, /s3cr3t/);

    await w.secrets.putAcl({ scope: "conf-scope", principal: runAs, permission: "READ" });
    const allowed = await finished(w, (await w.jobs.runNow({ job_id: job.job_id })).run_id);
    assert.equal(allowed.state.result_state, "SUCCESS", allowed.state.state_message);
  });
});
