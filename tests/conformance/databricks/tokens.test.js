// Token API 2.0 through @databricks/sdk-experimental: create with comment and lifetime,
// list (the caller's valid tokens, metadata only), revoke, and that revoked or expired PATs
// are refused with 403 "Invalid access token." (reference §2.1, §2.4; the SDK docstrings:
// list shows "the valid tokens for a user-workspace pair", delete of a token that "is not
// valid" is RESOURCE_DOES_NOT_EXIST). Token values never reach assertion messages or logs.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { uniqueName, waitFor } = require("../lib/cloud.js");
const { sdkClient, sdkSession } = require("../lib/databricks.js");

async function tokenInfos(w) {
  const out = [];
  for await (const info of w.tokens.list()) out.push(info);
  return out;
}

function invalidToken(err) {
  assert.equal(err.statusCode, 403);
  assert.match(err.message, /Invalid access token\./);
  return true;
}

test("tokens through the official SDK", async (t) => {
  const { w, ws } = await sdkSession(t, "rg-dbw-tok-");
  const comment = uniqueName("conf-token-");
  const created = {};

  await t.test("create returns the value once, with comment, creation and expiry times", async () => {
    const before = Date.now();
    const res = await w.tokens.create({ comment, lifetime_seconds: 600 });
    assert.ok(/^dapi[0-9a-f]{32}/.test(res.token_value), "a dapi token");
    const info = res.token_info;
    assert.equal(info.comment, comment);
    assert.ok(typeof info.token_id === "string" && info.token_id.length > 0);
    assert.ok(info.creation_time >= before - 1000 && info.creation_time <= Date.now() + 1000, "epoch ms");
    assert.equal(info.expiry_time - info.creation_time, 600 * 1000);
    created.value = res.token_value;
    created.id = info.token_id;

    const forever = await w.tokens.create({ comment: `${comment}-forever` });
    assert.equal(forever.token_info.expiry_time, -1, "no lifetime: never expires");
    created.foreverId = forever.token_info.token_id;
  });

  await t.test("list shows token metadata and never a value", async () => {
    const infos = await tokenInfos(w);
    const mine = infos.find((i) => i.token_id === created.id);
    assert.ok(mine, "the new token is listed");
    assert.equal(mine.comment, comment);
    assert.ok(mine.expiry_time > mine.creation_time);
    assert.ok(infos.some((i) => i.token_id === created.foreverId && i.expiry_time === -1));
    for (const i of infos) {
      assert.equal(i.token_value, undefined);
      assert.deepEqual(Object.keys(i).sort(), ["comment", "creation_time", "expiry_time", "token_id"], "PublicTokenInfo");
    }
    assert.ok(!JSON.stringify(infos).includes(created.value), "no token value in the list");
  });

  await t.test("a revoked token is refused with 403 on its next call", async () => {
    const other = sdkClient(ws.url, created.value);
    assert.ok((await tokenInfos(other)).length > 0, "the new token works");
    await w.tokens.delete({ token_id: created.id });
    assert.ok(!(await tokenInfos(w)).some((i) => i.token_id === created.id), "revoked tokens are not listed");
    await assert.rejects(tokenInfos(other), invalidToken);
    await assert.rejects(other.workspace.mkdirs({ path: "/Shared/after-revoke" }), invalidToken);
    await w.tokens.delete({ token_id: created.foreverId });
  });

  await t.test("an expired token is refused with 403", async () => {
    const res = await w.tokens.create({ comment: `${comment}-short`, lifetime_seconds: 1 });
    const short = sdkClient(ws.url, res.token_value);
    await waitFor(
      "the 1 s token to expire",
      async () => {
        try {
          await tokenInfos(short);
          return false;
        } catch (err) {
          return invalidToken(err);
        }
      },
      { timeoutMs: 10000, intervalMs: 200 },
    );
    // An expired token is no longer valid: not listed, and revoking it is RESOURCE_DOES_NOT_EXIST.
    assert.ok(!(await tokenInfos(w)).some((i) => i.token_id === res.token_info.token_id));
    await assert.rejects(w.tokens.delete({ token_id: res.token_info.token_id }), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.errorCode, "RESOURCE_DOES_NOT_EXIST");
      return true;
    });
  });
});
