// Shared helpers for the conformance tests: how the official SDKs are pointed at cloudsim.
//
// run.sh starts cloudsim and exports ENVCTL_ENDPOINTS (its endpoints.json) and
// NODE_EXTRA_CA_CERTS (its CA; node reads that only at start-up, and the Azure SDK refuses
// bearer tokens over plain HTTP). Everything here is configuration a real user would give the
// SDKs for a sovereign or private cloud: an authority host, an ARM endpoint and the ARM
// audience. Nothing patches or wraps the SDKs themselves.
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const { ClientSecretCredential } = require("@azure/identity");

// The audience of ARM tokens. The SDKs would otherwise derive the scope from the endpoint
// (https://127.0.0.1:P/.default), which is not how ARM audiences work.
const ARM_SCOPE = "https://management.azure.com/.default";
const DATABRICKS_SCOPE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default";

function endpointsFile() {
  const file = process.env.ENVCTL_ENDPOINTS;
  if (!file) throw new Error("ENVCTL_ENDPOINTS is not set: run the suite through tests/conformance/run.sh");
  return file;
}

// Re-read on every call: the restart test starts a new cloudsim that rewrites the file.
function endpoints() {
  return JSON.parse(fs.readFileSync(endpointsFile(), "utf8"));
}

function credential(ep = endpoints(), secret = ep.client_secret) {
  return new ClientSecretCredential(ep.tenant_id, ep.client_id, secret, {
    authorityHost: ep.authority_host,
    disableInstanceDiscovery: true,
  });
}

// Options every ARM client takes. The autorest-generated clients (arm-resources,
// arm-datafactory) read `credentialScopes`; the TypeSpec-generated ones (arm-storage,
// arm-keyvault) read `credentials.scopes` (arm-keyvault would default to the endpoint).
function armOptions(ep = endpoints()) {
  return {
    endpoint: ep.arm_endpoint,
    credentialScopes: [ARM_SCOPE],
    credentials: { scopes: [ARM_SCOPE] },
  };
}

// Builds an @azure/arm-* client: armClient(ResourceManagementClient).
function armClient(ClientClass, ep = endpoints()) {
  return new ClientClass(credential(ep), ep.subscription_id, armOptions(ep));
}

// LRO options for begin*AndWait: cloudsim's Retry-After still wins when it sends one.
const LRO = { updateIntervalInMs: 50 };

// A unique, DNS-safe name: prefix + 10 hex chars (storage accounts: lower-case alnum only,
// so keep prefixes to [a-z0-9]).
function uniqueName(prefix) {
  return `${prefix}${crypto.randomBytes(5).toString("hex")}`;
}

// --- admin API (loopback only; what Azure has no API for) ---

async function admin(method, path, body, ep = endpoints()) {
  const res = await fetch(`${ep.admin_endpoint}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`admin ${method} ${path}: HTTP ${res.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

const stats = () => admin("GET", "/stats");
const resetStats = () => admin("DELETE", "/stats");
const addFault = (fault) => admin("POST", "/faults", fault);
const clearFaults = () => admin("DELETE", "/faults");
async function requestLog() {
  const log = await admin("GET", "/requests");
  return Array.isArray(log) ? log : log.requests;
}

// Polls `probe` (async, returns a truthy value when done) every `intervalMs` until it
// returns truthy or `timeoutMs` passes; returns the value or throws naming `what`.
async function waitFor(what, probe, { timeoutMs = 30000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// A token for an arbitrary scope from the same service principal.
async function token(scope, ep = endpoints()) {
  const t = await credential(ep).getToken(scope);
  return t.token;
}

module.exports = {
  ARM_SCOPE,
  DATABRICKS_SCOPE,
  LRO,
  addFault,
  admin,
  armClient,
  armOptions,
  clearFaults,
  credential,
  endpoints,
  requestLog,
  resetStats,
  stats,
  token,
  uniqueName,
  waitFor,
};
