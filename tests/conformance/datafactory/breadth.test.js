// @azure/arm-datafactory beyond linked services and pipelines: global parameters, data
// flows, managed and self-hosted integration runtimes (listAuthKeys), credentials,
// managed virtual networks with managed private endpoints, a factory with a
// user-assigned identity, and configureFactoryRepo.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { ManagedServiceIdentityClient } = require("@azure/arm-msi");
const { armClient, endpoints, uniqueName } = require("../lib/cloud.js");
const { LOCATION } = require("../lib/fixtures.js");
const { allPages, factoryFixture } = require("./lib.js");

test("data factory: the rest of the Git folder", async (t) => {
  const fx = await factoryFixture(t, "adf-breadth-");
  const { adf, rg, factory } = fx;
  const ep = endpoints();

  await t.test("global parameters: default set, type capitalized, mirrored on the factory", async () => {
    const gp = await adf.globalParameters.createOrUpdate(rg, factory, "default", {
      properties: { waitTime: { type: "int", value: 5 }, env: { type: "String", value: "test" } },
    });
    assert.equal(gp.name, "default");
    assert.equal(gp.type, "Microsoft.DataFactory/factories/globalParameters");
    assert.equal(gp.properties.waitTime.type, "Int");
    const got = await adf.globalParameters.get(rg, factory, "default");
    assert.equal(got.properties.env.value, "test");
    const f = await adf.factories.get(rg, factory);
    assert.equal(f.globalParameters.waitTime.value, 5);
  });

  await t.test("data flows reference datasets", async () => {
    await adf.linkedServices.createOrUpdate(rg, factory, "Lake", {
      properties: { type: "AzureBlobFS", url: "https://lake.dfs.core.windows.net/" },
    });
    await adf.datasets.createOrUpdate(rg, factory, "Trips", {
      properties: {
        type: "Json",
        linkedServiceName: { referenceName: "Lake", type: "LinkedServiceReference" },
        location: { type: "AzureBlobFSLocation", fileSystem: "data" },
      },
    });
    const flow = await adf.dataFlows.createOrUpdate(rg, factory, "CleanTrips", {
      properties: {
        type: "MappingDataFlow",
        sources: [{ name: "trips", dataset: { referenceName: "Trips", type: "DatasetReference" } }],
        sinks: [{ name: "clean", dataset: { referenceName: "Trips", type: "DatasetReference" } }],
        transformations: [],
        script: "source(allowSchemaDrift: true) ~> trips\ntrips sink() ~> clean",
      },
    });
    assert.equal(flow.type, "Microsoft.DataFactory/factories/dataflows");
    assert.equal(flow.properties.type, "MappingDataFlow");
    await assert.rejects(
      adf.dataFlows.createOrUpdate(rg, factory, "Broken", {
        properties: {
          type: "MappingDataFlow",
          sources: [{ name: "s", dataset: { referenceName: "Missing", type: "DatasetReference" } }],
        },
      }),
      (err) => err.statusCode === 400 && /invalid reference 'Missing'/.test(err.message),
    );
    const { items } = await allPages(adf.dataFlows.listByFactory(rg, factory));
    assert.deepEqual(items.map((i) => i.name), ["CleanTrips"]);
  });

  await t.test("integration runtimes: managed Initial, self-hosted NeedRegistration with auth keys", async () => {
    const managed = await adf.integrationRuntimes.createOrUpdate(rg, factory, "ManagedIR", {
      properties: {
        type: "Managed",
        typeProperties: { computeProperties: { location: "AutoResolve" } },
      },
    });
    assert.equal(managed.properties.type, "Managed");
    assert.equal(managed.properties.state, "Initial");
    const shir = await adf.integrationRuntimes.createOrUpdate(rg, factory, "OnPrem", {
      properties: { type: "SelfHosted", description: "on-premises" },
    });
    assert.equal(shir.properties.state, "NeedRegistration");
    const keys = await adf.integrationRuntimes.listAuthKeys(rg, factory, "OnPrem");
    assert.match(keys.authKey1, /^IR@/);
    assert.match(keys.authKey2, /^IR@/);
    assert.notEqual(keys.authKey1, keys.authKey2);
    const regenerated = await adf.integrationRuntimes.regenerateAuthKey(rg, factory, "OnPrem", { keyName: "authKey2" });
    assert.notEqual(regenerated.authKey2, keys.authKey2);
    const status = await adf.integrationRuntimes.getStatus(rg, factory, "OnPrem");
    assert.equal(status.properties.state, "NeedRegistration");
    await assert.rejects(adf.integrationRuntimes.listAuthKeys(rg, factory, "ManagedIR"), (err) => err.statusCode === 400);
  });

  await t.test("credentials and a linked service using one", async () => {
    const msi = armClient(ManagedServiceIdentityClient);
    const uai = await msi.userAssignedIdentities.createOrUpdate(rg, uniqueName("id-adf-"), { location: LOCATION });
    const updated = await adf.factories.update(rg, factory, {
      identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [uai.id]: {} } },
    });
    assert.equal(updated.identity.type, "SystemAssigned,UserAssigned");
    assert.equal(updated.identity.userAssignedIdentities[uai.id].principalId, uai.principalId);
    assert.ok(updated.identity.principalId, "the system identity stays");
    const cred = await adf.credentialOperations.createOrUpdate(rg, factory, "JobIdentity", {
      properties: { type: "ManagedIdentity", typeProperties: { resourceId: uai.id } },
    });
    assert.equal(cred.type, "Microsoft.DataFactory/factories/credentials");
    await adf.linkedServices.createOrUpdate(rg, factory, "LakeAsJob", {
      properties: {
        type: "AzureBlobFS",
        url: "https://lake.dfs.core.windows.net/",
        credential: { referenceName: "JobIdentity", type: "CredentialReference" },
      },
    });
    await assert.rejects(adf.credentialOperations.delete(rg, factory, "JobIdentity"), (err) => err.statusCode === 400);
  });

  await t.test("managed virtual network and a managed private endpoint", async () => {
    const vnet = await adf.managedVirtualNetworks.createOrUpdate(rg, factory, "default", { properties: {} });
    assert.equal(vnet.type, "Microsoft.DataFactory/factories/managedVirtualNetworks");
    assert.equal(vnet.properties.alias, factory);
    assert.match(vnet.properties.vNetId, /^[0-9a-f-]{36}$/);
    const target = `/subscriptions/${ep.subscription_id}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/lake`;
    const pe = await adf.managedPrivateEndpoints.createOrUpdate(rg, factory, "default", "lake-dfs", {
      properties: { privateLinkResourceId: target, groupId: "dfs" },
    });
    assert.equal(pe.properties.provisioningState, "Succeeded");
    assert.equal(pe.properties.connectionState.status, "Pending");
    assert.deepEqual(pe.properties.fqdns, []);
    const { items } = await allPages(adf.managedPrivateEndpoints.listByFactory(rg, factory, "default"));
    assert.deepEqual(items.map((i) => i.name), ["lake-dfs"]);
    await adf.managedPrivateEndpoints.delete(rg, factory, "default", "lake-dfs");
  });

  await t.test("configureFactoryRepo links and unlinks the factory's Git repo", async () => {
    const f = await adf.factories.get(rg, factory);
    const linked = await adf.factories.configureFactoryRepo(LOCATION, {
      factoryResourceId: f.id,
      repoConfiguration: {
        type: "FactoryGitHubConfiguration",
        accountName: "contoso",
        repositoryName: "bikeshare-adf",
        collaborationBranch: "main",
        rootFolder: "/datafactory",
      },
    });
    assert.equal(linked.repoConfiguration.type, "FactoryGitHubConfiguration");
    assert.equal(linked.repoConfiguration.repositoryName, "bikeshare-adf");
    const got = await adf.factories.get(rg, factory);
    assert.equal(got.repoConfiguration.accountName, "contoso");
  });
});
