// `envctl controller` following a Git branch: the first commit converges, a signed GitHub
// push webhook makes it fetch the next commit at once (the poll interval is an hour), an
// unsigned or wrongly signed delivery is refused, and a commit with a spec error leaves
// the environments on the last good revision while /healthz names the error.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn, execFileSync } = require("node:child_process");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const { waitFor } = require("../lib/cloud.js");

const SOURCE_ROOT = path.resolve(__dirname, "../../..");
const WEBHOOK_SECRET = "conformance-webhook-secret-71d2";

function git(cwd, ...args) {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "envctl test",
      GIT_AUTHOR_EMAIL: "test@example.com",
      GIT_COMMITTER_NAME: "envctl test",
      GIT_COMMITTER_EMAIL: "test@example.com",
    },
  }).trim();
}

function sign(body) {
  return "sha256=" + crypto.createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex");
}

test("the controller follows a Git branch through signed push webhooks", async (t) => {
  assert.ok(process.env.ENVCTL_BIN && process.env.ENVCTL_ENDPOINTS, "run through tests/conformance/run.sh controller");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "envctl-git-"));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));

  // A repository holding the sample under platform/bikeshare, on branch main.
  const repo = path.join(work, "repo");
  fs.mkdirSync(repo);
  git(repo, "init", "-q", "-b", "main");
  fs.cpSync(path.join(SOURCE_ROOT, "examples/bikeshare"), path.join(repo, "platform/bikeshare"), { recursive: true });
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "bikeshare");
  const first = git(repo, "rev-parse", "HEAD");

  const config = path.join(work, "controller.yaml");
  fs.writeFileSync(
    config,
    [
      "source:",
      "  git:",
      `    url: file://${repo}`,
      "    branch: main",
      "    path: platform/bikeshare",
      "  pollInterval: 1h",
      "environments: [test]",
      `cloud: ${process.env.ENVCTL_ENDPOINTS}`,
      "stateDir: state",
      "grpc: {listen: 127.0.0.1:0}",
      "http: {listen: 127.0.0.1:0}",
      "webhooks: {gitSecretEnv: CONFORMANCE_WEBHOOK_SECRET}",
      "",
    ].join("\n"),
  );
  const child = spawn(process.env.ENVCTL_BIN, ["controller", "--config", config], {
    env: { ...process.env, CONFORMANCE_WEBHOOK_SECRET: WEBHOOK_SECRET },
    stdio: ["ignore", "pipe", "pipe"],
  });
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
    "the controller to start",
    () => {
      if (early) throw new Error(`controller exited early ${JSON.stringify(early)}:\n${stdout}\n${stderr}`);
      return stdout.includes("Ctrl-C to stop");
    },
    { timeoutMs: 30000, intervalMs: 50 },
  );
  assert.match(stdout, new RegExp(`at ${first}`), "prints the commit it starts from");
  const grpcAddress = /gRPC\s+(\S+)/.exec(stdout)[1];
  const httpAddress = /HTTP\s+http:\/\/(\S+)/.exec(stdout)[1];
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync("envctl/v1/service.proto", {
      includeDirs: [path.join(SOURCE_ROOT, "proto")],
      enums: String,
      defaults: true,
    }),
  );
  const client = new pkg.envctl.v1.EnvironmentService(grpcAddress, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const testEnv = () =>
    new Promise((resolve, reject) =>
      client.ListEnvironments({}, { deadline: Date.now() + 10000 }, (err, res) =>
        err ? reject(err) : resolve(res.environments.find((e) => e.name === "test")),
      ),
    );
  const syncedTo = (revision) =>
    waitFor(
      `test synced to ${revision}`,
      async () => {
        const e = await testEnv();
        return e && e.syncedRevision === revision && e.ready === "CONDITION_STATUS_TRUE" ? e : null;
      },
      { timeoutMs: 120000, intervalMs: 200 },
    );
  const envs = await new Promise((resolve, reject) =>
    client.ListEnvironments({}, (err, res) => (err ? reject(err) : resolve(res.environments))),
  );
  assert.deepEqual(
    envs.map((e) => e.name),
    ["test"],
    "only the environments the config names",
  );
  await syncedTo(first);

  const push = (body, headers) =>
    fetch(`http://${httpAddress}/webhooks/git`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-GitHub-Event": "push", ...headers },
      body,
    });

  // A second commit; the push webhook (not the hourly poll) makes the controller fetch it.
  const pipelineDir = path.join(repo, "platform/bikeshare/datafactory/pipeline");
  const file = path.join(pipelineDir, fs.readdirSync(pipelineDir)[0]);
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  doc.properties.description = "second commit";
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  git(repo, "commit", "-q", "-am", "edit pipeline");
  const second = git(repo, "rev-parse", "HEAD");
  const body = JSON.stringify({ ref: "refs/heads/main", after: second });

  const unsigned = await push(body, {});
  assert.equal(unsigned.status, 403, "a secret is configured: unsigned deliveries are refused");
  const forged = await push(body, { "X-Hub-Signature-256": sign(body + " ") });
  assert.equal(forged.status, 403);
  assert.ok(!(await forged.text()).includes(WEBHOOK_SECRET));
  const otherBranch = JSON.stringify({ ref: "refs/heads/feature", after: second });
  const ignored = await push(otherBranch, { "X-Hub-Signature-256": sign(otherBranch) });
  assert.equal(ignored.status, 202);
  assert.equal((await ignored.json()).relevant, false);

  const signed = await push(body, { "X-Hub-Signature-256": sign(body) });
  assert.equal(signed.status, 202, await signed.text());
  await syncedTo(second);

  // A commit that breaks the spec: nothing is applied, /healthz says why, test stays on `second`.
  fs.writeFileSync(path.join(repo, "platform/bikeshare/resources/broken.yaml"), "name: broken\nnoSuchKind: {}\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "broken");
  const broken = JSON.stringify({ ref: "refs/heads/main", after: git(repo, "rev-parse", "HEAD") });
  assert.equal((await push(broken, { "X-Hub-Signature-256": sign(broken) })).status, 202);
  const health = await waitFor(
    "/healthz to report the spec error",
    async () => {
      const res = await fetch(`http://${httpAddress}/healthz`);
      return res.status === 503 ? res.text() : null;
    },
    { timeoutMs: 30000, intervalMs: 100 },
  );
  assert.match(health, /broken\.yaml:2:1/);
  assert.match(health, /noSuchKind/);
  assert.equal((await testEnv()).syncedRevision, second, "the last good revision stays applied");

  child.kill("SIGTERM");
  assert.deepEqual(await exited, { code: 0, signal: null }, stderr);
  assert.ok(!stdout.includes(WEBHOOK_SECRET) && !stderr.includes(WEBHOOK_SECRET));
});
