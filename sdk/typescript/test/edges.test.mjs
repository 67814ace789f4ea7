// @ts-check
// The transport's edges against local HTTP servers that misbehave as
// networks, proxies and services under load do: answers that stall after
// their headers, redirects to another origin, streams that drop, signals
// shared by many calls, secrets in URLs.

import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { test } from "node:test";

import { AttendifyError, createClient, isAttendifyError } from "@attendify/client";

import { backoff } from "../dist/runtime.js";
import { serve } from "./serve.mjs";

/** Rejects if p has not settled within ms. @template T @param {Promise<T>} p @param {number} ms @returns {Promise<T>} */
function within(p, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let t;
  const timer = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([p, timer]).finally(() => clearTimeout(t)));
}

test("the time limit also bounds an answer whose body stalls after its headers", async () => {
  // A service (or proxy) that sends the status and headers, then nothing.
  const s = await serve((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.write('{"jsonrpc":"2.0",');
  });
  try {
    const client = createClient({ urls: { social: s.url, importer: s.url }, timeoutMs: 200 });
    await within(
      assert.rejects(client.social.post.get({ app_id: "a1", post_id: "p1" }), (e) => isAttendifyError(e, "deadline_exceeded")),
      3000,
    );
    await within(
      assert.rejects(client.importer.report("a1", "i1"), (e) => isAttendifyError(e, "deadline_exceeded")),
      3000,
    );
  } finally {
    s.stop();
  }
});

test("a wall's screen token and key never appear in an error's message or method", async () => {
  const s = await serve((req, res) => {
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: { code: 1004, message: "not found", data: { reason: "not_found" } } }));
  });
  try {
    const client = createClient({ urls: { eventwall: s.url } });
    const token = "Zm9yLWEtc2NyZWVuLW9ubHktc2VjcmV0";
    await assert.rejects(client.eventwall.poll({ token, key: "k3y" }), (e) => {
      assert.ok(isAttendifyError(e, "not_found"), String(e));
      assert.ok(!e.message.includes(token), `message: ${e.message}`);
      assert.ok(!e.method.includes(token), `method: ${e.method}`);
      assert.ok(!String(e.stack).includes(token), "the stack names the token");
      return true;
    });
    // A failure with no service answer at all (nothing listens) as well.
    s.stop();
    await assert.rejects(client.eventwall.poll({ token }, { timeoutMs: 500 }), (e) => {
      assert.ok(isAttendifyError(e), String(e));
      assert.ok(!e.message.includes(token) && !e.method.includes(token), `${e.method}: ${e.message}`);
      return true;
    });
  } finally {
    s.stop();
  }
});

test("a redirect to another origin is not followed: no body, no wall key, no answer taken from it", async () => {
  /** @type {{ url: string, headers: import("node:http").IncomingHttpHeaders, body: string }[]} */
  const elsewhere = [];
  const other = await serve((req, res, body) => {
    elsewhere.push({ url: req.url ?? "", headers: req.headers, body });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", result: { id: "forged" }, id: 1 }));
  });
  const s = await serve((req, res) => {
    // "localhost" is another origin than "127.0.0.1".
    res.writeHead(307, { Location: `http://localhost:${other.port}${req.url}` });
    res.end();
  });
  try {
    const client = createClient({ urls: { social: s.url, eventwall: s.url }, token: "member-token" });
    await assert.rejects(client.social.post.create({ app_id: "a1", event_id: "e1", text: "private words" }), (e) => {
      assert.ok(isAttendifyError(e), String(e));
      assert.equal(e.status, 307);
      return true;
    });
    await assert.rejects(client.eventwall.poll({ token: "t", key: "wall-key" }), (e) => isAttendifyError(e));
    assert.deepEqual(
      elsewhere.map((r) => r.url),
      [],
      `sent to another origin: ${JSON.stringify(elsewhere)}`,
    );
  } finally {
    s.stop();
    other.stop();
  }
});

test("calls sharing one AbortSignal do not leave listeners on it", async () => {
  const s = await serve((_req, res, raw) => {
    const body = JSON.parse(raw);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", result: { id: "p1" }, id: body.id }));
  });
  try {
    const client = createClient({ urls: { social: s.url } });
    const screen = new AbortController(); // e.g. one per page of an app
    for (let i = 0; i < 20; i++) {
      await client.social.post.get({ app_id: "a1", post_id: "p1" }, { signal: screen.signal });
    }
    assert.equal(getEventListeners(screen.signal, "abort").length, 0, "listeners left on the caller's signal");
  } finally {
    s.stop();
  }
});

test("a signal aborted while waiting to retry cancels at once, naming the call", async () => {
  const s = await serve((_req, res, raw) => {
    const body = JSON.parse(raw);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: 1529, message: "overloaded", data: { reason: "overloaded", retryable: true, retry_after_ms: 5000 } }, id: body.id }));
  });
  try {
    const client = createClient({ urls: { social: s.url }, timeoutMs: 20_000 });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    await within(
      assert.rejects(client.social.post.get({ app_id: "a1", post_id: "p1" }, { signal: abort.signal, requestId: "rq-7" }), (e) => {
        assert.ok(isAttendifyError(e, "canceled"), String(e));
        assert.equal(e.method, "post.get");
        assert.equal(e.requestId, "rq-7");
        return true;
      }),
      2000,
    );
  } finally {
    s.stop();
  }
});

test("the wall's stream stops at once when aborted during its reconnection pause", async () => {
  const s = await serve((_req, res) => {
    // One state, a long pause asked for, then the connection ends.
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    res.end(`retry: 60000\nevent: changes\ndata: ${JSON.stringify({ cursor: "c1", reset: true, items: [], removed: [] })}\n\n`);
  });
  try {
    const client = createClient({ urls: { eventwall: s.url } });
    const abort = new AbortController();
    const stream = client.eventwall.stream({ token: "t" }, { signal: abort.signal });
    const first = await stream.next();
    assert.ok(!first.done && first.value.cursor === "c1");
    const next = stream.next(); // the connection ends: it waits 60 s to reconnect
    setTimeout(() => abort.abort(), 100);
    const r = await within(next, 2000);
    assert.ok(r.done);
  } finally {
    s.stop();
  }
});

test("the wall's stream rides out a restart of the service instead of ending with an error", async () => {
  let n = 0;
  const s = await serve((req, res) => {
    n++;
    if (n === 1) {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.end(`retry: 10\nevent: changes\ndata: ${JSON.stringify({ cursor: "c1", reset: true, items: [], removed: [] })}\n\n`);
      return;
    }
    if (n <= 6) {
      // Restarting: its proxy answers 503 for a while.
      res.writeHead(503, { "Content-Type": "text/plain" });
      res.end("upstream connect error");
      return;
    }
    assert.ok(req.url?.includes("cursor=c1"), `resumed without its cursor: ${req.url}`);
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    res.write(`event: changes\ndata: ${JSON.stringify({ cursor: "c2", reset: false, items: [], removed: [] })}\n\n`);
  });
  try {
    const client = createClient({ urls: { eventwall: s.url }, timeoutMs: 300, maxAttempts: 2 });
    const abort = new AbortController();
    const stream = client.eventwall.stream({ token: "t" }, { signal: abort.signal });
    assert.equal((await stream.next()).value?.cursor, "c1");
    const second = await within(stream.next(), 20_000);
    assert.equal(second.value?.cursor, "c2");
    abort.abort();
    await stream.return(undefined);
  } finally {
    s.stop();
  }
});

test("a refusal that names no code keeps the server's message and its Retry-After as an HTTP date", async () => {
  const when = new Date(Date.now() + 3000).toUTCString();
  const s = await serve((_req, res) => {
    res.writeHead(503, { "Content-Type": "text/plain", "Retry-After": when });
    res.end("maintenance");
  });
  try {
    const client = createClient({ urls: { social: s.url }, maxAttempts: 1 });
    await assert.rejects(client.social.post.get({ app_id: "a1", post_id: "p1" }), (e) => {
      assert.ok(isAttendifyError(e, "unavailable"), String(e));
      assert.equal(e.status, 503);
      assert.ok(e.retryAfterMs > 1000 && e.retryAfterMs <= 3000, `retryAfterMs ${e.retryAfterMs}`);
      return true;
    });
  } finally {
    s.stop();
  }
});

test("calls told to come back after retry_after_ms do not all come back at the same instant", () => {
  // Every client the service shed at once hears the same retry_after_ms:
  // waiting exactly that long brings them back together, a storm again.
  const shed = new AttendifyError({ code: 1529, message: "overloaded", data: { reason: "overloaded", retryable: true, retry_after_ms: 1000 } });
  const waits = Array.from({ length: 50 }, () => backoff(1, shed));
  assert.ok(Math.min(...waits) >= 1000, `retried before retry_after_ms: ${Math.min(...waits)}`);
  assert.ok(Math.max(...waits) - Math.min(...waits) > 20, `every wait is ${waits[0]} ms`);
});

test("an answer that is not JSON (a web page at the service's URL) is an AttendifyError", async () => {
  const s = await serve((_req, res) => {
    res.writeHead(_req.url === "/rpc" ? 200 : 202, { "Content-Type": "text/html" });
    res.end("<!doctype html><title>Sign in to the Wi-Fi</title>");
  });
  try {
    const client = createClient({ urls: { social: s.url, importer: s.url }, maxAttempts: 1 });
    /** @param {unknown} e */
    const notAnAnswer = (e) => {
      assert.ok(isAttendifyError(e, "unavailable"), `${e}`);
      assert.equal(e.status, 200 + (e.method.startsWith("POST /imports") ? 2 : 0));
      return true;
    };
    await assert.rejects(client.social.post.get({ app_id: "a1", post_id: "p1" }), notAnAnswer);
    await assert.rejects(client.social.post.create({ app_id: "a1", event_id: "e1", text: "x" }), notAnAnswer);
    await assert.rejects(client.batch([client.social.post.get.request({ app_id: "a1", post_id: "p1" })]), notAnAnswer);
    await assert.rejects(client.importer.upload({ app_id: "a1" }, new Uint8Array([1])), notAnAnswer);
  } finally {
    s.stop();
  }
});

test("the wall's stream reconnects when its connection goes silent (no keep-alive for too long)", async () => {
  let n = 0;
  const s = await serve((req, res) => {
    n++;
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    if (n === 1) {
      // Then nothing, not even the keep-alive comments: a connection a
      // venue's Wi-Fi or a NAT dropped without a word.
      res.write(`retry: 10\nevent: changes\ndata: ${JSON.stringify({ cursor: "c1", reset: true, items: [], removed: [] })}\n\n`);
      return;
    }
    res.write(`event: changes\ndata: ${JSON.stringify({ cursor: "c2", reset: false, items: [], removed: [] })}\n\n`);
  });
  try {
    const client = createClient({ urls: { eventwall: s.url } });
    const abort = new AbortController();
    const stream = client.eventwall.stream({ token: "t" }, { signal: abort.signal, idleMs: 300 });
    assert.equal((await stream.next()).value?.cursor, "c1");
    const second = await within(stream.next(), 5000);
    assert.equal(second.value?.cursor, "c2");
    abort.abort();
    await stream.return(undefined);
  } finally {
    s.stop();
  }
});

test("a call that may have run (the connection broke after it was sent) is not marked retryable unless idempotent", async () => {
  let n = 0;
  const s = await serve((req) => {
    n++;
    req.socket.destroy(); // the request arrived; the answer never leaves
  });
  try {
    const client = createClient({ urls: { social: s.url } });
    await assert.rejects(client.social.post.create({ app_id: "a1", event_id: "e1", text: "once" }), (e) => {
      assert.ok(isAttendifyError(e, "unavailable"), String(e));
      assert.equal(e.retryable, false, "post.create may have run: an app that trusts retryable posts it twice");
      return true;
    });
    assert.equal(n, 1);
    n = 0;
    await assert.rejects(client.social.post.get({ app_id: "a1", post_id: "p1" }), (e) => isAttendifyError(e, "unavailable") && e.retryable);
    assert.equal(n, 3);
  } finally {
    s.stop();
  }
});
