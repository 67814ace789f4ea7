// @ts-check
// What the examples need to reach the demo stack: `make run
// STACK_FLAGS="-json .run/stack.json"` writes it; pass that file's path.

import { readFileSync } from "node:fs";

import { createClient } from "@attendify/client";

/**
 * The stack's summary (services' URLs, the demo app, its tokens) and a
 * client without a token.
 * @param {string | undefined} path
 */
export function loadStack(path) {
  if (!path) {
    console.error('usage: node examples/<name>.mjs STACK_JSON (from: make run STACK_FLAGS="-json .run/stack.json")');
    process.exit(2);
  }
  const stack = JSON.parse(readFileSync(path, "utf8"));
  /** @type {Record<string, string>} */
  const urls = {};
  for (const s of stack.services) urls[s.name] = s.url;
  /** @param {string} name */
  const token = (name) => stack.tokens.find((/** @type {{ var: string }} */ t) => t.var === name)?.token;
  return {
    client: createClient({ urls }),
    /** @type {string} */
    app: stack.app.id,
    /** @type {string} */
    event: stack.app.event_ids[0],
    /** @type {{ email: string, password: string }} */
    organizer: stack.organizer,
    /** @type {string} */
    memberToken: token("MEMBER_TOKEN"),
    /** @type {string} */
    wallURL: stack.browser.find((/** @type {{ name: string }} */ l) => l.name === "event wall")?.url,
  };
}
