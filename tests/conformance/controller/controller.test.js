// `envctl controller` end to end, driven the way other platform tools drive it: the official
// gRPC client for Node (@grpc/grpc-js with the .proto files, no generated C++ in between),
// plain HTTP for /healthz, /metrics and the webhooks, the Azure SDK for an out-of-band
// change, and `promtool check metrics` for the exposition format.
//
// One controller runs for the whole file on a copy of examples/bikeshare (folder source),
// against the cloudsim that run.sh started. Tests run in order and build on each other.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn, spawnSync } = require("node:child_process");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const { KeyVaultManagementClient } = require("@azure/arm-keyvault");
const { DataFactoryManagementClient } = require("@azure/arm-datafactory");
const { admin, armClient, endpoints, waitFor } = require("../lib/cloud.js");

const SOURCE_ROOT = path.resolve(__dirname, "../../..");
const TOKEN = "conformance-api-token-3f9c";
const CONVERGE_MS = 120000;

function loadService() {
  const options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };
  const envctl = protoLoader.loadSync("envctl/v1/service.proto", {
    ...options,
    includeDirs: [path.join(SOURCE_ROOT, "proto")],
  });
  const health = protoLoader.loadSync("grpc/health/v1/health.proto", {
    ...options,
    includeDirs: [path.join(SOURCE_ROOT, "tests/api")],
  });
  return {
    EnvironmentService: grpc.loadPackageDefinition(envctl).envctl.v1.EnvironmentService,
    Health: grpc.loadPackageDefinition(health).grpc.health.v1.Health,
  };
}

// Promisified unary call; rejects with the grpc error (code, details).
function call(client, method, request, metadata) {
  return new Promise((resolve, reject) => {
    const md = metadata || new grpc.Metadata();
    client[method](request, md, { deadline: Date.now() + 60000 }, (err, response) =>
      err ? reject(err) : resolve(response),
    );
  });
}

function bearer(token = TOKEN) {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

// Collects WatchEvents into an array until cancelled.
function watch(client, environment = "") {
  const events = [];
  const stream = client.WatchEvents({ environment }, bearer());
  stream.on("data", (e) => events.push(e));
  stream.on("error", () => {}); // CANCELLED when we stop watching
  return { events, cancel: () => stream.cancel() };
}

let ctl; // { child, grpcAddress, httpAddress, client, health, workDir, repo }

async function startController() {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "envctl-controller-"));
  const repo = path.join(workDir, "repo");
  fs.cpSync(path.join(SOURCE_ROOT, "examples/bikeshare"), repo, { recursive: true });
  const config = path.join(workDir, "controller.yaml");
  fs.writeFileSync(
    config,
    [
      "source:",
      "  folder: repo",
      "  pollInterval: 1h # the webhook test proves pushes are picked up without polling",
      `cloud: ${process.env.ENVCTL_ENDPOINTS}`,
      "stateDir: state",
      "grpc:",
      "  listen: 127.0.0.1:0",
      "  tokenEnv: CONFORMANCE_API_TOKEN",
      "http:",
      "  listen: 127.0.0.1:0",
      "# The webhook test posts an unsigned push (refused without this).",
      "webhooks:",
      "  allowUnsigned: true",
      "",
    ].join("\n"),
  );
  const child = spawn(process.env.ENVCTL_BIN, ["controller", "--config", config], {
    env: { ...process.env, CONFORMANCE_API_TOKEN: TOKEN },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let early = null;
  child.exited.then((e) => (early = e));
  await waitFor(
    "the controller to print its addresses",
    () => {
      if (early) throw new Error(`controller exited early ${JSON.stringify(early)}:\n${stdout}\n${stderr}`);
      return stdout.includes("Ctrl-C to stop");
    },
    { timeoutMs: 30000, intervalMs: 50 },
  );
  const grpcAddress = /gRPC\s+(\S+)/.exec(stdout)[1];
  const httpAddress = /HTTP\s+http:\/\/(\S+)/.exec(stdout)[1];
  const { EnvironmentService, Health } = loadService();
  return {
    child,
    grpcAddress,
    httpAddress,
    workDir,
    repo,
    stdout: () => stdout,
    stderr: () => stderr,
    client: new EnvironmentService(grpcAddress, grpc.credentials.createInsecure()),
    health: new Health(grpcAddress, grpc.credentials.createInsecure()),
  };
}

async function listEnvironments() {
  return (await call(ctl.client, "ListEnvironments", {}, bearer())).environments;
}

async function waitConverged(what) {
  return waitFor(
    what,
    async () => {
      const envs = await listEnvironments();
      const ready = envs.length === 2 && envs.every((e) => e.ready === "CONDITION_STATUS_TRUE" && e.errors === 0);
      return ready ? envs : null;
    },
    { timeoutMs: CONVERGE_MS, intervalMs: 200 },
  );
}

async function http(method, urlPath, { headers = {}, body } = {}) {
  const res = await fetch(`http://${ctl.httpAddress}${urlPath}`, { method, headers, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

test.before(async () => {
  assert.ok(process.env.ENVCTL_BIN && process.env.ENVCTL_ENDPOINTS, "run through tests/conformance/run.sh controller");
  ctl = await startController();
});

test.after(async () => {
  if (!ctl) return;
  ctl.client.close();
  ctl.health.close();
  if (ctl.child.exitCode === null && ctl.child.signalCode === null) ctl.child.kill("SIGKILL");
  fs.rmSync(ctl.workDir, { recursive: true, force: true });
});

test("start-up problems exit 1 naming the file, key or environment at fault", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envctl-badconfig-"));
  const run = (yaml) => {
    const file = path.join(dir, "c.yaml");
    fs.writeFileSync(file, yaml);
    return spawnSync(process.env.ENVCTL_BIN, ["controller", "--config", file], { encoding: "utf8", timeout: 30000 });
  };
  try {
    const typo = run("source:\n  folder: /nonexistent\n  polInterval: 1m\n");
    assert.equal(typo.status, 1);
    assert.match(typo.stderr, /c\.yaml:3:3: source\.polInterval: unknown key/);
    const unknownEnv = run(
      `source:\n  folder: ${path.join(SOURCE_ROOT, "examples/bikeshare")}\nenvironments: [prod]\nstateDir: ${dir}/s\n`,
    );
    assert.equal(unknownEnv.status, 1);
    assert.match(unknownEnv.stderr, /environments: prod is not declared .* \(it declares dev, test\)/);
    const missing = spawnSync(process.env.ENVCTL_BIN, ["controller"], { encoding: "utf8" });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--config FILE is required/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("listens on loopback only, on the addresses it prints", () => {
  assert.match(ctl.grpcAddress, /^127\.0\.0\.1:\d+$/);
  assert.match(ctl.httpAddress, /^127\.0\.0\.1:\d+$/);
  assert.ok(!ctl.stdout().includes(TOKEN) && !ctl.stderr().includes(TOKEN), "the API token is never printed");
});

test("converges both environments of the repo from an empty cloud", async () => {
  const envs = await waitConverged("dev and test to be Ready");
  assert.deepEqual(envs.map((e) => e.name).sort(), ["dev", "test"]);
  for (const e of envs) {
    assert.ok(e.resources >= 10, `${e.name} has its resources (${e.resources})`);
    assert.equal(e.drifted, 0);
    assert.equal(e.suspended, false);
    assert.match(e.syncedRevision, /\S/, "synced revision recorded");
  }
});

test("grpc.health.v1 reports SERVING without a token", async () => {
  const overall = await call(ctl.health, "Check", { service: "" });
  assert.equal(overall.status, "SERVING");
  const svc = await call(ctl.health, "Check", { service: "envctl.v1.EnvironmentService" });
  assert.equal(svc.status, "SERVING");
});

test("EnvironmentService calls need the bearer token", async () => {
  await assert.rejects(call(ctl.client, "ListEnvironments", {}), (err) => {
    assert.equal(err.code, grpc.status.UNAUTHENTICATED);
    return true;
  });
  await assert.rejects(call(ctl.client, "ListEnvironments", {}, bearer("wrong")), (err) => {
    assert.equal(err.code, grpc.status.UNAUTHENTICATED);
    assert.ok(!err.details.includes(TOKEN));
    return true;
  });
});

test("GetEnvironment returns spec and status without secrets; unknown names are NOT_FOUND", async () => {
  const got = await call(ctl.client, "GetEnvironment", { name: "test" }, bearer());
  assert.equal(got.spec.name, "test");
  assert.equal(got.status.name, "test");
  const vault = got.status.resources.find((r) => r.name === "keyvault");
  assert.ok(vault, "keyvault has a status");
  assert.match(vault.externalId, /\/providers\/Microsoft\.KeyVault\/vaults\//i);
  const text = JSON.stringify(got);
  assert.ok(!/AccountKey=|dapi[0-9a-f]{8}/.test(text), "no storage key or Databricks token in the response");

  await assert.rejects(call(ctl.client, "GetEnvironment", { name: "prod" }, bearer()), (err) => {
    assert.equal(err.code, grpc.status.NOT_FOUND);
    return true;
  });
  await assert.rejects(call(ctl.client, "GetEnvironment", { name: "" }, bearer()), (err) => {
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    return true;
  });
});

test("Plan after convergence is in sync and changes nothing", async () => {
  await admin("DELETE", "/stats");
  const plan = await call(ctl.client, "Plan", { environment: "dev" }, bearer());
  assert.equal(plan.environment, "dev");
  assert.equal(plan.inSync, true, JSON.stringify(plan.changes));
  const counters = (await admin("GET", "/stats")).requests;
  for (const service of ["arm", "keyvault", "datafactory", "databricks"]) {
    assert.equal(counters[service].write, 0, `plan made no ${service} writes`);
  }
  assert.ok(counters.arm.read > 0, "plan read live state");
});

test("Sync with wait returns the converged status and streams its events", async () => {
  const w = watch(ctl.client, "test");
  await new Promise((r) => setTimeout(r, 100)); // let the stream attach
  const res = await call(ctl.client, "Sync", { environment: "test", wait: true, timeout: { seconds: 60 } }, bearer());
  assert.equal(res.converged, true);
  assert.match(res.syncId, /\S/);
  assert.equal(res.status.name, "test");
  await waitFor(
    "SYNC_FINISHED for the sync",
    () => w.events.some((e) => e.type === "EVENT_TYPE_SYNC_FINISHED" && e.correlationId === res.syncId),
    { timeoutMs: 10000, intervalMs: 50 },
  );
  w.cancel();
  assert.ok(w.events.some((e) => e.type === "EVENT_TYPE_SYNC_STARTED" && e.correlationId === res.syncId));
  assert.ok(w.events.every((e) => e.environment === "test"), "filtered to the environment asked for");
});

test("Suspend stops syncs until Resume", async () => {
  const s = await call(ctl.client, "Suspend", { environment: "dev", reason: "maintenance window" }, bearer());
  assert.equal(s.status.suspended, true);
  assert.equal((await listEnvironments()).find((e) => e.name === "dev").suspended, true);
  await assert.rejects(call(ctl.client, "Sync", { environment: "dev", wait: true }, bearer()), (err) => {
    assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
    return true;
  });
  const r = await call(ctl.client, "Resume", { environment: "dev" }, bearer());
  assert.equal(r.status.suspended, false);
  await waitConverged("dev to be Ready again after Resume");
});

test("/healthz and /metrics; promtool accepts the exposition", async () => {
  const health = await http("GET", "/healthz");
  assert.equal(health.status, 200, health.text);
  const metrics = await http("GET", "/metrics");
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get("content-type"), /^text\/plain/);
  for (const family of [
    "envctl_reconcile_total",
    "envctl_resources",
    "envctl_sync_last_success_timestamp_seconds",
    "envctl_source_revision_info",
    "envctl_workqueue_depth",
    "envctl_cloud_requests_total",
    "envctl_build_info",
  ]) {
    assert.match(metrics.text, new RegExp(`^${family}\\b`, "m"), `${family} is exported`);
  }
  assert.match(metrics.text, /^envctl_resources\{[^}]*environment="dev"[^}]*state="in_sync"[^}]*\} [1-9]/m);
  assert.ok(!metrics.text.includes(TOKEN));
  const promtool = spawnSync("promtool", ["check", "metrics"], { input: metrics.text, encoding: "utf8" });
  if (promtool.error && promtool.error.code === "ENOENT") {
    assert.fail("promtool is not installed (deploy/install-deps.sh installs Debian's prometheus)");
  }
  // Strict: lint problems (missing HELP, bad counter names, non-base units) fail too.
  assert.equal(promtool.status, 0, `promtool check metrics: ${promtool.stderr}${promtool.stdout}`);
});

test("a Git push webhook makes the controller apply an edit to the repo at once", async () => {
  const pipelineFile = path.join(ctl.repo, "datafactory/pipeline");
  const file = fs.readdirSync(pipelineFile).map((f) => path.join(pipelineFile, f))[0];
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  doc.properties.description = "edited by the controller conformance test";
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));

  const w = watch(ctl.client);
  await new Promise((r) => setTimeout(r, 100));
  const bad = await http("POST", "/webhooks/git", { headers: { "Content-Type": "application/json" }, body: "{" });
  assert.equal(bad.status, 400, bad.text);
  const res = await http("POST", "/webhooks/git", {
    headers: { "Content-Type": "application/json", "X-GitHub-Event": "push" },
    body: JSON.stringify({ ref: "refs/heads/main", after: "0123456789abcdef0123456789abcdef01234567" }),
  });
  assert.equal(res.status, 202, res.text);
  assert.equal(JSON.parse(res.text).relevant, true);
  await waitFor(
    "a sync of the new revision to finish for both environments",
    () =>
      ["dev", "test"].every((env) =>
        w.events.some((e) => e.type === "EVENT_TYPE_SYNC_FINISHED" && e.environment === env),
      ) && w.events.some((e) => e.type === "EVENT_TYPE_SOURCE_CHANGED"),
    { timeoutMs: CONVERGE_MS, intervalMs: 100 },
  );
  w.cancel();
  // TEST is promoted from DEV (examples/bikeshare/environments/test.yaml): it adopts the new
  // revision once DEV converged on it and DEV's tests passed, so wait for that too.
  const envs = await waitFor(
    "both environments Ready on the new revision, TEST after DEV",
    async () => {
      const all = await listEnvironments();
      const ready = all.length === 2 && all.every((e) => e.ready === "CONDITION_STATUS_TRUE" && e.errors === 0);
      const [dev, test] = ["dev", "test"].map((n) => all.find((e) => e.name === n));
      return ready && dev && test && dev.syncedRevision && test.syncedRevision === dev.syncedRevision ? all : null;
    },
    { timeoutMs: CONVERGE_MS, intervalMs: 200 },
  );
  // TEST publishes Data Factory definitions (DEV leaves them to ADF's Git mode): the edit is live.
  const got = await call(ctl.client, "GetEnvironment", { name: "test" }, bearer());
  const factoryId = got.status.resources.find((r) => r.name === "factory").externalId;
  const [, rg, factoryName] = /resourceGroups\/([^/]+)\/providers\/Microsoft\.DataFactory\/factories\/([^/]+)/i.exec(
    factoryId,
  );
  const adf = armClient(DataFactoryManagementClient, endpoints());
  const live = await adf.pipelines.get(rg, factoryName, doc.name);
  assert.equal(live.description, "edited by the controller conformance test");
  const plan = await call(ctl.client, "Plan", { environment: "test" }, bearer());
  assert.equal(plan.inSync, true, JSON.stringify(plan.changes));
  assert.equal(plan.revision, envs.find((e) => e.name === "test").syncedRevision);
});

test("an Event Grid delivery for an out-of-band change gets it repaired", async () => {
  const got = await call(ctl.client, "GetEnvironment", { name: "test" }, bearer());
  const vaultId = got.status.resources.find((r) => r.name === "keyvault").externalId;
  const [, rg, vaultName] = /resourceGroups\/([^/]+)\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)/i.exec(vaultId);

  // Subscribe the controller the way an Event Grid subscription would (validation handshake).
  await admin("POST", "/eventgrid", { endpoint: `http://${ctl.httpAddress}/webhooks/eventgrid` });

  const kv = armClient(KeyVaultManagementClient, endpoints());
  const before = (await kv.vaults.get(rg, vaultName)).properties.accessPolicies;
  assert.ok(before.length >= 2, "the spec grants more than one access policy");
  const w = watch(ctl.client, "test");
  await new Promise((r) => setTimeout(r, 100));
  await kv.vaults.updateAccessPolicy(rg, vaultName, "remove", { properties: { accessPolicies: [before[0]] } });
  await waitFor(
    "the removed access policy to be restored by the controller",
    async () => (await kv.vaults.get(rg, vaultName)).properties.accessPolicies.length === before.length,
    { timeoutMs: CONVERGE_MS, intervalMs: 200 },
  );
  await waitFor(
    "DRIFT_CORRECTED for keyvault",
    () => w.events.some((e) => e.type === "EVENT_TYPE_DRIFT_CORRECTED" && e.resource === "keyvault"),
    { timeoutMs: 10000, intervalMs: 50 },
  );
  w.cancel();
});

test("envctl status --server shows what the controller reports", () => {
  const run = (args, env) =>
    spawnSync(process.env.ENVCTL_BIN, ["status", "--server", ctl.grpcAddress, ...args], {
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 30000,
    });
  const text = run(["--env", "test"], { ENVCTL_API_TOKEN: TOKEN });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^Environment test/m);
  assert.match(text.stdout, /keyvault\s+KeyVault\s+in_sync/);

  const json = run(["--json"], { ENVCTL_API_TOKEN: TOKEN });
  assert.equal(json.status, 0, json.stderr);
  assert.match(json.stdout, /"name": "dev"/);
  assert.match(json.stdout, /"name": "test"/);

  const noToken = run([], { ENVCTL_API_TOKEN: "" });
  assert.equal(noToken.status, 1);
  assert.match(noToken.stderr, /ENVCTL_API_TOKEN/);
  assert.ok(!noToken.stderr.includes(TOKEN));

  const unknown = run(["--env", "prod"], { ENVCTL_API_TOKEN: TOKEN });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /prod/);
});

test("SIGTERM shuts the controller down cleanly", async () => {
  ctl.child.kill("SIGTERM");
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error("controller did not stop within 20 s of SIGTERM")), 20000).unref(),
  );
  const result = await Promise.race([ctl.child.exited, timeout]);
  assert.deepEqual(result, { code: 0, signal: null }, ctl.stderr());
  assert.ok(!ctl.stdout().includes(TOKEN) && !ctl.stderr().includes(TOKEN));
});
