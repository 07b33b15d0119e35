// Databricks workspace fixtures: the workspace is created through ARM (generic resources
// API of @azure/arm-resources, api-version 2023-02-01) and its URL read from
// properties.workspaceUrl, as in Azure. `workspaceApi` is a minimal REST caller for tests
// whose subject is another SDK (Data Factory); the Databricks SDK tests use the SDK.
"use strict";

const { ResourceManagementClient } = require("@azure/arm-resources");
const { DATABRICKS_SCOPE, LRO, armClient, endpoints, token, uniqueName } = require("./cloud.js");
const { LOCATION } = require("./fixtures.js");

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

module.exports = { ECHO_NOTEBOOK, WORKSPACE_API_VERSION, aadToken, createPat, importNotebook, workspace, workspaceApi };
