// Secrets API 2.0 through @databricks/sdk-experimental: scopes (Databricks- and Azure Key
// Vault-backed), secrets (string and bytes, get, list without values), ACLs and the error
// codes of reference §5. Secret values are never printed: assertions compare them without
// putting them in messages.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { endpoints, uniqueName } = require("../lib/cloud.js");
const { apiError, b64, sdkGet, sdkSession } = require("../lib/databricks.js");

async function scopes(w) {
  const out = [];
  for await (const s of w.secrets.listScopes()) out.push(s);
  return out;
}

test("secrets through the official SDK", async (t) => {
  const { w, aad } = await sdkSession(t, "rg-dbw-sec-");
  const scope = uniqueName("conf-scope-");
  const STRING_VALUE = `s3cr3t-${uniqueName("")}`;
  const BYTES_VALUE = Buffer.from([0, 1, 2, 250, 255]);

  await t.test("a scope is created once; names are case-insensitive", async () => {
    await w.secrets.createScope({ scope, initial_manage_principal: "users" });
    await assert.rejects(w.secrets.createScope({ scope }), apiError(400, "RESOURCE_ALREADY_EXISTS", /already exists/));
    await assert.rejects(w.secrets.createScope({ scope: scope.toUpperCase() }), apiError(400, "RESOURCE_ALREADY_EXISTS"));
    await assert.rejects(w.secrets.createScope({ scope: "bad scope!" }), apiError(400, "INVALID_PARAMETER_VALUE"));
    const mine = (await scopes(w)).find((s) => s.name === scope);
    assert.ok(mine, "the scope is listed");
    assert.equal(mine.backend_type, "DATABRICKS");
    assert.equal(mine.keyvault_metadata, undefined);
  });

  await t.test("an Azure Key Vault-backed scope needs an Entra ID token, not a PAT", async () => {
    const ep = endpoints();
    const kv = {
      resource_id: `/subscriptions/${ep.subscription_id}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kvconf`,
      dns_name: "https://kvconf.vault.azure.net/",
    };
    const kvScope = uniqueName("conf-kv-");
    await assert.rejects(
      w.secrets.createScope({ scope: kvScope, scope_backend_type: "AZURE_KEYVAULT", backend_azure_keyvault: kv }),
      apiError(400, "INVALID_PARAMETER_VALUE", /Scope with Azure KeyVault must have userAADToken defined!/),
    );
    await aad.secrets.createScope({ scope: kvScope, scope_backend_type: "AZURE_KEYVAULT", backend_azure_keyvault: kv });
    const listed = (await scopes(w)).find((s) => s.name === kvScope);
    assert.ok(listed, "the AKV scope is listed");
    assert.equal(listed.backend_type, "AZURE_KEYVAULT");
    assert.deepEqual(listed.keyvault_metadata, kv);
    // AKV-backed scopes are read-only through the Secrets API.
    await assert.rejects(
      w.secrets.putSecret({ scope: kvScope, key: "k", string_value: "v" }),
      apiError(400, "BAD_REQUEST"),
    );
    await w.secrets.deleteScope({ scope: kvScope });
    assert.ok(!(await scopes(w)).some((s) => s.name === kvScope));
  });

  await t.test("put string and bytes values; list shows keys and timestamps, never values", async () => {
    await w.secrets.putSecret({ scope, key: "db-password", string_value: STRING_VALUE });
    await w.secrets.putSecret({ scope, key: "blob", bytes_value: BYTES_VALUE.toString("base64") });
    const first = await sdkGet(w, "/api/2.0/secrets/list", { scope });
    assert.deepEqual(first.secrets.map((s) => s.key).sort(), ["blob", "db-password"]);
    for (const s of first.secrets) {
      assert.deepEqual(Object.keys(s).sort(), ["key", "last_updated_timestamp"], "no value field");
      assert.ok(s.last_updated_timestamp > 1e12, "epoch milliseconds");
    }
    const serialized = JSON.stringify(first);
    assert.ok(!serialized.includes(STRING_VALUE), "the value is not in the list response");

    const before = first.secrets.find((s) => s.key === "db-password").last_updated_timestamp;
    await w.secrets.putSecret({ scope, key: "db-password", string_value: `${STRING_VALUE}-2` });
    const second = await sdkGet(w, "/api/2.0/secrets/list", { scope });
    assert.equal(second.secrets.length, 2, "put overwrites an existing key");
    assert.ok(second.secrets.find((s) => s.key === "db-password").last_updated_timestamp >= before);
  });

  await t.test("secrets/get returns the value as base64 bytes", async () => {
    const str = await sdkGet(w, "/api/2.0/secrets/get", { scope, key: "db-password" });
    assert.equal(str.key, "db-password");
    assert.ok(Buffer.from(str.value, "base64").toString("utf8") === `${STRING_VALUE}-2`, "string value round-trips");
    const bytes = await sdkGet(w, "/api/2.0/secrets/get", { scope, key: "blob" });
    assert.ok(Buffer.from(bytes.value, "base64").equals(BYTES_VALUE), "bytes value round-trips");
    await assert.rejects(
      sdkGet(w, "/api/2.0/secrets/get", { scope, key: "no-such-key" }),
      apiError(404, "RESOURCE_DOES_NOT_EXIST"),
    );
    await assert.rejects(
      sdkGet(w, "/api/2.0/secrets/get", { scope: "no-such-scope", key: "k" }),
      apiError(404, "RESOURCE_DOES_NOT_EXIST"),
    );
  });

  await t.test("ACLs: put, get, list and delete READ/WRITE/MANAGE; a bad permission is refused", async () => {
    let list = await sdkGet(w, "/api/2.0/secrets/acls/list", { scope });
    assert.ok(
      list.items.some((a) => a.principal === "users" && a.permission === "MANAGE"),
      "initial_manage_principal=users grants MANAGE",
    );
    for (const permission of ["READ", "WRITE", "MANAGE"]) {
      await w.secrets.putAcl({ scope, principal: "data-eng", permission });
      const got = await sdkGet(w, "/api/2.0/secrets/acls/get", { scope, principal: "data-eng" });
      assert.deepEqual(got, { principal: "data-eng", permission });
    }
    await w.secrets.putAcl({ scope, principal: "users", permission: "READ" });
    list = await sdkGet(w, "/api/2.0/secrets/acls/list", { scope });
    const acls = Object.fromEntries(list.items.map((a) => [a.principal, a.permission]));
    assert.equal(acls.users, "READ", "put overwrites");
    assert.equal(acls["data-eng"], "MANAGE");

    await assert.rejects(
      w.secrets.putAcl({ scope, principal: "data-eng", permission: "OWNER" }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
    );
    await w.secrets.deleteAcl({ scope, principal: "data-eng" });
    await assert.rejects(
      sdkGet(w, "/api/2.0/secrets/acls/get", { scope, principal: "data-eng" }),
      apiError(404, "RESOURCE_DOES_NOT_EXIST"),
    );
    list = await sdkGet(w, "/api/2.0/secrets/acls/list", { scope });
    assert.ok(!list.items.some((a) => a.principal === "data-eng"));
  });

  await t.test("delete secret and scope; a missing scope is 404 RESOURCE_DOES_NOT_EXIST", async () => {
    await w.secrets.deleteSecret({ scope, key: "blob" });
    await assert.rejects(w.secrets.deleteSecret({ scope, key: "blob" }), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
    const left = await sdkGet(w, "/api/2.0/secrets/list", { scope });
    assert.deepEqual(left.secrets.map((s) => s.key), ["db-password"]);

    await w.secrets.deleteScope({ scope });
    assert.ok(!(await scopes(w)).some((s) => s.name === scope));
    const missing = apiError(404, "RESOURCE_DOES_NOT_EXIST", new RegExp(scope));
    await assert.rejects(w.secrets.deleteScope({ scope }), missing);
    await assert.rejects(w.secrets.putSecret({ scope, key: "k", string_value: "v" }), missing);
    await assert.rejects(sdkGet(w, "/api/2.0/secrets/list", { scope }), missing);
    await assert.rejects(sdkGet(w, "/api/2.0/secrets/acls/list", { scope }), missing);
    await assert.rejects(w.secrets.putAcl({ scope, principal: "users", permission: "READ" }), missing);
  });
});
