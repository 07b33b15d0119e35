// Workspace API 2.0 through @databricks/sdk-experimental: mkdirs, import formats and
// languages, overwrite, list fields, delete, export (reference §4). Reads that need query
// parameters go through the SDK's apiClient (the generated GET methods drop the query).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { uniqueName } = require("../lib/cloud.js");
const { apiError, b64, sdkGet, sdkSession, unb64 } = require("../lib/databricks.js");

const status = (w, path) => sdkGet(w, "/api/2.0/workspace/get-status", { path });

test("workspace objects through the official SDK", async (t) => {
  const { w } = await sdkSession(t, "rg-dbw-ws-");
  const dir = `/Shared/${uniqueName("objects-")}`;

  await t.test("mkdirs creates nested folders and is idempotent", async () => {
    await w.workspace.mkdirs({ path: `${dir}/a/b/c` });
    for (const p of [dir, `${dir}/a`, `${dir}/a/b`, `${dir}/a/b/c`]) {
      const info = await status(w, p);
      assert.equal(info.object_type, "DIRECTORY", p);
      assert.equal(info.path, p);
      assert.ok(Number.isInteger(info.object_id) && info.object_id > 0, "numeric object_id");
      assert.equal(info.language, undefined, "folders have no language");
    }
    const before = await status(w, `${dir}/a/b`);
    await w.workspace.mkdirs({ path: `${dir}/a/b` });
    await w.workspace.mkdirs({ path: `${dir}/a/b/c` });
    const after = await status(w, `${dir}/a/b`);
    assert.equal(after.object_id, before.object_id, "an existing folder is left as it is");
  });

  await t.test("import SOURCE with PYTHON and SQL; export adds the language header", async () => {
    await w.workspace.import({
      path: `${dir}/py_nb`,
      format: "SOURCE",
      language: "PYTHON",
      content: b64("print(1)"),
    });
    await w.workspace.import({
      path: `${dir}/sql_nb`,
      format: "SOURCE",
      language: "SQL",
      content: b64("SELECT 1"),
    });
    const py = await status(w, `${dir}/py_nb`);
    assert.equal(py.object_type, "NOTEBOOK");
    assert.equal(py.language, "PYTHON");
    const sql = await status(w, `${dir}/sql_nb`);
    assert.equal(sql.object_type, "NOTEBOOK");
    assert.equal(sql.language, "SQL");

    const pyOut = await sdkGet(w, "/api/2.0/workspace/export", { path: `${dir}/py_nb`, format: "SOURCE" });
    assert.equal(unb64(pyOut.content), "# Databricks notebook source\nprint(1)");
    assert.equal(pyOut.file_type, "py");
    const sqlOut = await sdkGet(w, "/api/2.0/workspace/export", { path: `${dir}/sql_nb`, format: "SOURCE" });
    assert.equal(unb64(sqlOut.content), "-- Databricks notebook source\nSELECT 1");
    assert.equal(sqlOut.file_type, "sql");
  });

  await t.test("import over an existing path: 400 RESOURCE_ALREADY_EXISTS, overwrite replaces", async () => {
    const path = `${dir}/py_nb`;
    const before = await status(w, path);
    await assert.rejects(
      w.workspace.import({ path, format: "SOURCE", language: "PYTHON", content: b64("print(2)"), overwrite: false }),
      apiError(400, "RESOURCE_ALREADY_EXISTS", /already exists/),
    );
    let out = await sdkGet(w, "/api/2.0/workspace/export", { path, format: "SOURCE" });
    assert.equal(unb64(out.content), "# Databricks notebook source\nprint(1)", "unchanged after the refusal");

    await w.workspace.import({ path, format: "SOURCE", language: "PYTHON", content: b64("print(2)"), overwrite: true });
    out = await sdkGet(w, "/api/2.0/workspace/export", { path, format: "SOURCE" });
    assert.equal(unb64(out.content), "# Databricks notebook source\nprint(2)");
    const after = await status(w, path);
    assert.ok(after.modified_at >= before.modified_at, "modified_at moves forward");
  });

  await t.test("import AUTO: a headed .py becomes a notebook without extension; other files stay files", async () => {
    await w.workspace.import({
      path: `${dir}/auto_nb.py`,
      format: "AUTO",
      content: b64("# Databricks notebook source\nx = 1"),
    });
    const nb = await status(w, `${dir}/auto_nb`);
    assert.equal(nb.object_type, "NOTEBOOK");
    assert.equal(nb.language, "PYTHON");
    await assert.rejects(status(w, `${dir}/auto_nb.py`), apiError(404, "RESOURCE_DOES_NOT_EXIST"));

    await w.workspace.import({ path: `${dir}/conf.json`, format: "AUTO", content: b64('{"a":1}') });
    const file = await status(w, `${dir}/conf.json`);
    assert.equal(file.object_type, "FILE");
    assert.equal(file.language, undefined, "files have no language");
    assert.equal(file.size, 7);
    const raw = await w.apiClient.request({
      path: "/api/2.0/workspace/export",
      method: "GET",
      headers: new Headers({}),
      raw: true,
      query: { path: `${dir}/conf.json`, direct_download: true },
      payload: { path: `${dir}/conf.json`, direct_download: true },
    });
    const bytes = Buffer.from(await new Response(raw.contents).arrayBuffer()).toString("utf8");
    assert.equal(bytes, '{"a":1}', "direct_download returns the raw bytes");
  });

  await t.test("list returns each child once with its type, path, language and ids", async () => {
    const listed = await sdkGet(w, "/api/2.0/workspace/list", { path: dir });
    const byPath = new Map(listed.objects.map((o) => [o.path, o]));
    assert.deepEqual(
      [...byPath.keys()].sort(),
      [`${dir}/a`, `${dir}/auto_nb`, `${dir}/conf.json`, `${dir}/py_nb`, `${dir}/sql_nb`],
      "direct children only",
    );
    assert.equal(byPath.get(`${dir}/a`).object_type, "DIRECTORY");
    assert.equal(byPath.get(`${dir}/conf.json`).object_type, "FILE");
    for (const p of [`${dir}/py_nb`, `${dir}/sql_nb`, `${dir}/auto_nb`]) {
      const o = byPath.get(p);
      assert.equal(o.object_type, "NOTEBOOK");
      assert.ok(["PYTHON", "SQL"].includes(o.language));
      assert.ok(o.modified_at > 1e12, "modified_at in epoch ms");
    }
    const ids = listed.objects.map((o) => o.object_id);
    assert.ok(ids.every((id) => Number.isInteger(id) && id > 0));
    assert.equal(new Set(ids).size, ids.length, "object ids are unique");

    await w.workspace.mkdirs({ path: `${dir}/empty` });
    const empty = await sdkGet(w, "/api/2.0/workspace/list", { path: `${dir}/empty` });
    assert.equal(empty.objects, undefined, "an empty folder lists as {}");
  });

  await t.test("import into a missing folder is 404 RESOURCE_DOES_NOT_EXIST naming the folder", async () => {
    // As Databricks answers (databrickslabs/migrate#10; databricks/cli#5763): no parents are created.
    await assert.rejects(
      w.workspace.import({ path: `${dir}/nope/nb`, format: "SOURCE", language: "PYTHON", content: b64("x = 1") }),
      apiError(404, "RESOURCE_DOES_NOT_EXIST", new RegExp(`Path \\(${dir}/nope\\) doesn't exist\\.`)),
    );
    await assert.rejects(status(w, `${dir}/nope`), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
  });

  await t.test("mkdirs through a notebook is 400 RESOURCE_ALREADY_EXISTS", async () => {
    await assert.rejects(w.workspace.mkdirs({ path: `${dir}/py_nb/sub` }), apiError(400, "RESOURCE_ALREADY_EXISTS"));
  });

  await t.test("delete: non-empty folder needs recursive; missing paths are 404", async () => {
    await assert.rejects(w.workspace.delete({ path: `${dir}/a`, recursive: false }), apiError(400, "DIRECTORY_NOT_EMPTY"));
    await w.workspace.delete({ path: `${dir}/a`, recursive: true });
    await assert.rejects(status(w, `${dir}/a/b/c`), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
    await assert.rejects(
      status(w, `${dir}/no_such_notebook`),
      apiError(404, "RESOURCE_DOES_NOT_EXIST", /no_such_notebook/),
    );
    await assert.rejects(w.workspace.delete({ path: `${dir}/no_such_notebook` }), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
    await assert.rejects(
      sdkGet(w, "/api/2.0/workspace/export", { path: `${dir}/no_such_notebook`, format: "SOURCE" }),
      apiError(404, "RESOURCE_DOES_NOT_EXIST"),
    );
  });
});
