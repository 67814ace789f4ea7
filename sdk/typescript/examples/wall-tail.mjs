// @ts-check
// The wall's live posts, as a screen at the venue receives them (SSE).
// Ctrl-C stops it; --once stops after the first state.
//
//   node examples/wall-tail.mjs .run/stack.json [--once]

import { loadStack } from "./stack.mjs";

const { client, wallURL } = loadStack(process.argv[2]);
const once = process.argv.includes("--once");
const token = new URL(wallURL).pathname.split("/")[2] ?? "";

const abort = new AbortController();
process.on("SIGINT", () => abort.abort());
for await (const changes of client.eventwall.stream({ token }, { signal: abort.signal })) {
  if (changes.reset) console.log(`== ${changes.config?.title ?? "the wall"}`);
  for (const item of changes.items) console.log(`${item.created_at}  ${item.author}: ${item.text}`);
  for (const id of changes.removed) console.log(`(removed ${id})`);
  if (once) break;
}
