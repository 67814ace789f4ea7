// @ts-check
// The transport against a local HTTP server that answers as the services
// do: headers sent, retries only where safe, batches, errors.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { AttendifyError, createClient, isAttendifyError } from "@attendify/client";

/** @type {{ method: string, headers: import("node:http").IncomingHttpHeaders, body: any }[]} */
let seen = [];
/** @type {((req: any, body: any) => { status?: number, headers?: Record<string, string>, body: any })[]} */
let answers = [];
/** @type {import("node:http").Server} */
let server;
let url = "";

before(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const body = raw ? JSON.parse(raw) : undefined;
      seen.push({ method: req.method ?? "", headers: req.headers, body });
      const next = answers.shift();
      const a = next ? next(req, body) : { body: { jsonrpc: "2.0", result: null, id: body?.id ?? null } };
      res.writeHead(a.status ?? 200, { "Content-Type": "application/json", "X-Request-Id": String(req.headers["x-request-id"]), ...a.headers });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", () => r(undefined)));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function reset() {
  seen = [];
  answers = [];
}

/** @param {number} code @param {string} reason @param {boolean} retryable @param {number} [retryAfter] */
const fail = (code, reason, retryable, retryAfter) => (/** @type {any} */ _req, /** @type {any} */ body) => ({
  body: { jsonrpc: "2.0", error: { code, message: reason, data: { reason, retryable, retry_after_ms: retryAfter } }, id: body.id },
});

test("a call sends the token, a request id and its budget, and answers the result", async () => {
  reset();
  answers.push((_req, body) => ({ body: { jsonrpc: "2.0", result: { id: "p1", text: body.params.text }, id: body.id } }));
  const client = createClient({ urls: { social: url }, token: "tok", timeoutMs: 5000 });
  const post = await client.social.post.get({ app_id: "a1", post_id: "p1" }, { requestId: "req-1" });
  assert.equal(post.id, "p1");
  const h = seen[0]?.headers ?? {};
  assert.equal(h.authorization, "Bearer tok");
  assert.equal(h["x-request-id"], "req-1");
  const budget = Number(h["x-budget-ms"]);
  assert.ok(budget > 4000 && budget <= 5000, `X-Budget-Ms ${budget}`);
  assert.deepEqual(seen[0]?.body.params, { app_id: "a1", post_id: "p1" });
  assert.equal(seen[0]?.body.method, "post.get");
});

test("an idempotent method is retried on a retryable code, after retry_after_ms, with the same request id", async () => {
  reset();
  answers.push(fail(1503, "unavailable", true, 50));
  answers.push((_req, body) => ({ body: { jsonrpc: "2.0", result: { id: "p1" }, id: body.id } }));
  const client = createClient({ urls: { social: url } });
  const start = Date.now();
  await client.social.post.get({ app_id: "a1", post_id: "p1" });
  assert.equal(seen.length, 2);
  assert.ok(Date.now() - start >= 50, "retried before retry_after_ms");
  assert.equal(seen[0]?.headers["x-request-id"], seen[1]?.headers["x-request-id"]);
});

test("a method that is not idempotent is not sent twice after unavailable, but is after overloaded", async () => {
  reset();
  answers.push(fail(1503, "unavailable", true));
  const client = createClient({ urls: { social: url } });
  await assert.rejects(client.social.post.create({ app_id: "a1", event_id: "e1", text: "hi" }), (e) => {
    assert.ok(isAttendifyError(e, "unavailable"));
    assert.equal(e.code, 1503);
    assert.equal(e.retryable, true);
    assert.equal(e.method, "post.create");
    return true;
  });
  assert.equal(seen.length, 1);

  reset();
  answers.push((req, body) => ({ ...fail(1529, "overloaded", true, 10)(req, body), status: 503, headers: { "Retry-After": "1" } }));
  await client.social.post.create({ app_id: "a1", event_id: "e1", text: "hi" });
  assert.equal(seen.length, 2);
});

test("errors carry their code, reason, fields and request id; insufficient_budget is not retried", async () => {
  reset();
  answers.push((_req, body) => ({
    body: {
      jsonrpc: "2.0",
      error: { code: -32602, message: "invalid params", data: { kind: "invalid", reason: "invalid", fields: [{ field: "/text", message: "required" }], request_id: "r9" } },
      id: body.id,
    },
  }));
  answers.push(fail(1505, "insufficient_budget", true));
  const client = createClient({ urls: { social: url } });
  await assert.rejects(client.social.post.create({ app_id: "a1", event_id: "e1", text: "" }), (e) => {
    assert.ok(e instanceof AttendifyError);
    assert.equal(e.name, "AttendifyError");
    assert.equal(e.code, -32602);
    assert.equal(e.reason, "invalid");
    assert.equal(e.kind, "invalid");
    assert.ok(isAttendifyError(e, "invalid"));
    assert.deepEqual(e.fields, [{ field: "/text", message: "required" }]);
    assert.equal(e.requestId, "r9");
    return true;
  });
  await assert.rejects(client.social.post.get({ app_id: "a1", post_id: "p" }), (e) => isAttendifyError(e, "insufficient_budget"));
  assert.equal(seen.length, 2);
});

test("a call that outlives its time fails with deadline_exceeded", async () => {
  // A service that answers after 5 s.
  const slow = createClient({
    urls: { social: url },
    timeoutMs: 50,
    fetch: (_input, init) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve(new Response("{}")), 5000);
        init?.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          reject(new DOMException("aborted", "AbortError"));
        });
      }),
  });
  await assert.rejects(slow.social.post.get({ app_id: "a1", post_id: "p" }), (e) => isAttendifyError(e, "deadline_exceeded"));
});

test("a batch sends calls of one service at once and settles each", async () => {
  reset();
  answers.push((_req, body) => ({
    body: [
      { jsonrpc: "2.0", result: { id: "p1" }, id: body[0].id },
      { jsonrpc: "2.0", error: { code: 1004, message: "not found", data: { reason: "not_found" } }, id: body[1].id },
    ],
  }));
  const client = createClient({ urls: { social: url, hub: url } });
  const [a, b] = await client.batch([
    client.social.post.get.request({ app_id: "a1", post_id: "p1" }),
    client.social.post.get.request({ app_id: "a1", post_id: "p2" }),
  ]);
  assert.ok(a.ok && a.value.id === "p1");
  assert.ok(!b.ok && b.error.reason === "not_found" && b.error.method === "post.get");
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.body.length, 2);
  await assert.rejects(
    client.batch([client.social.post.get.request({ app_id: "a1", post_id: "p1" }), client.hub.app.get.request({ app_id: "a1" })]),
    /one service/,
  );
});
