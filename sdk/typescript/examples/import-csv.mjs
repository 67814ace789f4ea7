// @ts-check
// An organizer imports attendees from a CSV file: upload, wait for the
// analysis, look at the preview, commit, and follow the progress.
//
//   node examples/import-csv.mjs .run/stack.json [attendees.csv]

import { readFileSync } from "node:fs";

import { loadStack } from "./stack.mjs";

const { client, app, event, organizer } = loadStack(process.argv[2]);
const account = await client.hub.auth.logIn({ email: organizer.email, password: organizer.password });
const { token } = await client.withToken(account.token).hub.auth.appToken({ app_id: app });
const importer = client.withToken(token).importer;

const stamp = Date.now().toString(36);
const file = process.argv[3]
  ? readFileSync(process.argv[3])
  : new TextEncoder().encode(`Email,First name,Last name\nexample-${stamp}@example.com,Alan,Turing\n`);
const imp = await importer.upload({ app_id: app, event_id: event, kind: "attendees", name: "attendees.csv" }, file);
console.log(`import ${imp.id}: ${imp.status}`);

/**
 * Reads the import until done accepts its status.
 * @param {(status: string) => boolean} done
 */
async function follow(done) {
  for (;;) {
    const now = await importer.import.get({ app_id: app, import_id: imp.id });
    if (done(now.status)) return now;
    console.log(`  ${now.status}: ${now.progress.rows_done}/${now.progress.rows_total} rows`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const analyzed = await follow((s) => s !== "analyzing");
if (analyzed.status !== "ready") throw new Error(`the analysis ended ${analyzed.status}: ${JSON.stringify(analyzed.error)}`);
const preview = await importer.import.preview({ app_id: app, import_id: imp.id });
console.log("preview:", JSON.stringify(preview.import.counts));
await importer.import.commit({ app_id: app, import_id: imp.id });
const done = await follow((s) => s === "done" || s === "failed" || s === "canceled");
console.log(`import ${done.id}: ${done.status}, ${done.progress.rows_done} rows`);
if (done.status !== "done") process.exit(1);
