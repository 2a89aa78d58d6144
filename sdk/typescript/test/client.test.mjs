// Runs against a live authd at AUTHD_URL (internal/interop starts one and runs `npm test`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { AuthdError, createAuthdClient } from "../dist/index.js";

const baseUrl = process.env.AUTHD_URL;
const password = "correct horse battery staple";
const unique = (prefix) => `${prefix}${Date.now()}${Math.floor(Math.random() * 1e6)}@example.com`;

// A storage that starts with an access token authd refuses, as after expiry, and a valid refresh token.
function expiredStorage(refreshToken) {
  let tokens = { accessToken: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", refreshToken };
  return { get: () => tokens, set: (t) => { tokens = t; } };
}

test("register, me, expiry and automatic refresh, logout, then 401", { skip: !baseUrl }, async () => {
  const client = createAuthdClient({ baseUrl });
  const email = unique("ts");
  const session = await client.register({ email, password });
  assert.equal(session.user.email, email);
  assert.equal((await client.me()).email, email);

  const { refreshToken } = await client.tokens();
  const expired = createAuthdClient({ baseUrl, storage: expiredStorage(refreshToken) });
  assert.equal((await expired.me()).email, email, "an expired access token is refreshed and the call retried");
  const rotated = await expired.tokens();
  assert.notEqual(rotated.refreshToken, refreshToken);

  await expired.logout();
  assert.equal(await expired.tokens(), null);
  await assert.rejects(expired.me(), (err) => err instanceof AuthdError && err.status === 401);
});

test("ten parallel requests with an expired token cause one refresh", { skip: !baseUrl }, async () => {
  const setup = createAuthdClient({ baseUrl });
  await setup.register({ email: unique("flight"), password });
  const { refreshToken } = await setup.tokens();
  let refreshes = 0;
  const counting = (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    if (url.endsWith("/api/refresh")) refreshes++;
    return fetch(input, init);
  };
  const client = createAuthdClient({ baseUrl, storage: expiredStorage(refreshToken), fetch: counting });
  const users = await Promise.all(Array.from({ length: 10 }, () => client.me()));
  assert.equal(users.length, 10);
  assert.equal(refreshes, 1);
});

test("errors carry authd's code", { skip: !baseUrl }, async () => {
  const client = createAuthdClient({ baseUrl });
  const email = unique("errors");
  await client.register({ email, password });
  await assert.rejects(client.login(email, "wrong password!"), (err) => {
    assert.ok(err instanceof AuthdError);
    assert.equal(err.status, 401);
    assert.equal(err.code, "invalid_credentials");
    return true;
  });
  await assert.rejects(client.register({ email: "a@b.co", password: "short" }), (err) => {
    assert.equal(err.code, "validation_error");
    assert.ok(err.fields.password);
    return true;
  });
});

// The code comes from the message authd sent to the test's SMTP server (AUTHD_TEST_MAILBOX_URL).
async function mailedCode(email) {
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${process.env.AUTHD_TEST_MAILBOX_URL}?to=${encodeURIComponent(email)}&subject=${encodeURIComponent("Your sign-in code")}`);
    if (r.ok) return (await r.text()).match(/^(\d{6})\r?$/m)[1];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no code for ${email}`);
}

test("sign in with an emailed code", { skip: !baseUrl || !process.env.AUTHD_TEST_MAILBOX_URL }, async () => {
  const email = unique("code");
  await createAuthdClient({ baseUrl }).register({ email, password });
  const client = createAuthdClient({ baseUrl });
  await client.requestLoginCode(email);
  const code = await mailedCode(email);
  await assert.rejects(client.loginWithCode(email, code === "000000" ? "111111" : "000000"), (err) => {
    assert.ok(err instanceof AuthdError);
    assert.equal(err.status, 401);
    assert.equal(err.code, "invalid_credentials");
    return true;
  });
  const session = await client.loginWithCode(email, code);
  assert.equal(session.user.email, email);
  assert.equal(session.user.email_verified, true);
  assert.equal((await client.me()).email, email);
});

test("no answer at all is an AuthdError with code network_error", async () => {
  const client = createAuthdClient({ baseUrl: "http://127.0.0.1:9" });
  await assert.rejects(client.login("nobody@example.com", password), (err) => {
    assert.ok(err instanceof AuthdError, `got ${err}`);
    assert.equal(err.code, "network_error");
    assert.equal(err.status, 0);
    return true;
  });
});
