// @azure/keyvault-secrets 4.11 against a cloudsim vault's own origin (from vaultUri).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { SecretClient } = require("@azure/keyvault-secrets");
const { credential, uniqueName } = require("../lib/cloud.js");
const { resourceGroup, vault } = require("../lib/fixtures.js");

// The vault's challenge names resource https://vault.azure.net while the vault lives on
// 127.0.0.1, so the SDK's anti-token-leak domain check has to be turned off (reference §13).
function secretClient(vaultUri) {
  return new SecretClient(vaultUri, credential(), { disableChallengeResourceVerification: true });
}

test("secrets: set, get, list, update properties, delete (poller), purge", async (t) => {
  const rg = await resourceGroup(t, "rg-kvs-");
  const kv = await vault(t, rg);
  const client = secretClient(kv.properties.vaultUri);
  const name = uniqueName("db-pat-");
  const value1 = `v1-${crypto.randomBytes(8).toString("hex")}`;
  const value2 = `v2-${crypto.randomBytes(8).toString("hex")}`;

  const set1 = await client.setSecret(name, value1, { contentType: "text/plain", tags: { env: "conf" } });
  assert.equal(set1.name, name);
  assert.equal(set1.value, value1);
  assert.match(set1.properties.version, /^[0-9a-f]{32}$/, "version is 32 hex chars");
  assert.equal(set1.properties.contentType, "text/plain");
  assert.deepEqual(set1.properties.tags, { env: "conf" });
  assert.equal(set1.properties.enabled, true);
  assert.ok(set1.properties.createdOn instanceof Date);
  assert.equal(new URL(set1.properties.id).origin, new URL(kv.properties.vaultUri).origin);

  const set2 = await client.setSecret(name, value2);
  assert.notEqual(set2.properties.version, set1.properties.version, "every set is a new version");

  const latest = await client.getSecret(name);
  assert.equal(latest.value, value2);
  assert.equal(latest.properties.version, set2.properties.version);
  const old = await client.getSecret(name, { version: set1.properties.version });
  assert.equal(old.value, value1);

  const versions = [];
  for await (const p of client.listPropertiesOfSecretVersions(name)) versions.push(p.version);
  assert.deepEqual(versions.sort(), [set1.properties.version, set2.properties.version].sort());

  // Three more secrets so the list spans pages (cloudsim runs with page size 2).
  const others = [];
  for (let i = 0; i < 3; i++) {
    const n = uniqueName(`other${i}-`);
    others.push(n);
    await client.setSecret(n, `x${i}`);
  }
  const listed = [];
  for await (const p of client.listPropertiesOfSecrets()) {
    assert.equal(p.value, undefined, "list items carry no value");
    listed.push(p.name);
  }
  assert.deepEqual(listed.sort(), [name, ...others].sort());

  const updated = await client.updateSecretProperties(name, set2.properties.version, {
    contentType: "application/x-pat",
    tags: { rotated: "yes" },
  });
  assert.equal(updated.contentType, "application/x-pat");
  assert.deepEqual(updated.tags, { rotated: "yes" });
  const reread = await client.getSecret(name);
  assert.equal(reread.value, value2, "updating properties keeps the value");
  assert.equal(reread.properties.contentType, "application/x-pat");

  const poller = await client.beginDeleteSecret(name, { intervalInMs: 100 });
  const deleted = await poller.pollUntilDone();
  assert.equal(deleted.name, name);
  assert.ok(deleted.recoveryId, "a recovery id");
  assert.ok(deleted.properties.deletedOn instanceof Date);
  await assert.rejects(client.getSecret(name), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "SecretNotFound");
    return true;
  });
  // A soft-deleted name cannot be reused.
  await assert.rejects(client.setSecret(name, "again"), (err) => {
    assert.equal(err.statusCode, 409);
    assert.equal(err.code, "Conflict");
    return true;
  });
  const deletedNames = [];
  for await (const d of client.listDeletedSecrets()) deletedNames.push(d.name);
  assert.ok(deletedNames.includes(name));

  await client.purgeDeletedSecret(name);
  await assert.rejects(client.getDeletedSecret(name), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "SecretNotFound");
    return true;
  });
  const reused = await client.setSecret(name, value1);
  assert.equal(reused.value, value1, "the purged name is free again");
});

test("a missing secret is 404 SecretNotFound naming it", async (t) => {
  const rg = await resourceGroup(t, "rg-kvm-");
  const kv = await vault(t, rg);
  const client = secretClient(kv.properties.vaultUri);
  const name = uniqueName("missing-");
  await assert.rejects(client.getSecret(name), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "SecretNotFound");
    assert.match(err.message, new RegExp(name));
    return true;
  });
});

test("a caller without an access policy is denied with 403 Forbidden", async (t) => {
  const rg = await resourceGroup(t, "rg-kvd-");
  // The vault grants some other principal; the client has no policy on it.
  const kv = await vault(t, rg, { objectIds: [crypto.randomUUID()] });
  const client = secretClient(kv.properties.vaultUri);
  await assert.rejects(client.setSecret(uniqueName("denied-"), "nope"), (err) => {
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, "Forbidden");
    assert.ok(!err.message.includes("nope"), "the secret value is not echoed");
    return true;
  });
  await assert.rejects(client.getSecret("anything"), (err) => {
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, "Forbidden");
    return true;
  });
});
