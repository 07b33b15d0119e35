// DBFS API 2.0 through @databricks/sdk-experimental: streaming upload (create / add-block /
// close), the 1 MB block, put and read limits, get-status, read with offset and length,
// list, mkdirs, move, delete (reference §6 and the SDK's own docstrings).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { uniqueName } = require("../lib/cloud.js");
const { apiError, b64, sdkGet, sdkSession, unb64 } = require("../lib/databricks.js");

const MB = 1024 * 1024;
const status = (w, path) => sdkGet(w, "/api/2.0/dbfs/get-status", { path });
const list = async (w, path) => (await sdkGet(w, "/api/2.0/dbfs/list", { path })).files || [];

test("DBFS through the official SDK", async (t) => {
  const { w } = await sdkSession(t, "rg-dbw-dbfs-");
  const root = `/tmp/${uniqueName("dbfs-")}`;
  const big = `${root}/up/big.bin`;
  // 1 MB + 3 bytes in two blocks: the first exactly at the 1 MB limit.
  const block1 = Buffer.alloc(MB, 0x61);
  const block2 = Buffer.from("xyz");

  await t.test("streaming upload: create, add-block (1 MB max), close", async () => {
    const { handle } = await w.dbfs.create({ path: big, overwrite: false });
    assert.ok(Number.isInteger(handle), "a numeric handle");
    await w.dbfs.addBlock({ handle, data: block1.toString("base64") });
    await assert.rejects(
      w.dbfs.addBlock({ handle, data: Buffer.alloc(MB + 1, 0x62).toString("base64") }),
      apiError(400, "MAX_BLOCK_SIZE_EXCEEDED"),
    );
    await w.dbfs.addBlock({ handle, data: block2.toString("base64") });
    await w.dbfs.close({ handle });
    // The handle is gone once closed.
    await assert.rejects(w.dbfs.addBlock({ handle, data: b64("late") }), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
    await assert.rejects(w.dbfs.close({ handle }), apiError(404, "RESOURCE_DOES_NOT_EXIST"));

    const info = await status(w, big);
    assert.equal(info.path, big);
    assert.equal(info.is_dir, false);
    assert.equal(info.file_size, MB + 3);
    assert.ok(info.modification_time > 1e12, "epoch milliseconds");

    await assert.rejects(w.dbfs.create({ path: big, overwrite: false }), apiError(400, "RESOURCE_ALREADY_EXISTS"));
  });

  await t.test("read with offset and length; the 1 MB read limit; directories cannot be read", async () => {
    const tail = await sdkGet(w, "/api/2.0/dbfs/read", { path: big, offset: MB - 2, length: 4 });
    assert.equal(tail.bytes_read, 4);
    assert.equal(unb64(tail.data), "aaxy");
    const past = await sdkGet(w, "/api/2.0/dbfs/read", { path: big, offset: MB + 1, length: 100 });
    assert.equal(past.bytes_read, 2, "reads stop at the end of the file");
    assert.equal(unb64(past.data), "yz");
    await assert.rejects(
      sdkGet(w, "/api/2.0/dbfs/read", { path: big, offset: 0, length: MB + 1 }),
      apiError(400, "MAX_READ_SIZE_EXCEEDED"),
    );
    await assert.rejects(
      sdkGet(w, "/api/2.0/dbfs/read", { path: big, offset: -1, length: 10 }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
    );
    await assert.rejects(
      sdkGet(w, "/api/2.0/dbfs/read", { path: `${root}/up`, offset: 0, length: 10 }),
      apiError(400, "INVALID_PARAMETER_VALUE"),
    );
    await assert.rejects(
      sdkGet(w, "/api/2.0/dbfs/read", { path: `${root}/missing`, offset: 0, length: 10 }),
      apiError(404, "RESOURCE_DOES_NOT_EXIST"),
    );
  });

  await t.test("put: overwrite=false on an existing file, and the 1 MB inline limit", async () => {
    const small = `${root}/put/small.txt`;
    await w.dbfs.put({ path: small, contents: b64("first"), overwrite: false });
    await assert.rejects(
      w.dbfs.put({ path: small, contents: b64("second"), overwrite: false }),
      apiError(400, "RESOURCE_ALREADY_EXISTS"),
    );
    await w.dbfs.put({ path: small, contents: b64("second"), overwrite: true });
    const read = await sdkGet(w, "/api/2.0/dbfs/read", { path: small, offset: 0, length: 100 });
    assert.equal(unb64(read.data), "second");
    await assert.rejects(
      w.dbfs.put({ path: `${root}/put/big.bin`, contents: Buffer.alloc(MB + 1).toString("base64"), overwrite: true }),
      apiError(400, "MAX_BLOCK_SIZE_EXCEEDED"),
    );
    await assert.rejects(status(w, `${root}/put/big.bin`), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
  });

  await t.test("mkdirs, list, move and delete", async () => {
    await w.dbfs.mkdirs({ path: `${root}/a/b/c` });
    await w.dbfs.mkdirs({ path: `${root}/a/b/c` });
    const dirInfo = await status(w, `${root}/a/b`);
    assert.equal(dirInfo.is_dir, true);
    assert.equal(dirInfo.file_size, 0);
    await w.dbfs.put({ path: `${root}/a/b/f.txt`, contents: b64("12345"), overwrite: true });
    await assert.rejects(w.dbfs.mkdirs({ path: `${root}/a/b/f.txt/x` }), apiError(400, "RESOURCE_ALREADY_EXISTS"));

    const children = await list(w, `${root}/a/b`);
    assert.deepEqual(
      children.map((f) => [f.path, f.is_dir, f.file_size]).sort(),
      [
        [`${root}/a/b/c`, true, 0],
        [`${root}/a/b/f.txt`, false, 5],
      ],
    );
    for (const f of children) assert.ok(f.modification_time > 1e12);
    const onFile = await list(w, `${root}/a/b/f.txt`);
    assert.deepEqual(onFile.map((f) => f.path), [`${root}/a/b/f.txt`], "list on a file returns that file");
    await assert.rejects(list(w, `${root}/nope`), apiError(404, "RESOURCE_DOES_NOT_EXIST"));

    // Moving a directory moves everything below it.
    await w.dbfs.move({ source_path: `${root}/a`, destination_path: `${root}/moved` });
    assert.equal((await status(w, `${root}/moved/b/f.txt`)).file_size, 5);
    await assert.rejects(status(w, `${root}/a`), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
    await assert.rejects(
      w.dbfs.move({ source_path: `${root}/a`, destination_path: `${root}/elsewhere` }),
      apiError(404, "RESOURCE_DOES_NOT_EXIST"),
    );
    await assert.rejects(
      w.dbfs.move({ source_path: big, destination_path: `${root}/moved/b/f.txt` }),
      apiError(400, "RESOURCE_ALREADY_EXISTS"),
    );

    await assert.rejects(w.dbfs.delete({ path: `${root}/moved`, recursive: false }), apiError(400, "IO_ERROR"));
    await w.dbfs.delete({ path: `${root}/moved`, recursive: true });
    await assert.rejects(status(w, `${root}/moved/b/c`), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
    await w.dbfs.delete({ path: big });
    await assert.rejects(status(w, big), apiError(404, "RESOURCE_DOES_NOT_EXIST"));
  });
});
