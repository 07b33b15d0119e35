// @azure/arm-authorization (role definitions and role assignments, 2022-04-01) and
// @azure/arm-msi (user-assigned identities) against cloudsim: built-in roles by name with
// their well-known GUIDs, assignments at resource-group and resource scope, idempotent
// re-create, RoleAssignmentExists for a second name, list filters, delete.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { AuthorizationManagementClient } = require("@azure/arm-authorization");
const { ManagedServiceIdentityClient } = require("@azure/arm-msi");
const { StorageManagementClient } = require("@azure/arm-storage");
const { LRO, armClient, endpoints, uniqueName } = require("../lib/cloud.js");
const { LOCATION, resourceGroup } = require("../lib/fixtures.js");

const BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

test("role definitions: built-in roles by name and by id", async () => {
  const ep = endpoints();
  const auth = armClient(AuthorizationManagementClient);
  const scope = `/subscriptions/${ep.subscription_id}`;
  const found = await collect(
    auth.roleDefinitions.list(scope, { filter: "roleName eq 'Storage Blob Data Contributor'" }),
  );
  assert.equal(found.length, 1);
  assert.equal(found[0].name, BLOB_CONTRIBUTOR);
  assert.equal(found[0].roleName, "Storage Blob Data Contributor");
  assert.equal(found[0].roleType, "BuiltInRole");
  assert.equal(found[0].type, "Microsoft.Authorization/roleDefinitions");
  assert.ok(found[0].permissions[0].dataActions.length > 0);
  const byId = await auth.roleDefinitions.get(scope, "4633458b-17de-408a-b874-0445c86b69e6");
  assert.equal(byId.roleName, "Key Vault Secrets User");
  await assert.rejects(auth.roleDefinitions.get(scope, crypto.randomUUID()), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "RoleDefinitionDoesNotExist");
    return true;
  });
});

test("user-assigned identities and role assignments on a storage account", async (t) => {
  const ep = endpoints();
  const rg = await resourceGroup(t, "rg-rbac-");
  const msi = armClient(ManagedServiceIdentityClient);
  const auth = armClient(AuthorizationManagementClient);
  const storage = armClient(StorageManagementClient);
  const idName = uniqueName("id-");
  const identity = await msi.userAssignedIdentities.createOrUpdate(rg, idName, {
    location: LOCATION,
    tags: { team: "data" },
  });
  assert.equal(identity.name, idName);
  assert.equal(identity.type, "Microsoft.ManagedIdentity/userAssignedIdentities");
  assert.match(identity.principalId, /^[0-9a-f-]{36}$/);
  assert.match(identity.clientId, /^[0-9a-f-]{36}$/);
  assert.equal(identity.tenantId, ep.tenant_id);
  const again = await msi.userAssignedIdentities.createOrUpdate(rg, idName, { location: LOCATION });
  assert.equal(again.principalId, identity.principalId, "the principal survives a replace");
  const listed = await collect(msi.userAssignedIdentities.listByResourceGroup(rg));
  assert.deepEqual(listed.map((i) => i.name), [idName]);
  const patched = await msi.userAssignedIdentities.update(rg, idName, { tags: { team: "ml" } });
  assert.deepEqual(patched.tags, { team: "ml" });

  const account = uniqueName("rbac");
  const created = await storage.storageAccounts.beginCreateAndWait(
    rg,
    account,
    { location: LOCATION, sku: { name: "Standard_LRS" }, kind: "StorageV2" },
    LRO,
  );
  const scope = created.id;
  const roleDefinitionId = `/subscriptions/${ep.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${BLOB_CONTRIBUTOR}`;
  const name = crypto.randomUUID();
  const params = { roleDefinitionId, principalId: identity.principalId, principalType: "ServicePrincipal" };

  await t.test("create, get, re-create with the same name", async () => {
    const ra = await auth.roleAssignments.create(scope, name, params);
    assert.equal(ra.name, name);
    assert.equal(ra.type, "Microsoft.Authorization/roleAssignments");
    assert.equal(ra.id.toLowerCase(), `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`.toLowerCase());
    assert.equal(ra.scope.toLowerCase(), scope.toLowerCase());
    assert.equal(ra.principalId, identity.principalId);
    assert.equal(ra.principalType, "ServicePrincipal");
    assert.equal(ra.roleDefinitionId.toLowerCase(), roleDefinitionId.toLowerCase());
    const got = await auth.roleAssignments.get(scope, name);
    assert.equal(got.principalId, identity.principalId);
    const byId = await auth.roleAssignments.getById(ra.id);
    assert.equal(byId.name, name);
    const same = await auth.roleAssignments.create(scope, name, params);
    assert.equal(same.name, name, "an identical re-create is accepted");
  });

  await t.test("a second name for the same grant is RoleAssignmentExists", async () => {
    await assert.rejects(auth.roleAssignments.create(scope, crypto.randomUUID(), params), (err) => {
      assert.equal(err.statusCode, 409);
      assert.equal(err.code, "RoleAssignmentExists");
      return true;
    });
  });

  await t.test("changing the principal of an assignment is refused", async () => {
    await assert.rejects(
      auth.roleAssignments.create(scope, name, { ...params, principalId: crypto.randomUUID() }),
      (err) => {
        assert.equal(err.statusCode, 409);
        assert.equal(err.code, "RoleAssignmentUpdateNotPermitted");
        return true;
      },
    );
  });

  await t.test("lists: for the resource group (below), for scope, by principal", async () => {
    const inGroup = await collect(auth.roleAssignments.listForResourceGroup(rg));
    assert.ok(inGroup.some((r) => r.name === name), "an assignment on a resource shows in its group's list");
    const atScope = await collect(auth.roleAssignments.listForScope(scope, { filter: "atScope()" }));
    assert.ok(atScope.some((r) => r.name === name));
    const byPrincipal = await collect(
      auth.roleAssignments.listForScope(`/subscriptions/${ep.subscription_id}`, {
        filter: `principalId eq '${identity.principalId}'`,
      }),
    );
    assert.deepEqual(byPrincipal.map((r) => r.name), [name]);
  });

  await t.test("delete, then 404 RoleAssignmentNotFound", async () => {
    const deleted = await auth.roleAssignments.delete(scope, name);
    assert.equal(deleted.name, name);
    await assert.rejects(auth.roleAssignments.get(scope, name), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, "RoleAssignmentNotFound");
      return true;
    });
  });

  await t.test("an unknown role definition is RoleDefinitionDoesNotExist", async () => {
    const bogus = `/subscriptions/${ep.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${crypto.randomUUID()}`;
    await assert.rejects(
      auth.roleAssignments.create(scope, crypto.randomUUID(), { ...params, roleDefinitionId: bogus }),
      (err) => {
        assert.equal(err.statusCode, 400);
        assert.equal(err.code, "RoleDefinitionDoesNotExist");
        return true;
      },
    );
  });

  await t.test("identity delete", async () => {
    await msi.userAssignedIdentities.delete(rg, idName);
    await assert.rejects(msi.userAssignedIdentities.get(rg, idName), (err) => err.statusCode === 404);
  });
});
