// Checks deploy/grafana/envctl-dashboard.json: valid JSON with unique panel ids, every
// query names only envctl metrics that exist (DESIGN.md's list, as exported with
// _bucket/_count/_sum for histograms), and every PromQL expression parses — by handing
// them to `promtool check rules` as recording rules, with Grafana's variables replaced.
//   node tests/prometheus/check_dashboard.js DASHBOARD.json
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const METRICS = [
  "reconcile_total", "reconcile_errors_total", "reconcile_duration_seconds",
  "workqueue_depth", "workqueue_adds_total", "workqueue_retries_total",
  "workqueue_queue_duration_seconds", "workqueue_work_duration_seconds",
  "resources", "drift_detected_total", "drift_corrected_total", "drift_repair_seconds",
  "cloud_requests_total", "cloud_request_duration_seconds", "cloud_throttled_total",
  "integration_runs_total", "integration_run_duration_seconds",
  "integration_last_success_timestamp_seconds", "sync_last_success_timestamp_seconds",
  "source_revision_info", "build_info",
].map((m) => `envctl_${m}`);
const HISTOGRAMS = new Set(
  ["reconcile_duration_seconds", "workqueue_queue_duration_seconds", "workqueue_work_duration_seconds",
    "drift_repair_seconds", "cloud_request_duration_seconds", "integration_run_duration_seconds"].map((m) => `envctl_${m}`),
);

function fail(message) {
  console.error(`check_dashboard: ${message}`);
  process.exit(1);
}

const file = process.argv[2];
if (!file) fail("usage: check_dashboard.js DASHBOARD.json");
let dashboard;
try {
  dashboard = JSON.parse(fs.readFileSync(file, "utf8"));
} catch (e) {
  fail(`${file}: ${e.message}`);
}
const known = new Set(METRICS);
for (const h of HISTOGRAMS) for (const s of ["_bucket", "_count", "_sum"]) known.add(h + s);

const ids = new Set();
const rules = [];
const used = new Set();
for (const panel of dashboard.panels || []) {
  if (ids.has(panel.id)) fail(`panel id ${panel.id} is used twice`);
  ids.add(panel.id);
  if (!panel.targets || panel.targets.length === 0) fail(`panel "${panel.title}" has no query`);
  for (const target of panel.targets) {
    const expr = target.expr;
    for (const name of expr.match(/\benvctl_[a-z_]+/g) || []) {
      if (!known.has(name)) fail(`panel "${panel.title}" queries ${name}, which envctl does not export`);
      used.add(name.replace(/_(bucket|count|sum)$/, (m) => (HISTOGRAMS.has(name.slice(0, -m.length)) ? "" : m)));
    }
    const concrete = expr.replace(/\$__rate_interval|\$__interval|\$__range/g, "5m").replace(/\$\{?environment\}?/g, ".*");
    rules.push({ record: `dashboard:panel_${panel.id}_${target.refId}`, expr: concrete });
  }
}
const missing = METRICS.filter((m) => !used.has(m));
if (missing.length) fail(`no panel shows ${missing.join(", ")}`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envctl-dashboard-"));
const rulesFile = path.join(dir, "dashboard.rules.yaml");
// JSON is YAML, so the rule file needs no YAML library.
fs.writeFileSync(rulesFile, JSON.stringify({ groups: [{ name: "dashboard", rules }] }, null, 2));
const result = spawnSync("promtool", ["check", "rules", rulesFile], { encoding: "utf8" });
fs.rmSync(dir, { recursive: true, force: true });
if (result.error) fail(`cannot run promtool: ${result.error.message} (deploy/install-deps.sh installs Debian's prometheus)`);
if (result.status !== 0) fail(`promtool rejects a query:\n${result.stdout}${result.stderr}`);
console.log(`check_dashboard: ${ids.size} panels, ${rules.length} queries, all ${METRICS.length} metrics shown, promtool OK`);
