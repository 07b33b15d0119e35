// @azure/keyvault-secrets: attributes, disabled secrets, soft delete + recover, backup/restore,
// and data-plane paging. Real-service shapes: reference §6 and the 7.x spec examples.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { SecretClient } = require("@azure/keyvault-secrets");
const { credential, uniqueName } = require("../lib/cloud.js");
const { resourceGroup, vault } = require("../lib/fixtures.js");

function secretClient(vaultUri) {
  return new SecretClient(vaultUri, credential(), { disableChallengeResourceVerification: true });
}

// A random value; never printed (assert messages below never include it).
const secretValue = (tag) => `${tag}-${crypto.randomBytes(8).toString("hex")}`;

// Whole seconds: Key Vault stores attributes as Unix epoch seconds.
const epochSeconds = (d) => Math.floor(d.getTime() / 1000);

test("secret attributes: contentType, tags, nbf/exp round-trip; a disabled secret's get is 403 SecretDisabled", async (t) => {
  const rg = await resourceGroup(t, "rg-kva-");
  const kv = await vault(t, rg);
  const client = secretClient(kv.properties.vaultUri);
  const name = uniqueName("attrs-");
  const notBefore = new Date(Date.now() - 3600 * 1000);
  const expiresOn = new Date(Date.now() + 30 * 86400 * 1000);

  const set = await client.setSecret(name, secretValue("a"), {
    contentType: "application/json",
    tags: { owner: "data", tier: "gold" },
    notBefore,
    expiresOn,
  });
  assert.equal(set.properties.contentType, "application/json");
  assert.deepEqual(set.properties.tags, { owner: "data", tier: "gold" });
  assert.ok(set.properties.notBefore instanceof Date);
  assert.equal(epochSeconds(set.properties.notBefore), epochSeconds(notBefore));
  assert.equal(epochSeconds(set.properties.expiresOn), epochSeconds(expiresOn));
  assert.equal(set.properties.recoveryLevel, "Recoverable+Purgeable");
  assert.equal(set.properties.recoverableDays, 7, "the vault's softDeleteRetentionInDays");

  const got = await client.getSecret(name);
  assert.equal(got.properties.contentType, "application/json");
  assert.deepEqual(got.properties.tags, { owner: "data", tier: "gold" });
  assert.equal(epochSeconds(got.properties.expiresOn), epochSeconds(expiresOn));
  assert.equal(epochSeconds(got.properties.notBefore), epochSeconds(notBefore));

  // Key Vault records nbf/exp but does not enforce them on secret reads: a not-yet-valid or
  // expired version is still returned (only `enabled` gates get).
  const early = uniqueName("early-");
  const earlyValue = secretValue("e");
  await client.setSecret(early, earlyValue, {
    notBefore: new Date(Date.now() + 86400 * 1000),
    expiresOn: new Date(Date.now() - 3600 * 1000),
  });
  assert.ok((await client.getSecret(early)).value === earlyValue, "outside nbf/exp, get still answers");

  // A secret created disabled: set answers with it, get is refused, list still shows it.
  const off = uniqueName("off-");
  const disabled = await client.setSecret(off, secretValue("d"), { enabled: false });
  assert.equal(disabled.properties.enabled, false);
  await assert.rejects(client.getSecret(off), (err) => {
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, "Forbidden");
    assert.equal(err.message, "Operation get is not allowed on a disabled secret.");
    assert.equal(err.details?.error?.innererror?.code ?? err.details?.error?.innerError?.code, "SecretDisabled");
    return true;
  });
  const versions = [];
  for await (const p of client.listPropertiesOfSecretVersions(off)) versions.push(p);
  assert.equal(versions.length, 1);
  assert.equal(versions[0].enabled, false);

  // Enabling the version again makes it readable.
  const enabled = await client.updateSecretProperties(off, disabled.properties.version, { enabled: true });
  assert.equal(enabled.enabled, true);
  assert.equal((await client.getSecret(off)).properties.enabled, true);
});

test("secret versions: the old version keeps its value and attributes", async (t) => {
  const rg = await resourceGroup(t, "rg-kvv-");
  const kv = await vault(t, rg);
  const client = secretClient(kv.properties.vaultUri);
  const name = uniqueName("ver-");
  const v1 = secretValue("one");
  const v2 = secretValue("two");
  const first = await client.setSecret(name, v1, { contentType: "text/plain", tags: { gen: "1" } });
  const second = await client.setSecret(name, v2, { tags: { gen: "2" } });
  assert.notEqual(first.properties.version, second.properties.version);

  const old = await client.getSecret(name, { version: first.properties.version });
  assert.ok(old.value === v1, "the first version keeps the first value");
  assert.equal(old.properties.version, first.properties.version);
  assert.equal(old.properties.contentType, "text/plain");
  assert.deepEqual(old.properties.tags, { gen: "1" });
  const latest = await client.getSecret(name);
  assert.ok(latest.value === v2, "the latest version has the second value");
  assert.equal(latest.properties.contentType, undefined, "attributes are per version");

  const listed = [];
  for await (const p of client.listPropertiesOfSecretVersions(name)) {
    assert.equal(p.value, undefined, "version items carry no value");
    assert.equal(p.name, name);
    listed.push(p.version);
  }
  assert.deepEqual(listed.sort(), [first.properties.version, second.properties.version].sort());

  await assert.rejects(client.getSecret(name, { version: "0".repeat(32) }), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "SecretNotFound");
    return true;
  });
});

test("soft delete: getDeletedSecret, listDeletedSecrets, 409 on reuse, recover restores every version", async (t) => {
  const rg = await resourceGroup(t, "rg-kvr-");
  const kv = await vault(t, rg);
  const client = secretClient(kv.properties.vaultUri);
  const name = uniqueName("rec-");
  const v1 = secretValue("r1");
  const first = await client.setSecret(name, v1, { tags: { k: "v" }, contentType: "text/plain" });
  await client.setSecret(name, secretValue("r2"), { tags: { k: "v" } });

  const before = Date.now();
  const poller = await client.beginDeleteSecret(name, { intervalInMs: 50 });
  const deleted = await poller.pollUntilDone();
  assert.equal(deleted.name, name);

  const got = await client.getDeletedSecret(name);
  assert.equal(got.name, name);
  assert.equal(got.value, undefined, "a deleted secret carries no value");
  assert.equal(got.properties.recoveryId, new URL(`deletedsecrets/${name}`, kv.properties.vaultUri).href);
  assert.ok(got.properties.deletedOn instanceof Date);
  assert.ok(got.properties.scheduledPurgeDate instanceof Date);
  assert.ok(Math.abs(got.properties.deletedOn.getTime() - before) < 60_000, "deletedOn is now");
  const retentionMs = got.properties.scheduledPurgeDate.getTime() - got.properties.deletedOn.getTime();
  assert.equal(retentionMs, 7 * 86400 * 1000, "scheduledPurgeDate = deletedOn + the vault's 7 retention days");

  const deletedItems = [];
  for await (const d of client.listDeletedSecrets()) deletedItems.push(d);
  const mine = deletedItems.find((d) => d.name === name);
  assert.ok(mine, "listed as deleted");
  assert.ok(mine.properties.recoveryId);
  assert.ok(mine.properties.scheduledPurgeDate instanceof Date);
  assert.deepEqual(mine.properties.tags, { k: "v" }, "deleted items carry the latest version's tags");

  // Writing a soft-deleted name is 409 with innererror ObjectIsDeletedButRecoverable.
  await assert.rejects(client.setSecret(name, "ignored"), (err) => {
    assert.equal(err.statusCode, 409);
    assert.equal(err.code, "Conflict");
    assert.match(err.message, /deleted but recoverable state/);
    assert.equal(
      err.details?.error?.innererror?.code ?? err.details?.error?.innerError?.code,
      "ObjectIsDeletedButRecoverable",
    );
    return true;
  });

  const recoverPoller = await client.beginRecoverDeletedSecret(name, { intervalInMs: 50 });
  const recovered = await recoverPoller.pollUntilDone();
  assert.equal(recovered.name, name);
  await assert.rejects(client.getDeletedSecret(name), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "SecretNotFound");
    return true;
  });
  const old = await client.getSecret(name, { version: first.properties.version });
  assert.ok(old.value === v1, "the recovered secret keeps its old versions");
  assert.deepEqual(old.properties.tags, { k: "v" });
  const versions = [];
  for await (const p of client.listPropertiesOfSecretVersions(name)) versions.push(p.version);
  assert.equal(versions.length, 2);
});

test("backupSecret / restoreSecretBackup bring a purged secret back with its versions", async (t) => {
  const rg = await resourceGroup(t, "rg-kvb-");
  const kv = await vault(t, rg);
  const client = secretClient(kv.properties.vaultUri);
  const name = uniqueName("bak-");
  const v1 = secretValue("b1");
  const first = await client.setSecret(name, v1, { contentType: "text/plain" });
  await client.setSecret(name, secretValue("b2"));

  const backup = await client.backupSecret(name);
  assert.ok(backup instanceof Uint8Array && backup.length > 0, "a backup blob");
  assert.ok(!Buffer.from(backup).toString("latin1").includes(v1), "the blob does not expose the value");

  // Restoring over a live secret is refused.
  await assert.rejects(client.restoreSecretBackup(backup), (err) => {
    assert.equal(err.statusCode, 409);
    assert.equal(err.code, "Conflict");
    return true;
  });

  const poller = await client.beginDeleteSecret(name, { intervalInMs: 50 });
  await poller.pollUntilDone();
  await client.purgeDeletedSecret(name);
  await assert.rejects(client.getSecret(name), (err) => err.statusCode === 404);

  const restored = await client.restoreSecretBackup(backup);
  assert.equal(restored.name, name);
  assert.equal(restored.enabled, true);
  const old = await client.getSecret(name, { version: first.properties.version });
  assert.ok(old.value === v1, "the restored secret has its old version");
  assert.equal(old.properties.contentType, "text/plain");
  const versions = [];
  for await (const p of client.listPropertiesOfSecretVersions(name)) versions.push(p.version);
  assert.equal(versions.length, 2);

  await assert.rejects(client.backupSecret(uniqueName("nobak-")), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "SecretNotFound");
    return true;
  });
});

test("listPropertiesOfSecrets pages with maxresults and nextLink; no values in items", async (t) => {
  const rg = await resourceGroup(t, "rg-kvp-");
  const kv = await vault(t, rg);
  const client = secretClient(kv.properties.vaultUri);
  const names = [];
  for (let i = 0; i < 5; i++) {
    const n = uniqueName(`page${i}-`);
    names.push(n);
    await client.setSecret(n, secretValue(`p${i}`), { tags: { i: String(i) } });
  }
  const seen = [];
  let pages = 0;
  for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) {
    pages++;
    assert.ok(page.length <= 2, `maxresults=2 honoured, got ${page.length}`);
    for (const p of page) {
      assert.equal(p.value, undefined, "list items carry no value");
      assert.equal(p.version, undefined, "list item ids carry no version");
      assert.deepEqual(p.tags, { i: String(names.indexOf(p.name)) });
      seen.push(p.name);
    }
  }
  assert.equal(pages, 3, "5 secrets at 2 a page");
  assert.deepEqual(seen.sort(), [...names].sort());

  // The default page also follows nextLink to the end.
  const all = [];
  for await (const p of client.listPropertiesOfSecrets()) all.push(p.name);
  assert.deepEqual(all.sort(), [...names].sort());
});
