// A vault in RBAC mode (enableRbacAuthorization) with @azure/arm-keyvault,
// @azure/arm-authorization and @azure/keyvault-secrets: as in Azure, owning the
// subscription grants no data access, so cloudsim's own principal is refused (403,
// code Forbidden, innererror ForbiddenByRbac, the data action named) until it holds a
// Key Vault data role at the vault: Secrets User reads but may not write, Secrets
// Officer writes; deleting the assignment takes the access away again.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { AuthorizationManagementClient } = require("@azure/arm-authorization");
const { SecretClient } = require("@azure/keyvault-secrets");
const { armClient, credential, endpoints, uniqueName } = require("../lib/cloud.js");
const { resourceGroup, vault } = require("../lib/fixtures.js");

const SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";

function secretClient(vaultUri) {
  return new SecretClient(vaultUri, credential(), { disableChallengeResourceVerification: true });
}

function forbiddenByRbac(action) {
  return (err) => {
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, "Forbidden");
    assert.match(err.message, /Caller is not authorized to perform action on resource/);
    assert.ok(err.message.includes(`Action: 'Microsoft.KeyVault/vaults/secrets/${action}'`), err.message);
    assert.match(err.message, /ForbiddenByRbac|Caller:/);
    return true;
  };
}

test("RBAC vault: data access only through a Key Vault data role", async (t) => {
  const ep = endpoints();
  const rg = await resourceGroup(t, "rg-kvrbac-");
  const auth = armClient(AuthorizationManagementClient);
  const kv = await vault(t, rg, { rbac: true, prefix: "kv-rbac-" });
  assert.equal(kv.properties.enableRbacAuthorization, true);
  assert.deepEqual(kv.properties.accessPolicies ?? [], []);
  const client = secretClient(kv.properties.vaultUri);
  const secret = uniqueName("s-");
  const value = `v-${crypto.randomBytes(8).toString("hex")}`;

  // The subscription's owner, with no data role yet.
  await assert.rejects(client.setSecret(secret, value), forbiddenByRbac("setSecret/action"));
  await assert.rejects(client.getSecret(secret), forbiddenByRbac("getSecret/action"));

  const grant = async (role) => {
    const assignment = crypto.randomUUID();
    await auth.roleAssignments.create(kv.id, assignment, {
      roleDefinitionId: `/subscriptions/${ep.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
      principalId: ep.object_id,
      principalType: "ServicePrincipal",
    });
    return assignment;
  };
  // Secrets User: reads, but may not write.
  const user = await grant(SECRETS_USER);
  await assert.rejects(client.setSecret(secret, value), forbiddenByRbac("setSecret/action"));
  await auth.roleAssignments.delete(kv.id, user);

  // Secrets Officer: writes and reads.
  const officer = await grant(SECRETS_OFFICER);
  const set = await client.setSecret(secret, value);
  assert.equal(set.value, value);
  assert.equal((await client.getSecret(secret)).value, value);
  const listed = [];
  for await (const p of client.listPropertiesOfSecrets()) listed.push(p.name);
  assert.deepEqual(listed, [secret]);

  // The grant removed, the access goes with it.
  await auth.roleAssignments.delete(kv.id, officer);
  await assert.rejects(client.getSecret(secret), forbiddenByRbac("getSecret/action"));
});
