// `envctl up` without --once: after converging the sample on its embedded cloudsim it keeps
// the controller running, serving gRPC and /metrics, until SIGINT (Ctrl-C).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn } = require("node:child_process");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const { waitFor } = require("../lib/cloud.js");

const SOURCE_ROOT = path.resolve(__dirname, "../../..");

test("envctl up converges, then serves the controller until Ctrl-C", async (t) => {
  assert.ok(process.env.ENVCTL_BIN, "run through tests/conformance/run.sh controller");
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "envctl-up-"));
  t.after(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  const child = spawn(
    process.env.ENVCTL_BIN,
    [
      "up",
      "--state-dir", stateDir,
      "--speed", "1000",
      "--grpc-listen", "127.0.0.1:0",
      "--http-listen", "127.0.0.1:0",
      "--repo", path.join(SOURCE_ROOT, "examples/bikeshare"),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let early = null;
  exited.then((e) => (early = e));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  await waitFor(
    "envctl up to converge and start serving",
    () => {
      if (early) throw new Error(`envctl up exited early ${JSON.stringify(early)}:\n${stdout}\n${stderr}`);
      return stdout.includes("Ctrl-C to stop");
    },
    { timeoutMs: 180000, intervalMs: 100 },
  );
  assert.match(stdout, /All environments converged\./);
  assert.match(stdout, /^dev\s+\d+.*empty$/m);
  assert.match(stdout, /^test\s+\d+.*empty$/m);
  const grpcAddress = /gRPC\s+(127\.0\.0\.1:\d+)/.exec(stdout)[1];
  const metricsUrl = /metrics\s+(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stdout)[1];

  // The controller's first look at the repo finds nothing to change and reports both.
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync("envctl/v1/service.proto", {
      includeDirs: [path.join(SOURCE_ROOT, "proto")],
      enums: String,
      defaults: true,
    }),
  );
  const client = new pkg.envctl.v1.EnvironmentService(grpcAddress, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const list = () =>
    new Promise((resolve, reject) =>
      client.ListEnvironments({}, { deadline: Date.now() + 10000 }, (err, res) => (err ? reject(err) : resolve(res))),
    );
  const envs = await waitFor(
    "both environments Ready in the controller",
    async () => {
      const res = await list();
      const ready = res.environments.filter((e) => e.ready === "CONDITION_STATUS_TRUE");
      return ready.length === 2 ? res.environments : null;
    },
    { timeoutMs: 60000, intervalMs: 200 },
  );
  assert.deepEqual(envs.map((e) => e.name).sort(), ["dev", "test"]);

  const metrics = await (await fetch(metricsUrl)).text();
  assert.match(metrics, /^envctl_sync_last_success_timestamp_seconds\{environment="test"\} [1-9]/m);
  assert.match(metrics, /^envctl_build_info\{/m);

  child.kill("SIGINT");
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error("envctl up did not stop within 30 s of SIGINT")), 30000).unref(),
  );
  assert.deepEqual(await Promise.race([exited, timeout]), { code: 0, signal: null }, stderr);
});
