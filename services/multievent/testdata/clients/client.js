// A real client of multievent, driven by the Go tests: PouchDB (in memory)
// replicating the content databases through multievent's replication front
// with the CouchDB replication protocol, reading its local copy offline,
// and ical.js parsing the calendar feed with its own VTIMEZONEs.
//
// It reads one JSON command per line on stdin and answers one JSON line on
// stdout:
//
//   {"cmd":"pull","local":"phone","url":"<database URL>","token":"<member token>"}
//     -> {"ok":true,"docs_read":n} or {"ok":false,"status":404,"error":"..."}
//   {"cmd":"docs","local":"phone"}
//     -> {"docs":{"<id>":{...},...}}   (the local copy, read offline)
//   {"cmd":"ical","text":"BEGIN:VCALENDAR..."}
//     -> {"events":[{"uid":"...","start":"<ISO UTC>","end":"<ISO UTC>","tzid":"..."}]}
'use strict';

const readline = require('node:readline');
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-replication'));
const ICAL = require('ical.js');

const locals = {};

function local(name) {
  if (!locals[name]) {
    locals[name] = new PouchDB(name, { adapter: 'memory' });
  }
  return locals[name];
}

// remote is a database behind the front, with the member's token on every
// request; skip_setup: a read-only source is never created.
function remote(url, token) {
  return new PouchDB(url, {
    skip_setup: true,
    fetch(u, opts) {
      opts.headers.set('Authorization', 'Bearer ' + token);
      return PouchDB.fetch(u, opts);
    },
  });
}

async function pull(cmd) {
  try {
    const res = await PouchDB.replicate(remote(cmd.url, cmd.token), local(cmd.local), { batch_size: 50, retry: false });
    return { ok: res.ok, docs_read: res.docs_read, docs_written: res.docs_written, errors: res.errors.length };
  } catch (err) {
    return { ok: false, status: err.status || 0, error: String((err && (err.message || err.reason)) || err) };
  }
}

async function docs(cmd) {
  const res = await local(cmd.local).allDocs({ include_docs: true });
  const out = {};
  for (const row of res.rows) {
    out[row.id] = row.doc;
  }
  return { docs: out };
}

function ical(cmd) {
  const comp = new ICAL.Component(ICAL.parse(cmd.text));
  // The feed's own VTIMEZONEs, not a zone database, turn local times into
  // instants.
  for (const vtz of comp.getAllSubcomponents('vtimezone')) {
    ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
  }
  const events = comp.getAllSubcomponents('vevent').map((v) => {
    const e = new ICAL.Event(v);
    return {
      uid: e.uid,
      summary: e.summary,
      tzid: e.startDate.zone ? e.startDate.zone.tzid : '',
      start: e.startDate.toJSDate().toISOString(),
      end: e.endDate.toJSDate().toISOString(),
    };
  });
  return { events };
}

async function handle(line) {
  const cmd = JSON.parse(line);
  switch (cmd.cmd) {
    case 'pull':
      return pull(cmd);
    case 'docs':
      return docs(cmd);
    case 'ical':
      return ical(cmd);
  }
  return { error: 'unknown command ' + cmd.cmd };
}

// A connection cut under a request in flight (the test going offline) may
// surface outside the replication's promise: report it, keep running.
process.on('unhandledRejection', (err) => {
  process.stderr.write('client.js: unhandled rejection: ' + String(err && err.stack || err) + '\n');
});
process.on('uncaughtException', (err) => {
  process.stderr.write('client.js: uncaught exception: ' + String(err && err.stack || err) + '\n');
});

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(async () => {
    let out;
    try {
      out = await handle(line);
    } catch (err) {
      out = { error: String(err && err.stack || err) };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  });
});
