// @ts-check
// The SDK against the real services: the stack `make run` starts, whose
// summary (`make run STACK_FLAGS="-json FILE"`) names the services' URLs,
// the demo app and its tokens. ATTENDIFY_STACK is that file's path; the Go
// test TestTypeScriptSDK (dev/cmd/stack) starts a stack and sets it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, test } from "node:test";

import { createClient, isAttendifyError } from "@attendify/client";

/** A valid 1×1 PNG. */
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

/** @type {any} */
let stack;
/** @type {ReturnType<typeof createClient>} */
let anon;
/** @type {ReturnType<typeof createClient>} */
let organizer;
/** @type {ReturnType<typeof createClient>} */
let member;
let app = "";
let event = "";
const run = Date.now().toString(36);

before(async () => {
  const path = process.env.ATTENDIFY_STACK;
  if (!path) {
    throw new Error('ATTENDIFY_STACK is not set: run `make run STACK_FLAGS="-json /tmp/stack.json"`, then ATTENDIFY_STACK=/tmp/stack.json npm test');
  }
  stack = JSON.parse(readFileSync(path, "utf8"));
  /** @type {Record<string, string>} */
  const urls = {};
  for (const s of stack.services) urls[s.name] = s.url;
  anon = createClient({ urls, timeoutMs: 30_000 });
  app = stack.app.id;
  event = stack.app.event_ids[0];
  const memberToken = stack.tokens.find((/** @type {any} */ t) => t.var === "MEMBER_TOKEN")?.token;
  assert.ok(memberToken, "the summary has no member token");
  member = anon.withToken(memberToken);

  // Sign in as the demo organizer, then take a token of the demo app.
  const account = await anon.hub.auth.logIn({ email: stack.organizer.email, password: stack.organizer.password });
  const appToken = await anon.withToken(account.token).hub.auth.appToken({ app_id: app });
  assert.equal(appToken.app_id, app);
  organizer = anon.withToken(appToken.token);
});

test("sign in: a wrong password is an AttendifyError with its stable reason", async () => {
  await assert.rejects(anon.hub.auth.logIn({ email: stack.organizer.email, password: "not the password" }), (e) => {
    assert.ok(isAttendifyError(e), String(e));
    assert.ok(e.code > 1000, `code ${e.code}`);
    assert.ok(e.reason !== "", "no reason");
    assert.ok(e.requestId !== "", "no request id");
    return true;
  });
  const me = await member.hub.member.me({ app_id: app });
  assert.ok(me.id);
});

test("post with a photo, like it, read it in the feed", async () => {
  const photo = await member.social.uploadPhoto(app, png);
  assert.ok(photo.photo_id);
  const text = `Hello from the TypeScript SDK ${run}`;
  const post = await member.social.post.create({ app_id: app, event_id: event, text, photo_ids: [photo.photo_id] });
  assert.equal(post.text, text);
  assert.equal(post.photos?.length, 1);
  await organizer.social.reaction.set({ app_id: app, post_id: post.id, reaction: "like" });

  const feed = await member.social.feed.get({ app_id: app, kind: "event", id: event, limit: 20 });
  const mine = feed.items.find((p) => p.id === post.id);
  assert.ok(mine, "the new post is not in the event's feed");
  assert.equal(mine.reaction_count, 1);

  // The same reads in one batch, and a post that does not exist.
  const [got, missing] = await member.batch([
    member.social.post.get.request({ app_id: app, post_id: post.id }),
    member.social.post.get.request({ app_id: app, post_id: "0000000000000000000000" }),
  ]);
  assert.ok(got.ok && got.value.id === post.id);
  assert.ok(!missing.ok && (missing.error.reason === "not_found" || missing.error.code === -32602), JSON.stringify(missing));

  // Invalid params name the field.
  await assert.rejects(member.social.post.create({ app_id: app, event_id: event, text: "x".repeat(8001) }), (e) => {
    assert.ok(isAttendifyError(e));
    assert.equal(e.code, -32602);
    assert.equal(e.reason, "invalid");
    assert.ok(e.fields.some((f) => f.field === "/text"), JSON.stringify(e.fields));
    return true;
  });
});

test("import a CSV of attendees and watch it to the end", async () => {
  const csv = `Email,First name,Last name\nsdk-${run}-1@example.com,Ada,Lovelace\nsdk-${run}-2@example.com,Grace,Hopper\n`;
  let imp = await organizer.importer.upload({ app_id: app, event_id: event, kind: "attendees", name: "sdk.csv" }, new TextEncoder().encode(csv));
  assert.equal(imp.status, "analyzing");
  imp = await until(() => organizer.importer.import.get({ app_id: app, import_id: imp.id }), (i) => i.status !== "analyzing");
  assert.equal(imp.status, "ready", JSON.stringify(imp.error ?? imp.problems));
  const preview = await organizer.importer.import.preview({ app_id: app, import_id: imp.id });
  assert.ok(preview);
  await organizer.importer.import.commit({ app_id: app, import_id: imp.id });
  /** @type {number[]} */
  const progress = [];
  imp = await until(
    () => organizer.importer.import.get({ app_id: app, import_id: imp.id }),
    (i) => {
      progress.push(i.progress.rows_done);
      return i.status === "done" || i.status === "failed";
    },
  );
  assert.equal(imp.status, "done");
  assert.equal(imp.progress.rows_done, 2, `progress seen: ${progress}`);
  const report = await organizer.importer.report(app, imp.id);
  assert.equal(new TextDecoder().decode(report.slice(0, 2)), "PK");
});

test("read the wall over SSE: the full state, then a new post", async () => {
  const wallURL = stack.browser.find((/** @type {any} */ l) => l.name === "event wall")?.url;
  assert.ok(wallURL, "the summary has no wall");
  const token = new URL(wallURL).pathname.split("/")[2] ?? "";
  const abort = new AbortController();
  const stream = anon.eventwall.stream({ token }, { signal: abort.signal });
  const first = await stream.next();
  assert.ok(!first.done && first.value.reset, "the first event is not the full state");
  assert.ok(first.value.config?.title);

  const text = `On the wall ${run}`;
  await member.social.post.create({ app_id: app, event_id: event, text });
  const timer = setTimeout(() => abort.abort(), 60_000);
  let shown = false;
  for await (const changes of stream) {
    if (changes.items.some((i) => i.text === text)) {
      shown = true;
      break;
    }
  }
  clearTimeout(timer);
  abort.abort();
  assert.ok(shown, "the new post never reached the wall's stream");
  const polled = await anon.eventwall.poll({ token });
  assert.ok(polled?.items.some((i) => i.text === text));
});

/**
 * Calls get until done accepts its answer (every 200 ms, up to a minute).
 * @template T
 * @param {() => Promise<T>} get
 * @param {(v: T) => boolean} done
 * @returns {Promise<T>}
 */
async function until(get, done) {
  const end = Date.now() + 60_000;
  for (;;) {
    const v = await get();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}
