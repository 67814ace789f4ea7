// @ts-check
// Each method's own time limit (MethodMeta.timeoutMs, from x-timeout-ms in
// its service's OpenRPC document) is a call's time limit when neither the
// call nor the client sets one; against local HTTP servers.

import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient, isAttendifyError, Transport } from "@attendify/client";

import { method } from "../dist/runtime.js";
import { serve } from "./serve.mjs";

/** A server that answers every call at once and keeps each one's X-Budget-Ms. */
async function budgets() {
  /** @type {number[]} */
  const seen = [];
  const s = await serve((req, res, raw) => {
    seen.push(Number(req.headers["x-budget-ms"]));
    const body = JSON.parse(raw);
    res.writeHead(200, { "Content-Type": "application/json" });
    const answer = (/** @type {any} */ c) => ({ jsonrpc: "2.0", result: null, id: c.id });
    res.end(JSON.stringify(Array.isArray(body) ? body.map(answer) : answer(body)));
  });
  return { ...s, seen };
}

/**
 * Asserts that a call went with a budget of at most max ms and more than
 * min ms (the time left when it was sent).
 * @param {number | undefined} got @param {number} min @param {number} max @param {string} what
 */
function budget(got, min, max, what) {
  assert.ok(got !== undefined && got > min && got <= max, `${what}: X-Budget-Ms ${got}, want in (${min}, ${max}]`);
}

test("the generated methods carry their service's time limits", () => {
  const client = createClient({ urls: {} });
  assert.equal(client.sponsored.campaign.report.timeoutMs, 30_000);
  assert.equal(client.social.post.create.timeoutMs, 15_000);
  assert.equal(client.multievent.directory.list.timeoutMs, 5_000);
  assert.equal(client.social.post.get.timeoutMs, 10_000);
});

test("a call's time limit is its method's when neither the call nor the client sets one", async () => {
  const s = await budgets();
  try {
    const client = createClient({ urls: { sponsored: s.url, social: s.url, multievent: s.url } });
    await client.sponsored.campaign.report({ app_id: "a1", campaign_id: "c1" });
    budget(s.seen[0], 10_000, 30_000, "campaign.report (30 s), past the 10 s default");
    await client.social.post.create({ app_id: "a1", event_id: "e1", text: "hello" });
    budget(s.seen[1], 10_000, 15_000, "post.create (15 s)");
    await client.multievent.directory.list({ app_id: "a1" });
    budget(s.seen[2], 0, 5_000, "directory.list (5 s)");

    // The call's own option wins, then the client's.
    await client.sponsored.campaign.report({ app_id: "a1", campaign_id: "c1" }, { timeoutMs: 45_000 });
    budget(s.seen[3], 30_000, 45_000, "campaign.report with its call's 45 s");
    const brief = createClient({ urls: { sponsored: s.url }, timeoutMs: 2_000 });
    await brief.sponsored.campaign.report({ app_id: "a1", campaign_id: "c1" });
    budget(s.seen[4], 0, 2_000, "campaign.report with the client's 2 s");
    await brief.sponsored.campaign.report({ app_id: "a1", campaign_id: "c1" }, { timeoutMs: 40_000 });
    budget(s.seen[5], 30_000, 40_000, "campaign.report with its call's 40 s over the client's 2 s");

    // A batch gets the longest of its calls' limits.
    await client.batch([
      client.sponsored.campaign.report.request({ app_id: "a1", campaign_id: "c1" }),
      client.sponsored.campaign.get.request({ app_id: "a1", campaign_id: "c1" }),
    ]);
    budget(s.seen[6], 10_000, 30_000, "a batch with campaign.report");
  } finally {
    s.stop();
  }
});

test("a method's time limit ends a call the service does not answer", async () => {
  // A service that never answers.
  const s = await serve(() => {});
  try {
    const t = new Transport({ urls: { social: s.url } });
    const quick = method(t, "social", "quick.get", { idempotent: true, timeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(quick({}), (e) => isAttendifyError(e, "deadline_exceeded"));
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 5_000, `ended after ${took} ms, want about 300 (not the 10 s default)`);
  } finally {
    s.stop();
  }
});
