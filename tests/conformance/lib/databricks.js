// Databricks workspace fixtures: the workspace is created through ARM (generic resources
// API of @azure/arm-resources, api-version 2023-02-01) and its URL read from
// properties.workspaceUrl, as in Azure. `workspaceApi` is a minimal REST caller for tests
// whose subject is another SDK (Data Factory); the Databricks SDK tests use the SDK.
"use strict";

const { ResourceManagementClient } = require("@azure/arm-resources");
const assert = require("node:assert/strict");
const { DATABRICKS_SCOPE, LRO, armClient, endpoints, token, uniqueName, waitFor } = require("./cloud.js");
const { LOCATION, resourceGroup } = require("./fixtures.js");
const { WorkspaceClient } = require("@databricks/sdk-experimental");

const WORKSPACE_API_VERSION = "2023-02-01";

// Creates a premium workspace in `rg` (LRO) and returns {id, name, url, workspaceId};
// it goes away with the resource group.
async function workspace(rg, ep = endpoints()) {
  const client = armClient(ResourceManagementClient, ep);
  const name = uniqueName("dbw-conf-");
  const id = `/subscriptions/${ep.subscription_id}/resourceGroups/${rg}/providers/Microsoft.Databricks/workspaces/${name}`;
  await client.resources.beginCreateOrUpdateByIdAndWait(
    id,
    WORKSPACE_API_VERSION,
    {
      location: LOCATION,
      sku: { name: "premium" },
      properties: {
        managedResourceGroupId: `/subscriptions/${ep.subscription_id}/resourceGroups/databricks-rg-${name}`,
      },
    },
    LRO,
  );
  const got = await client.resources.getById(id, WORKSPACE_API_VERSION);
  const props = got.properties || {};
  if (props.provisioningState !== "Succeeded" || !props.workspaceUrl) {
    throw new Error(`workspace ${name} not ready: ${JSON.stringify(props)}`);
  }
  return { id, name, url: `https://${props.workspaceUrl}`, workspaceId: props.workspaceId, props };
}

// Calls the workspace REST API with `bearer` (an Entra ID token or a PAT); throws with
// the status and Databricks error body on failure.
async function workspaceApi(url, bearer, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    const err = new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
    err.status = res.status;
    throw err;
  }
  return text ? JSON.parse(text) : {};
}

const aadToken = (ep = endpoints()) => token(DATABRICKS_SCOPE, ep);

// Imports a Python SOURCE notebook (creating its folder).
async function importNotebook(url, bearer, path, source) {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await workspaceApi(url, bearer, "POST", "/api/2.0/workspace/mkdirs", { path: dir });
  await workspaceApi(url, bearer, "POST", "/api/2.0/workspace/import", {
    path,
    format: "SOURCE",
    language: "PYTHON",
    content: Buffer.from(source, "utf8").toString("base64"),
    overwrite: true,
  });
}

// Creates a PAT through the token API (authenticated with the Entra ID token).
async function createPat(url, bearer, comment = "conformance") {
  const created = await workspaceApi(url, bearer, "POST", "/api/2.0/token/create", {
    lifetime_seconds: 3600,
    comment,
  });
  return created.token_value;
}

// A notebook that echoes its `greeting` widget as the exit value.
const ECHO_NOTEBOOK = [
  "# Databricks notebook source",
  'dbutils.widgets.text("greeting", "hello")',
  "",
  "# COMMAND ----------",
  "",
  'greeting = dbutils.widgets.get("greeting")',
  "dbutils.notebook.exit(greeting)",
].join("\n");

// --- through the official SDK (@databricks/sdk-experimental) ---

// A WorkspaceClient for `host` authenticated with a PAT (or any bearer the workspace takes).
function sdkClient(host, bearer) {
  return new WorkspaceClient({ host, token: bearer, authType: "pat" });
}

// GET with its query through the SDK's own API client: the SDK's generated GET methods
// send no query string (reference appendix), so reads that need parameters go this way.
function sdkGet(w, path, query) {
  return w.apiClient.request({
    path,
    method: "GET",
    headers: new Headers({ Accept: "application/json" }),
    raw: false,
    query,
    payload: query,
  });
}

// One cheap fixture per test file: a resource group (removed after `t`), a workspace in it,
// a PAT created with the Entra ID token, and an SDK client on that PAT.
// Returns {ws, pat, w, aad} where `aad` is an SDK client on the Entra ID token.
async function sdkSession(t, prefix = "rg-dbw-") {
  const ep = endpoints();
  const rg = await resourceGroup(t, prefix);
  const ws = await workspace(rg, ep);
  const aad = sdkClient(ws.url, await aadToken(ep));
  const created = await aad.tokens.create({ lifetime_seconds: 3600, comment: "conformance" });
  return { ws, pat: created.token_value, w: sdkClient(ws.url, created.token_value), aad };
}

// For assert.rejects: checks the SDK error's HTTP status and Databricks error_code (and the
// message against `message`, a RegExp, when given).
function apiError(statusCode, errorCode, message) {
  return (err) => {
    assert.equal(err.statusCode, statusCode, `status of: ${err.message}`);
    assert.equal(err.errorCode, errorCode, `error_code of: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  };
}

const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s) => Buffer.from(s, "base64").toString("utf8");

// Run life cycle states after which nothing changes.
const TERMINAL_STATES = new Set(["TERMINATED", "SKIPPED", "INTERNAL_ERROR"]);

// Polls runs/get until `done(run)` holds (bounded by timeoutMs); returns that run.
function waitForRunState(w, runId, what, done, timeoutMs = 60000) {
  return waitFor(
    `run ${runId}: ${what}`,
    async () => {
      const run = await sdkGet(w, "/api/2.2/jobs/runs/get", { run_id: runId });
      return done(run) ? run : null;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

// A one-task notebook run on a new cluster (runs/submit through the SDK); returns run_id.
async function submitNotebook(w, notebookPath, params = {}, extra = {}) {
  const waiter = await w.jobs.submit({
    run_name: extra.run_name || "conformance",
    tasks: [
      {
        task_key: "main",
        notebook_task: { notebook_path: notebookPath, base_parameters: params },
        new_cluster: { spark_version: "13.3.x-scala2.12", node_type_id: "Standard_DS3_v2", num_workers: 1 },
      },
    ],
    ...extra,
  });
  return waiter.run_id;
}

module.exports = {
  ECHO_NOTEBOOK,
  TERMINAL_STATES,
  WORKSPACE_API_VERSION,
  aadToken,
  apiError,
  b64,
  createPat,
  importNotebook,
  sdkClient,
  sdkGet,
  sdkSession,
  submitNotebook,
  unb64,
  waitForRunState,
  workspace,
  workspaceApi,
};
