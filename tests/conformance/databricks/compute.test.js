// Clusters API 2.1, Cluster Policies API 2.0 and Libraries API 2.0 through
// @databricks/sdk-experimental, unmodified: cluster life cycle (create, get, list, edit,
// restart, delete = terminate, start, permanent-delete), autotermination, policies (create,
// get, list, edit, delete; clusters and one-time runs checked against them), libraries
// (install, cluster-status transitions, uninstall on restart, all-cluster-statuses) and
// cluster permissions. cloudsim runs at --speed 1000: a 30 s cluster start takes 30 ms.
// The SDK's generated GETs send no query string (reference appendix), so reads that need
// one go through sdkGet, the SDK's own apiClient with the query attached.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { uniqueName, waitFor } = require("../lib/cloud.js");
const { apiError, b64, sdkGet, sdkSession } = require("../lib/databricks.js");

const SPARK = "13.3.x-scala2.12";
const NODE = "Standard_DS3_v2";

test("clusters, cluster policies and libraries through the official SDK", async (t) => {
  const { w } = await sdkSession(t, "rg-dbw-compute-");
  const getCluster = (id) => sdkGet(w, "/api/2.1/clusters/get", { cluster_id: id });
  const getPolicy = (id) => sdkGet(w, "/api/2.0/policies/clusters/get", { policy_id: id });
  const libraryStatuses = async (id) =>
    (await sdkGet(w, "/api/2.0/libraries/cluster-status", { cluster_id: id })).library_statuses || [];
  // Polls the cluster until it is in `state`, recording the states seen on the way.
  const waitState = async (id, state, seen = []) =>
    waitFor(
      `cluster ${id} ${state}`,
      async () => {
        const c = await getCluster(id);
        if (seen[seen.length - 1] !== c.state) seen.push(c.state);
        return c.state === state ? c : null;
      },
      { timeoutMs: 60000, intervalMs: 20 },
    );
  const ids = {};

  await t.test("cluster policies: create, get, list, edit; names unique, definitions checked", async () => {
    const name = uniqueName("conf-policy-");
    const definition = {
      spark_version: { type: "fixed", value: SPARK },
      num_workers: { type: "range", maxValue: 2 },
      "custom_tags.team": { type: "fixed", value: "data" },
    };
    const created = await w.clusterPolicies.create({
      name,
      definition: JSON.stringify(definition),
      max_clusters_per_user: 3,
      description: "conformance",
    });
    assert.ok(created.policy_id, "a policy id");
    ids.policy = created.policy_id;
    const got = await getPolicy(created.policy_id);
    assert.equal(got.policy_id, created.policy_id);
    assert.equal(got.name, name);
    assert.equal(typeof got.definition, "string", "the definition is a JSON string");
    assert.deepEqual(JSON.parse(got.definition), definition);
    assert.equal(got.max_clusters_per_user, 3);
    assert.equal(got.description, "conformance");
    assert.ok(got.created_at_timestamp > 1e12, "epoch ms");
    assert.ok(got.creator_user_name);

    const listed = [];
    for await (const p of w.clusterPolicies.list({})) listed.push(p);
    assert.ok(listed.some((p) => p.policy_id === created.policy_id && p.name === name));

    await assert.rejects(
      w.clusterPolicies.create({ name, definition: "{}" }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
      "a second policy of the same name",
    );
    await assert.rejects(
      w.clusterPolicies.create({ name: uniqueName("bad-"), definition: JSON.stringify({ x: { type: "nope" } }) }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
    );
    await assert.rejects(
      w.clusterPolicies.create({ name: uniqueName("bad-"), definition: "not json" }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
    );

    definition.num_workers.maxValue = 3;
    await w.clusterPolicies.edit({ policy_id: created.policy_id, name, definition: JSON.stringify(definition) });
    assert.equal(JSON.parse((await getPolicy(created.policy_id)).definition).num_workers.maxValue, 3);
    await assert.rejects(getPolicy("0000000000000000"), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
  });

  await t.test("clusters: create goes PENDING -> RUNNING with the server's defaults", async () => {
    const waiter = await w.clusters.create({
      cluster_name: uniqueName("conf-cluster-"),
      spark_version: SPARK,
      node_type_id: NODE,
      num_workers: 1,
      spark_conf: { "spark.speculation": "true" },
      custom_tags: { team: "data" },
    });
    ids.cluster = waiter.cluster_id;
    assert.ok(ids.cluster, "create answers the cluster id");
    const seen = [];
    const running = await waitState(ids.cluster, "RUNNING", seen);
    assert.deepEqual(seen.filter((s) => s !== "RUNNING"), seen.length > 1 ? ["PENDING"] : [], `states: ${seen}`);
    assert.equal(running.cluster_id, ids.cluster);
    assert.equal(running.num_workers, 1);
    assert.equal(running.spark_conf["spark.speculation"], "true");
    assert.equal(running.driver_node_type_id, NODE);
    assert.equal(running.default_tags.ClusterId, ids.cluster);
    assert.equal(running.default_tags.Vendor, "Databricks");
    assert.equal(running.cluster_source, "API");
    assert.ok(running.start_time > 1e12);
    assert.equal(running.autotermination_minutes, undefined, "not set: never terminates by itself");

    const listed = [];
    for await (const c of w.clusters.list({})) listed.push(c);
    assert.ok(listed.some((c) => c.cluster_id === ids.cluster && c.state === "RUNNING"));

    await assert.rejects(
      getCluster("0000-000000-nosuch00"),
      apiError(400, "INVALID_PARAMETER_VALUE", /Cluster 0000-000000-nosuch00 does not exist/),
    );
    await assert.rejects(
      w.clusters.create({ cluster_name: "x", spark_version: SPARK, node_type_id: NODE, autotermination_minutes: 5 }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
      "autotermination below 10 minutes",
    );
  });

  await t.test("a cluster under a policy must comply; fixed values are filled in", async () => {
    await assert.rejects(
      w.clusters.create({
        cluster_name: "too-big",
        spark_version: SPARK,
        node_type_id: NODE,
        num_workers: 8,
        policy_id: ids.policy,
      }),
      apiError(400, "INVALID_PARAMETER_VALUE", /num_workers/),
    );
    const waiter = await w.clusters.create({
      cluster_name: uniqueName("conf-policed-"),
      node_type_id: NODE,
      num_workers: 2,
      policy_id: ids.policy,
    });
    const c = await getCluster(waiter.cluster_id);
    assert.equal(c.spark_version, SPARK, "the policy's fixed spark_version");
    assert.equal(c.custom_tags.team, "data");
    assert.equal(c.policy_id, ids.policy);
    await w.clusters.permanentDelete({ cluster_id: waiter.cluster_id });
    await assert.rejects(getCluster(waiter.cluster_id), apiError(400, "INVALID_PARAMETER_VALUE"));
  });

  await t.test("runs/submit checks a new_cluster against its policy", async () => {
    const notebook = `/Shared/${uniqueName("policy-nb-")}`;
    await w.workspace.import({
      path: notebook,
      format: "SOURCE",
      language: "PYTHON",
      content: b64("# Databricks notebook source\ndbutils.notebook.exit('ok')\n"),
      overwrite: true,
    });
    await assert.rejects(
      w.jobs.submit({
        run_name: "policy-violation",
        tasks: [
          {
            task_key: "main",
            notebook_task: { notebook_path: notebook },
            new_cluster: { spark_version: "12.2.x-scala2.12", node_type_id: NODE, num_workers: 1, policy_id: ids.policy },
          },
        ],
      }),
      apiError(400, "INVALID_PARAMETER_VALUE", /Validation failed for spark_version/),
    );
    const ok = await w.jobs.submit({
      run_name: "policy-compliant",
      tasks: [
        {
          task_key: "main",
          notebook_task: { notebook_path: notebook },
          new_cluster: { node_type_id: NODE, num_workers: 1, policy_id: ids.policy },
        },
      ],
    });
    const run = await sdkGet(w, "/api/2.2/jobs/runs/get", { run_id: ok.run_id });
    assert.equal(run.tasks[0].new_cluster.spark_version, SPARK, "the policy's fixed value is filled in");
  });

  await t.test("edit and restart of a running cluster go RESTARTING -> RUNNING", async () => {
    await w.clusters.edit({
      cluster_id: ids.cluster,
      cluster_name: "conf-edited",
      spark_version: SPARK,
      node_type_id: NODE,
      num_workers: 2,
    });
    const seen = [];
    const edited = await waitState(ids.cluster, "RUNNING", seen);
    assert.equal(edited.num_workers, 2);
    assert.equal(edited.cluster_name, "conf-edited");
    assert.ok(seen[0] === "RESTARTING" || seen.length === 1, `states: ${seen}`);

    await w.clusters.restart({ cluster_id: ids.cluster });
    const afterRestart = await getCluster(ids.cluster);
    assert.ok(["RESTARTING", "RUNNING"].includes(afterRestart.state), afterRestart.state);
    await waitState(ids.cluster, "RUNNING");
  });

  await t.test("libraries: install, status transitions, a missing DBFS jar fails, uninstall on restart", async () => {
    const wheel = `dbfs:/FileStore/${uniqueName("libs-")}/app-1.0-py3-none-any.whl`;
    await w.dbfs.put({ path: wheel, contents: b64("wheel bytes"), overwrite: true });
    const missing = `dbfs:/FileStore/${uniqueName("libs-")}/missing.jar`;
    const pypi = { pypi: { package: "simplejson==3.8.0" } };
    await w.libraries.install({ cluster_id: ids.cluster, libraries: [pypi, { whl: wheel }, { jar: missing }] });

    const seen = new Set();
    const settled = await waitFor(
      "libraries settle",
      async () => {
        const statuses = await libraryStatuses(ids.cluster);
        for (const s of statuses) seen.add(s.status);
        return statuses.length === 3 && statuses.every((s) => ["INSTALLED", "FAILED"].includes(s.status))
          ? statuses
          : null;
      },
      { timeoutMs: 60000, intervalMs: 2 },
    );
    assert.deepEqual(settled.map((s) => s.library), [pypi, { whl: wheel }, { jar: missing }], "request order");
    assert.equal(settled[0].status, "INSTALLED");
    assert.equal(settled[1].status, "INSTALLED");
    assert.equal(settled[2].status, "FAILED");
    assert.match(settled[2].messages[0], /FileNotFoundException/);
    for (const s of settled) assert.equal(s.is_library_for_all_clusters, false);
    for (const s of seen) assert.ok(["PENDING", "RESOLVING", "INSTALLING", "INSTALLED", "FAILED"].includes(s), s);

    const all = [];
    for await (const s of w.libraries.allClusterStatuses()) all.push(s);
    const mine = all.find((s) => s.cluster_id === ids.cluster);
    assert.ok(mine, "all-cluster-statuses lists the cluster");
    assert.equal(mine.library_statuses.length, 3);

    await w.libraries.uninstall({ cluster_id: ids.cluster, libraries: [pypi] });
    const pending = await libraryStatuses(ids.cluster);
    assert.equal(pending.length, 3, "still there until the restart");
    assert.deepEqual(pending[pending.length - 1], {
      library: pypi,
      status: "UNINSTALL_ON_RESTART",
      is_library_for_all_clusters: false,
    });
    await w.clusters.restart({ cluster_id: ids.cluster });
    const after = await libraryStatuses(ids.cluster);
    assert.deepEqual(after.map((s) => s.library), [{ whl: wheel }, { jar: missing }]);

    await assert.rejects(
      w.libraries.install({ cluster_id: ids.cluster, libraries: [{ nope: "x" }] }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
    );
    await assert.rejects(
      w.libraries.install({ cluster_id: "0000-000000-nosuch00", libraries: [pypi] }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
    );
    await waitState(ids.cluster, "RUNNING");
  });

  await t.test("delete terminates; start brings it back; a terminating cluster cannot be edited", async () => {
    await w.clusters.delete({ cluster_id: ids.cluster });
    const terminating = await getCluster(ids.cluster);
    if (terminating.state === "TERMINATING") {
      // TERMINATING lasts 10 ms at --speed 1000, so it may end between the two calls: then
      // the edit is accepted, and only then, because the cluster is TERMINATED by now.
      try {
        await w.clusters.edit({ cluster_id: ids.cluster, cluster_name: "x", spark_version: SPARK, node_type_id: NODE });
        assert.equal((await getCluster(ids.cluster)).state, "TERMINATED", "edit of a terminating cluster accepted");
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        assert.ok(apiError(400, "INVALID_STATE")(e));
      }
    }
    const terminated = await waitState(ids.cluster, "TERMINATED");
    assert.equal(terminated.termination_reason.code, "USER_REQUEST");
    assert.ok(terminated.terminated_time >= terminated.start_time);
    await w.clusters.start({ cluster_id: ids.cluster });
    await waitState(ids.cluster, "RUNNING");
    await assert.rejects(w.clusters.start({ cluster_id: ids.cluster }), apiError(400, "INVALID_STATE"));
  });

  await t.test("autotermination: an idle running cluster terminates after autotermination_minutes", async () => {
    // 10 simulated minutes at --speed 1000 are 0.6 s.
    const waiter = await w.clusters.create({
      cluster_name: uniqueName("conf-idle-"),
      spark_version: SPARK,
      node_type_id: NODE,
      num_workers: 0,
      autotermination_minutes: 10,
    });
    const seen = [];
    const done = await waitState(waiter.cluster_id, "TERMINATED", seen);
    assert.ok(seen.includes("RUNNING") || seen.includes("PENDING"), `it ran first: ${seen}`);
    assert.equal(done.autotermination_minutes, 10);
    assert.equal(done.termination_reason.code, "INACTIVITY");
    assert.equal(done.termination_reason.parameters.inactivity_duration_min, "10");
  });

  await t.test("cluster and policy permissions", async () => {
    const acl = await w.clusters.getPermissions({ cluster_id: ids.cluster });
    assert.equal(acl.object_id, `/clusters/${ids.cluster}`);
    assert.equal(acl.object_type, "cluster");
    await w.clusters.setPermissions({
      cluster_id: ids.cluster,
      access_control_list: [{ group_name: "data-engineers", permission_level: "CAN_RESTART" }],
    });
    const after = await w.clusters.getPermissions({ cluster_id: ids.cluster });
    const entry = after.access_control_list.find((e) => e.group_name === "data-engineers");
    assert.equal(entry.all_permissions[0].permission_level, "CAN_RESTART");
    await assert.rejects(
      w.clusters.setPermissions({
        cluster_id: ids.cluster,
        access_control_list: [{ group_name: "data-engineers", permission_level: "CAN_MANAGE_RUN" }],
      }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
      "CAN_MANAGE_RUN is a job level",
    );
    const levels = await w.clusterPolicies.getPermissionLevels({ cluster_policy_id: ids.policy });
    assert.deepEqual(levels.permission_levels.map((l) => l.permission_level), ["CAN_USE"]);
    await w.clusterPolicies.setPermissions({
      cluster_policy_id: ids.policy,
      access_control_list: [{ group_name: "data-engineers", permission_level: "CAN_USE" }],
    });
    const policyAcl = await w.clusterPolicies.getPermissions({ cluster_policy_id: ids.policy });
    assert.ok(policyAcl.access_control_list.some((e) => e.group_name === "data-engineers"));
  });

  await t.test("delete a policy", async () => {
    await w.clusterPolicies.delete({ policy_id: ids.policy });
    await assert.rejects(getPolicy(ids.policy), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
  });
});
