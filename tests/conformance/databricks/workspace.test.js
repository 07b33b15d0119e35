// @databricks/sdk-experimental 0.14 against a workspace created through ARM. Runs with
// --data-plane loopback-443 (run.sh databricks): the SDK drops the port from its host.
//
// The SDK's generated GET methods send no query string (reference appendix), so reads that
// need parameters go through its own apiClient.request with the query attached.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { WorkspaceClient } = require("@databricks/sdk-experimental");
const { endpoints, uniqueName, waitFor } = require("../lib/cloud.js");
const { resourceGroup } = require("../lib/fixtures.js");
const { ECHO_NOTEBOOK, aadToken, workspace } = require("../lib/databricks.js");

const TERMINAL = new Set(["TERMINATED", "SKIPPED", "INTERNAL_ERROR"]);
const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s) => Buffer.from(s, "base64").toString("utf8");

function client(host, token) {
  return new WorkspaceClient({ host, token, authType: "pat" });
}

// GET with its query, through the SDK's own API client.
function get(w, path, query) {
  return w.apiClient.request({
    path,
    method: "GET",
    headers: new Headers({ Accept: "application/json" }),
    raw: false,
    query,
    payload: query,
  });
}

async function waitForRun(w, runId) {
  return waitFor(
    `run ${runId} to terminate`,
    async () => {
      const run = await get(w, "/api/2.2/jobs/runs/get", { run_id: runId });
      return TERMINAL.has(run.state.life_cycle_state) ? run : null;
    },
    { timeoutMs: 90000, intervalMs: 200 },
  );
}

const env = {};

test("databricks workspace APIs through the official SDK", async (t) => {
  const ep = endpoints();
  assert.equal(process.env.CONFORMANCE_DATA_PLANE, "loopback-443", "run through run.sh databricks");
  const rg = await resourceGroup(t, "rg-dbw-");

  await t.test("workspace from ARM answers on port 443; a PAT from the token API", async () => {
    env.ws = await workspace(rg, ep);
    const url = new URL(env.ws.url);
    assert.equal(url.port, "", "workspaceUrl carries no port (443)");
    assert.match(env.ws.workspaceId, /^\d+$/);
    const aad = client(env.ws.url, await aadToken(ep));
    const created = await aad.tokens.create({ lifetime_seconds: 3600, comment: "conformance" });
    assert.match(created.token_value, /^dapi/);
    assert.equal(created.token_info.comment, "conformance");
    env.w = client(env.ws.url, created.token_value);
    for await (const s of env.w.secrets.listScopes()) assert.ok(s.name, "the PAT authenticates");
  });

  await t.test("an invalid PAT is 403 'Invalid access token.'", async () => {
    assert.ok(env.ws, "needs the workspace");
    const bad = client(env.ws.url, "dapi00000000000000000000000000000000");
    await assert.rejects(bad.workspace.mkdirs({ path: "/Shared/x" }), (err) => {
      assert.equal(err.statusCode, 403);
      assert.match(err.message, /Invalid access token/);
      return true;
    });
  });

  await t.test("workspace import, get-status, list, export, delete", async () => {
    assert.ok(env.w, "needs a client");
    const w = env.w;
    const dir = `/Shared/${uniqueName("conf")}`;
    await w.workspace.mkdirs({ path: dir });
    await w.workspace.import({
      path: `${dir}/echo`,
      format: "SOURCE",
      language: "PYTHON",
      content: b64(ECHO_NOTEBOOK),
      overwrite: false,
    });
    await w.workspace.import({
      path: `${dir}/one`,
      format: "SOURCE",
      language: "PYTHON",
      content: b64("print(1)"),
    });
    // Importing over an existing notebook without overwrite: 400 RESOURCE_ALREADY_EXISTS.
    await assert.rejects(
      w.workspace.import({ path: `${dir}/one`, format: "SOURCE", language: "PYTHON", content: b64("print(2)") }),
      (err) => {
        assert.equal(err.errorCode, "RESOURCE_ALREADY_EXISTS");
        assert.equal(err.statusCode, 400);
        return true;
      },
    );
    const status = await get(w, "/api/2.0/workspace/get-status", { path: `${dir}/echo` });
    assert.equal(status.object_type, "NOTEBOOK");
    assert.equal(status.language, "PYTHON");
    assert.equal(status.path, `${dir}/echo`);

    const listed = await get(w, "/api/2.0/workspace/list", { path: dir });
    assert.deepEqual(listed.objects.map((o) => o.path).sort(), [`${dir}/echo`, `${dir}/one`]);

    const exported = await get(w, "/api/2.0/workspace/export", { path: `${dir}/one`, format: "SOURCE" });
    assert.equal(unb64(exported.content), "# Databricks notebook source\nprint(1)");

    // The SDK's own export sends no query: Databricks answers 400 INVALID_PARAMETER_VALUE.
    await assert.rejects(w.workspace.export({ path: `${dir}/one`, format: "SOURCE" }), (err) => {
      assert.equal(err.statusCode, 400);
      assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
      return true;
    });

    await assert.rejects(w.workspace.delete({ path: dir, recursive: false }), (err) => {
      assert.equal(err.errorCode, "DIRECTORY_NOT_EMPTY");
      return true;
    });
    await w.workspace.delete({ path: `${dir}/one` });
    await assert.rejects(get(w, "/api/2.0/workspace/get-status", { path: `${dir}/one` }), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.errorCode, "RESOURCE_DOES_NOT_EXIST");
      return true;
    });
    env.notebook = `${dir}/echo`;
    env.dir = dir;
  });

  await t.test("secret scopes, secrets and ACLs", async () => {
    assert.ok(env.w, "needs a client");
    const w = env.w;
    const scope = uniqueName("conf-scope-");
    await w.secrets.createScope({ scope, initial_manage_principal: "users" });
    await assert.rejects(w.secrets.createScope({ scope }), (err) => {
      assert.equal(err.errorCode, "RESOURCE_ALREADY_EXISTS");
      return true;
    });
    const scopes = [];
    for await (const s of w.secrets.listScopes()) scopes.push(s);
    const mine = scopes.find((s) => s.name === scope);
    assert.ok(mine, "the scope is listed");
    assert.equal(mine.backend_type, "DATABRICKS");

    await w.secrets.putSecret({ scope, key: "db-password", string_value: "s3cr3t-value" });
    await w.secrets.putSecret({ scope, key: "api-key", string_value: "another" });
    const secrets = await get(w, "/api/2.0/secrets/list", { scope });
    assert.deepEqual(secrets.secrets.map((s) => s.key).sort(), ["api-key", "db-password"]);
    for (const s of secrets.secrets) {
      assert.equal(s.value, undefined, "values are never listed");
      assert.ok(s.last_updated_timestamp > 1e12, "epoch milliseconds");
    }

    await w.secrets.putAcl({ scope, principal: "data-eng", permission: "READ" });
    const acls = await get(w, "/api/2.0/secrets/acls/list", { scope });
    assert.ok(acls.items.some((a) => a.principal === "data-eng" && a.permission === "READ"));
    const acl = await get(w, "/api/2.0/secrets/acls/get", { scope, principal: "data-eng" });
    assert.equal(acl.permission, "READ");
    await w.secrets.deleteAcl({ scope, principal: "data-eng" });
    const afterDelete = await get(w, "/api/2.0/secrets/acls/list", { scope });
    assert.ok(!(afterDelete.items || []).some((a) => a.principal === "data-eng"));

    await w.secrets.deleteSecret({ scope, key: "api-key" });
    await w.secrets.deleteScope({ scope });
    await assert.rejects(w.secrets.putSecret({ scope, key: "k", string_value: "v" }), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.errorCode, "RESOURCE_DOES_NOT_EXIST");
      return true;
    });
  });

  await t.test("DBFS put, get-status, read, delete", async () => {
    assert.ok(env.w, "needs a client");
    const w = env.w;
    const path = `/tmp/${uniqueName("conf")}/hello.txt`;
    await w.dbfs.put({ path, contents: b64("hello dbfs"), overwrite: true });
    await assert.rejects(w.dbfs.put({ path, contents: b64("again"), overwrite: false }), (err) => {
      assert.equal(err.errorCode, "RESOURCE_ALREADY_EXISTS");
      return true;
    });
    const info = await get(w, "/api/2.0/dbfs/get-status", { path });
    assert.equal(info.is_dir, false);
    assert.equal(info.file_size, 10);
    const read = await get(w, "/api/2.0/dbfs/read", { path, offset: 0, length: 1024 });
    assert.equal(read.bytes_read, 10);
    assert.equal(unb64(read.data), "hello dbfs");
    const part = await get(w, "/api/2.0/dbfs/read", { path, offset: 6, length: 2 });
    assert.equal(unb64(part.data), "db");
    await w.dbfs.delete({ path });
    await assert.rejects(get(w, "/api/2.0/dbfs/get-status", { path }), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.errorCode, "RESOURCE_DOES_NOT_EXIST");
      return true;
    });
  });

  await t.test("jobs.submit a notebook run: TERMINATED/SUCCESS with its exit value", async () => {
    assert.ok(env.notebook, "needs the imported notebook");
    const w = env.w;
    const waiter = await w.jobs.submit({
      run_name: "conformance-echo",
      tasks: [
        {
          task_key: "main",
          notebook_task: { notebook_path: env.notebook, base_parameters: { greeting: "hi from the sdk" } },
          new_cluster: { spark_version: "13.3.x-scala2.12", node_type_id: "Standard_DS3_v2", num_workers: 1 },
        },
      ],
    });
    assert.ok(Number.isInteger(waiter.run_id), "a numeric run_id");
    const run = await waitForRun(w, waiter.run_id);
    assert.equal(run.state.life_cycle_state, "TERMINATED");
    assert.equal(run.state.result_state, "SUCCESS", `state_message: ${run.state.state_message}`);
    assert.equal(run.run_type, "SUBMIT_RUN");
    assert.equal(run.tasks.length, 1);
    const taskRunId = run.tasks[0].run_id;
    const output = await get(w, "/api/2.2/jobs/runs/get-output", { run_id: taskRunId });
    assert.equal(output.notebook_output.result, "hi from the sdk");
    assert.equal(output.metadata.state.result_state, "SUCCESS");
  });

  await t.test("a notebook that runs a missing child ends TERMINATED/FAILED with the reason", async () => {
    assert.ok(env.dir, "needs the folder");
    const w = env.w;
    const parent = `${env.dir}/parent`;
    await w.workspace.import({
      path: parent,
      format: "SOURCE",
      language: "PYTHON",
      content: b64(
        [
          "# Databricks notebook source",
          'result = dbutils.notebook.run("./no_such_child", 60, {})',
          "dbutils.notebook.exit(result)",
        ].join("\n"),
      ),
    });
    const waiter = await w.jobs.submit({
      run_name: "conformance-missing-child",
      tasks: [
        {
          task_key: "main",
          notebook_task: { notebook_path: parent },
          new_cluster: { spark_version: "13.3.x-scala2.12", node_type_id: "Standard_DS3_v2", num_workers: 1 },
        },
      ],
    });
    const run = await waitForRun(w, waiter.run_id);
    assert.equal(run.state.life_cycle_state, "TERMINATED");
    assert.equal(run.state.result_state, "FAILED");
    const output = await get(w, "/api/2.2/jobs/runs/get-output", { run_id: run.tasks[0].run_id });
    assert.match(output.error, /no_such_child/);
    assert.equal(output.notebook_output.result, undefined, "no exit value");
  });

  await t.test("runs/get of an unknown run is 400 INVALID_PARAMETER_VALUE 'does not exist'", async () => {
    assert.ok(env.w, "needs a client");
    await assert.rejects(get(env.w, "/api/2.2/jobs/runs/get", { run_id: 987654321 }), (err) => {
      assert.equal(err.statusCode, 400);
      assert.match(err.message, /Run 987654321 does not exist/);
      return true;
    });
  });
});
