// @azure/arm-datafactory 12: a factory with a managed identity, Key Vault and Databricks
// linked services (PAT from Key Vault), a DatabricksNotebook pipeline and its runs.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { DataFactoryManagementClient } = require("@azure/arm-datafactory");
const { SecretClient } = require("@azure/keyvault-secrets");
const { LOCATION, resourceGroup, vault } = require("../lib/fixtures.js");
const { armClient, credential, endpoints, uniqueName, waitFor } = require("../lib/cloud.js");
const { ECHO_NOTEBOOK, aadToken, createPat, importNotebook, workspace } = require("../lib/databricks.js");

const TERMINAL = new Set(["Succeeded", "Failed", "Cancelled"]);
const NOTEBOOK = "/Shared/conformance/echo";

// One factory + vault + workspace shared by the run tests below (built in `before`).
const env = {};

async function waitForRun(adf, runId) {
  return waitFor(
    `pipeline run ${runId} to finish`,
    async () => {
      const run = await adf.pipelineRuns.get(env.rg, env.factory, runId);
      return TERMINAL.has(run.status) ? run : null;
    },
    { timeoutMs: 90000, intervalMs: 200 },
  );
}

async function activityRuns(adf, runId) {
  const now = Date.now();
  const result = await adf.activityRuns.queryByPipelineRun(env.rg, env.factory, runId, {
    lastUpdatedAfter: new Date(now - 3600 * 1000),
    lastUpdatedBefore: new Date(now + 3600 * 1000),
  });
  return result.value;
}

// Puts a Databricks linked service whose PAT comes from Key Vault secret `secretName`,
// and a one-activity pipeline using it; returns the pipeline name.
async function notebookPipeline(adf, secretName) {
  const ls = uniqueName("ls-dbw-");
  await adf.linkedServices.createOrUpdate(env.rg, env.factory, ls, {
    properties: {
      type: "AzureDatabricks",
      domain: env.workspace.url,
      accessToken: {
        type: "AzureKeyVaultSecret",
        store: { referenceName: env.kvLinkedService, type: "LinkedServiceReference" },
        secretName,
      },
      newClusterVersion: "13.3.x-scala2.12",
      newClusterNodeType: "Standard_DS3_v2",
      newClusterNumOfWorker: "1",
    },
  });
  const pipeline = uniqueName("pl-nb-");
  await adf.pipelines.createOrUpdate(env.rg, env.factory, pipeline, {
    parameters: { greeting: { type: "String", defaultValue: "hi" } },
    activities: [
      {
        name: "RunNotebook",
        type: "DatabricksNotebook",
        dependsOn: [],
        policy: { timeout: "0.00:10:00", retry: 0 },
        linkedServiceName: { referenceName: ls, type: "LinkedServiceReference" },
        notebookPath: NOTEBOOK,
        baseParameters: { greeting: "@pipeline().parameters.greeting" },
      },
    ],
  });
  return pipeline;
}

test("data factory end to end", async (t) => {
  const ep = endpoints();
  const adf = armClient(DataFactoryManagementClient);
  env.rg = await resourceGroup(t, "rg-adf-");

  await t.test("factory with a system-assigned identity", async () => {
    env.factory = uniqueName("adf-conf-");
    const factory = await adf.factories.createOrUpdate(env.rg, env.factory, {
      location: LOCATION,
      identity: { type: "SystemAssigned" },
      tags: { env: "conformance" },
    });
    assert.equal(factory.name, env.factory);
    assert.equal(factory.type, "Microsoft.DataFactory/factories");
    assert.equal(factory.identity.type, "SystemAssigned");
    assert.match(factory.identity.principalId, /^[0-9a-f-]{36}$/);
    assert.equal(factory.identity.tenantId, ep.tenant_id);
    assert.equal(factory.provisioningState, "Succeeded");
    assert.ok(factory.eTag, "factories carry an eTag");
    env.principalId = factory.identity.principalId;
    const got = await adf.factories.get(env.rg, env.factory);
    assert.equal(got.identity.principalId, env.principalId, "the identity is stable");
  });

  await t.test("vault readable by the factory's identity, workspace with a notebook and a PAT", async (tt) => {
    assert.ok(env.principalId, "needs the factory");
    env.vault = await vault(t, env.rg, { objectIds: [ep.object_id, env.principalId] });
    env.workspace = await workspace(env.rg, ep);
    assert.match(env.workspace.url, /^https:\/\/[^/]+$/);
    const aad = await aadToken(ep);
    await importNotebook(env.workspace.url, aad, NOTEBOOK, ECHO_NOTEBOOK);
    const pat = await createPat(env.workspace.url, aad);
    assert.match(pat, /^dapi/);
    const secrets = new SecretClient(env.vault.properties.vaultUri, credential(ep), {
      disableChallengeResourceVerification: true,
    });
    await secrets.setSecret("databricks-pat", pat);
    await secrets.setSecret("databricks-bad-pat", "dapi00000000000000000000000000000000");
    tt.diagnostic(`workspace ${env.workspace.url}, vault ${env.vault.properties.vaultUri}`);
  });

  await t.test("Key Vault linked service; entities come back as sent", async () => {
    assert.ok(env.vault, "needs the vault");
    env.kvLinkedService = uniqueName("ls-kv-");
    const ls = await adf.linkedServices.createOrUpdate(env.rg, env.factory, env.kvLinkedService, {
      properties: { type: "AzureKeyVault", baseUrl: env.vault.properties.vaultUri },
    });
    assert.equal(ls.name, env.kvLinkedService);
    assert.equal(ls.properties.type, "AzureKeyVault");
    assert.equal(ls.properties.baseUrl, env.vault.properties.vaultUri);
    assert.ok(ls.etag);
    const listed = [];
    for await (const l of adf.linkedServices.listByFactory(env.rg, env.factory)) listed.push(l.name);
    assert.ok(listed.includes(env.kvLinkedService));
  });

  await t.test("a DatabricksNotebook pipeline run succeeds and returns the notebook's exit value", async () => {
    assert.ok(env.kvLinkedService && env.workspace, "needs the linked services and workspace");
    const pipeline = await notebookPipeline(adf, "databricks-pat");
    const got = await adf.pipelines.get(env.rg, env.factory, pipeline);
    assert.equal(got.activities[0].type, "DatabricksNotebook");
    assert.equal(got.activities[0].notebookPath, NOTEBOOK);

    const { runId } = await adf.pipelines.createRun(env.rg, env.factory, pipeline, {
      parameters: { greeting: "hello from adf" },
    });
    assert.match(runId, /^[0-9a-f-]{36}$/);
    const run = await waitForRun(adf, runId);
    assert.equal(run.status, "Succeeded", `run message: ${run.message}`);
    assert.equal(run.pipelineName, pipeline);
    assert.equal(run.parameters.greeting, "hello from adf");
    assert.equal(run.invokedBy.invokedByType, "Manual");
    assert.ok(run.durationInMs >= 0);

    const acts = await activityRuns(adf, runId);
    assert.equal(acts.length, 1);
    assert.equal(acts[0].activityName, "RunNotebook");
    assert.equal(acts[0].activityType, "DatabricksNotebook");
    assert.equal(acts[0].status, "Succeeded");
    assert.equal(acts[0].pipelineRunId, runId);
    assert.equal(acts[0].output.runOutput, "hello from adf", "baseParameters reach the notebook widgets");
    assert.match(acts[0].output.runPageUrl, /^https:\/\//);
  });

  await t.test("a Key Vault secret that does not exist fails the activity, naming the secret", async () => {
    assert.ok(env.kvLinkedService && env.workspace, "needs the linked services and workspace");
    const pipeline = await notebookPipeline(adf, "no-such-secret");
    const { runId } = await adf.pipelines.createRun(env.rg, env.factory, pipeline);
    const run = await waitForRun(adf, runId);
    assert.equal(run.status, "Failed");
    assert.match(run.message, /no-such-secret/);
    const [act] = await activityRuns(adf, runId);
    assert.equal(act.status, "Failed");
    assert.match(act.error.message, /no-such-secret/);
    assert.match(act.error.message, /secret/i);
    assert.ok(act.error.errorCode, "an error code");
  });

  await t.test("an invalid Databricks token in Key Vault fails the activity with Databricks' message", async () => {
    assert.ok(env.kvLinkedService && env.workspace, "needs the linked services and workspace");
    const pipeline = await notebookPipeline(adf, "databricks-bad-pat");
    const { runId } = await adf.pipelines.createRun(env.rg, env.factory, pipeline);
    const run = await waitForRun(adf, runId);
    assert.equal(run.status, "Failed");
    const [act] = await activityRuns(adf, runId);
    assert.equal(act.status, "Failed");
    assert.match(act.error.message, /Invalid access token/);
    assert.ok(!act.error.message.includes("dapi0000"), "the token is not echoed");
  });

  await t.test("deleting a referenced linked service is 400 'referenced by'", async () => {
    assert.ok(env.kvLinkedService, "needs the Key Vault linked service");
    await assert.rejects(adf.linkedServices.delete(env.rg, env.factory, env.kvLinkedService), (err) => {
      assert.equal(err.statusCode, 400);
      assert.match(err.message, /referenced by/);
      return true;
    });
  });
});
