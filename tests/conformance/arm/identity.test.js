// @azure/identity ClientSecretCredential against cloudsim's Entra ID authority.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { ARM_SCOPE, credential, endpoints } = require("../lib/cloud.js");

function decodeJwtPayload(jwt) {
  const parts = jwt.split(".");
  assert.equal(parts.length, 3, "an access token is a three-part JWT");
  return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
}

test("client secret credential gets an ARM token with the ARM audience", async () => {
  const ep = endpoints();
  const token = await credential(ep).getToken(ARM_SCOPE);
  assert.ok(token.token.length > 20, "a non-empty access token");
  assert.ok(token.expiresOnTimestamp > Date.now(), "expires in the future");
  const claims = decodeJwtPayload(token.token);
  assert.equal(claims.aud.replace(/\/$/, ""), "https://management.azure.com");
  assert.equal(claims.tid, ep.tenant_id);
  assert.equal(claims.oid, ep.object_id);
});

test("a wrong client secret surfaces AADSTS7000215 / invalid_client", async () => {
  const ep = endpoints();
  const wrong = credential(ep, "not-the-secret");
  await assert.rejects(wrong.getToken(ARM_SCOPE), (err) => {
    // MSAL's ServerError reaches the caller wrapped (AuthenticationRequiredError in 4.13);
    // what the user sees is the message, which carries the OAuth error and the AADSTS code.
    assert.match(err.message, /invalid_client/);
    assert.match(err.message, /AADSTS7000215/);
    assert.ok(!err.message.includes("not-the-secret"), "the secret is not echoed");
    return true;
  });
});

test("a scope without /.default is rejected with invalid_scope", async () => {
  await assert.rejects(credential().getToken("https://management.azure.com/user_impersonation"), (err) => {
    assert.match(err.message, /invalid_scope/);
    assert.match(err.message, /AADSTS1002012|AADSTS70011/);
    return true;
  });
});
