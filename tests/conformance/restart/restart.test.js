// cloudsim persists its state dir: resources created before a restart are served after it,
// with the same ids, keys, secrets and credentials. This test starts and stops cloudsim
// itself (run.sh restart only primes the state dir so the CA exists before node starts).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { spawn } = require("node:child_process");
const { ResourceManagementClient } = require("@azure/arm-resources");
const { StorageManagementClient } = require("@azure/arm-storage");
const { KeyVaultManagementClient } = require("@azure/arm-keyvault");
const { SecretClient } = require("@azure/keyvault-secrets");
const { LRO, armClient, credential, endpoints, uniqueName, waitFor } = require("../lib/cloud.js");
const { LOCATION, accessPolicy, ALL_SECRET_PERMISSIONS } = require("../lib/fixtures.js");

const stateDir = process.env.CONFORMANCE_STATE_DIR;
const endpointsFile = path.join(stateDir || "", "endpoints.json");

// Starts cloudsim on the shared state dir and resolves once it rewrote endpoints.json.
async function startCloudsim() {
  fs.rmSync(endpointsFile, { force: true });
  const child = spawn(
    process.env.ENVCTL_BIN,
    ["cloudsim", "--port", "0", "--state-dir", stateDir, "--speed", "1000", "--page-size", "2"],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.exited = exited;
  let early = null;
  exited.then((e) => (early = e));
  await waitFor(
    "cloudsim to write endpoints.json",
    () => {
      if (early) throw new Error(`cloudsim exited early: ${JSON.stringify(early)}`);
      return fs.existsSync(endpointsFile) && fs.statSync(endpointsFile).size > 0;
    },
    { timeoutMs: 10000, intervalMs: 50 },
  );
  return child;
}

async function stopCloudsim(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error("cloudsim did not stop within 10 s of SIGTERM")), 10000).unref(),
  );
  const result = await Promise.race([child.exited, timeout]);
  assert.equal(result.code, 0, `cloudsim exits cleanly on SIGTERM, got ${JSON.stringify(result)}`);
}

test("resources survive a cloudsim restart on the same state dir", async (t) => {
  assert.ok(stateDir && process.env.ENVCTL_BIN, "run through tests/conformance/run.sh restart");
  let sim = await startCloudsim();
  t.after(() => stopCloudsim(sim));

  const ep1 = endpoints();
  const rg = uniqueName("rg-restart-");
  const account = uniqueName("strestart");
  const vaultName = uniqueName("kv-restart-");
  const secretValue = uniqueName("value-");

  await armClient(ResourceManagementClient, ep1).resourceGroups.createOrUpdate(rg, {
    location: LOCATION,
    tags: { keep: "me" },
  });
  const storage1 = armClient(StorageManagementClient, ep1);
  const created = await storage1.storageAccounts.beginCreateAndWait(
    rg,
    account,
    { location: LOCATION, sku: { name: "Standard_LRS" }, kind: "StorageV2", isHnsEnabled: true, minimumTlsVersion: "TLS1_2" },
    LRO,
  );
  await storage1.blobContainers.create(rg, account, "raw", {});
  const keys1 = (await storage1.storageAccounts.listKeys(rg, account)).keys;
  const kv1 = await armClient(KeyVaultManagementClient, ep1).vaults.beginCreateOrUpdateAndWait(
    rg,
    vaultName,
    {
      location: LOCATION,
      properties: {
        tenantId: ep1.tenant_id,
        sku: { family: "A", name: "standard" },
        accessPolicies: [accessPolicy(ep1.object_id, ALL_SECRET_PERMISSIONS, ep1)],
      },
    },
    LRO,
  );
  const secrets1 = new SecretClient(kv1.properties.vaultUri, credential(ep1), {
    disableChallengeResourceVerification: true,
  });
  const set = await secrets1.setSecret("kept", secretValue);

  await stopCloudsim(sim);
  sim = await startCloudsim();
  const ep2 = endpoints();

  for (const k of ["tenant_id", "subscription_id", "client_id", "client_secret", "object_id"]) {
    assert.equal(ep2[k], ep1[k], `${k} is the same after the restart`);
  }
  const group = await armClient(ResourceManagementClient, ep2).resourceGroups.get(rg);
  assert.deepEqual(group.tags, { keep: "me" });

  const storage2 = armClient(StorageManagementClient, ep2);
  const account2 = await storage2.storageAccounts.getProperties(rg, account);
  assert.equal(account2.id, created.id);
  assert.equal(account2.isHnsEnabled, true);
  assert.equal((await storage2.blobContainers.get(rg, account, "raw")).name, "raw");
  assert.deepEqual((await storage2.storageAccounts.listKeys(rg, account)).keys.map((k) => k.value), keys1.map((k) => k.value));

  const kv2 = await armClient(KeyVaultManagementClient, ep2).vaults.get(rg, vaultName);
  assert.equal(kv2.id, kv1.id);
  const secrets2 = new SecretClient(kv2.properties.vaultUri, credential(ep2), {
    disableChallengeResourceVerification: true,
  });
  const got = await secrets2.getSecret("kept");
  assert.equal(got.value, secretValue);
  assert.equal(got.properties.version, set.properties.version);

  await armClient(ResourceManagementClient, ep2).resourceGroups.beginDeleteAndWait(rg, LRO);
});
