// Sharded _changes for the CouchDB dev server's front (server.js --sharded,
// COUCHDB_DEV_SHARDED=1).
//
// Apache CouchDB 3 splits every database into shards (q=2 by default) and
// its _changes feed merges the shards' own feeds: the changes of different
// documents come in no global order (d1, d2, d3 written in that order may
// arrive d2, d1, d3), sequences are opaque strings ("12-g1AAAA..."), and a
// feed resumed from a sequence may repeat changes already delivered. Only
// the order of one document's own changes holds. PouchDB keeps one global
// order, so code and tests run against the plain dev server cannot tell
// when they rely on more than CouchDB promises. This mode serves _changes
// the way a sharded database does:
//
//   - every document belongs to one of `shards` shards (a hash of its id);
//     a sequence is the position reached in every shard, encoded as
//     "<sum>-<base64url JSON>" (opaque to clients, as CouchDB's);
//   - the changes of one answer are taken from the shards in random
//     interleaving, each shard's in its own order (so one document's
//     changes stay in order);
//   - the sequence of a change also remembers, for each shard, where that
//     shard was before its latest change in the same answer: a feed resumed
//     from it (what consumers checkpoint) delivers those latest changes
//     again, one per shard at most, and each change comes again once only:
//     a repeated change's sequence remembers nothing, so a reader that
//     resumes from the last row it read (PouchDB's replicator does) makes
//     progress. last_seq remembers nothing of the kind: polling from
//     last_seq repeats nothing.
//
// Normal, longpoll and continuous feeds are served (since=0, now, or a
// sequence; limit, heartbeat, timeout for longpoll; every other parameter,
// such as include_docs, style, filter or a POSTed doc_ids, goes to PouchDB
// as is). descending=true and eventsource feeds are passed through
// unsharded.
'use strict';

const http = require('http');

// fnv1a is a 32-bit FNV-1a hash of a string's UTF-16 units: the shard of a
// document id.
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

// A position is, per shard, [cur, prev]: the PouchDB sequence of the last
// change delivered from that shard, and where the shard was before it
// (prev === cur: nothing to deliver again).
function encodeSeq(pos) {
  const sum = pos.reduce((a, p) => a + p[0], 0);
  return `${sum}-${Buffer.from(JSON.stringify(pos)).toString('base64url')}`;
}

// decodeSeq returns the starting point of a feed resumed from since: per
// shard, the position to deliver the changes after (start) and the position
// the sequence had reached (seen: the changes up to it come again). null
// for a malformed sequence.
function decodeSeq(since, shards) {
  if (/^[0-9]+$/.test(since)) {
    const n = Number(since);
    return { start: new Array(shards).fill(n), seen: new Array(shards).fill(n) };
  }
  const m = /^[0-9]+-([A-Za-z0-9_-]+)$/.exec(since);
  if (!m) return null;
  let pos;
  try {
    pos = JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8'));
  } catch (e) {
    return null;
  }
  const ok = Array.isArray(pos) && pos.length === shards && pos.every((p) => Array.isArray(p) &&
    p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0) && p[1] <= p[0]);
  // Resuming goes back to prev: the changes remembered there come again.
  return ok ? { start: pos.map((p) => p[1]), seen: pos.map((p) => p[0]) } : null;
}

// backLimit is how many PouchDB changes one look at the back reads.
const backLimit = 500;

// handler returns the front's handler of GET and POST /{db}/_changes:
// changes(req, res, db, search, headers, body) serves the feed and returns
// true, or returns false for a feed it leaves unsharded. backPort and agent
// reach the back; sendJSON(res, status, body) answers.
function handler({ backPort, agent, shards, sendJSON }) {
  function back(method, path, headers, body, done, fail) {
    const h = Object.assign({}, headers);
    delete h['content-length'];
    delete h['transfer-encoding'];
    if (body) h['content-length'] = String(body.length);
    const req = http.request({ host: '127.0.0.1', port: backPort, agent, method, path, headers: h }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => {
        if (!r.complete) return fail(new Error('the back cut the response off'));
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch (e) {
          json = undefined;
        }
        done(r.statusCode, json, text, r.headers);
      });
      r.on('error', fail);
      r.on('aborted', () => fail(new Error('the back cut the response off')));
    });
    req.on('error', fail);
    req.end(body);
    return req;
  }

  return function changes(req, res, db, search, headers, body) {
    const params = new URLSearchParams(search);
    const feed = params.get('feed') || 'normal';
    if (params.get('descending') === 'true' || !['normal', 'longpoll', 'continuous'].includes(feed)) {
      return false; // not sharded: the caller proxies it
    }
    const limit = params.has('limit') ? Math.max(1, Number(params.get('limit')) || 1) : Infinity;
    const heartbeat = params.has('heartbeat') ? (Number(params.get('heartbeat')) || 60000) : 0;
    const timeout = Number(params.get('timeout')) || 60000;
    const since = params.get('since') || '0';
    const pass = new URLSearchParams(params);
    for (const k of ['feed', 'since', 'limit', 'heartbeat', 'timeout', 'seq_interval']) pass.delete(k);
    const method = req.method === 'POST' ? 'POST' : 'GET';
    const dbPath = '/' + db;

    let closed = false;
    let pending = null; // the back request in flight
    let timer = null;
    let beat = null;
    const cleanup = () => {
      closed = true;
      if (pending) pending.destroy();
      pending = null;
      clearTimeout(timer);
      clearInterval(beat);
    };
    res.on('close', cleanup);
    const fail = (status, json, text) => {
      if (closed) return;
      if (!res.headersSent) {
        cleanup();
        if (json) return sendJSON(res, status, json);
        res.writeHead(status || 502, { 'Content-Type': 'text/plain' });
        return res.end(text || 'bad gateway');
      }
      cleanup();
      res.destroy(); // a feed cut off: the reader sees an error and resumes
    };
    const startBody = () => {
      if (res.headersSent) return;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'must-revalidate' });
      res.flushHeaders();
      if (heartbeat > 0) beat = setInterval(() => res.write('\n'), heartbeat);
    };

    // start: the position to deliver after, per shard; seen: what the
    // reader had already received (a change up to it is a repeat).
    let start;
    let seen;
    const begin = ({ start: from, seen: got }) => {
      start = from;
      seen = got;
      if (feed !== 'normal') startBody();
      poll();
    };

    let emitted = 0;
    const acc = []; // a normal feed's answer, over several looks at the back
    const deadline = Date.now() + timeout;
    // poll reads the back from the lowest shard position and delivers what
    // the shards have after their positions; when there is nothing, it waits
    // (longpoll, continuous) for the back's next change.
    const poll = () => {
      const base = Math.min(...start);
      const q = new URLSearchParams(pass);
      q.set('since', String(base));
      q.set('limit', String(backLimit));
      pending = back(method, `${dbPath}/_changes?${q}`, headers, body, (status, json, text) => {
        pending = null;
        if (closed) return;
        if (status !== 200 || !json || !Array.isArray(json.results)) return fail(status, json, text);
        const window = Number(json.last_seq);
        const truncated = json.results.length >= backLimit;
        // Each shard's changes after its position, in order.
        const queues = Array.from({ length: shards }, () => []);
        for (const c of json.results) {
          const s = fnv1a(c.id) % shards;
          if (c.seq > start[s]) queues[s].push(c);
        }
        const pos = start.map((p) => [p, p]);
        const out = [];
        const room = limit - emitted;
        while (out.length < room) {
          const open = queues.map((q2, i) => i).filter((i) => queues[i].length > 0);
          if (open.length === 0) break;
          const s = open[Math.floor(Math.random() * open.length)];
          const c = queues[s].shift();
          // A change delivered again is not remembered again: a reader that
          // resumes from its sequence moves on (as CouchDB's readers do; a
          // feed that repeated its last changes on every resume would hold
          // PouchDB's replicator, which resumes from the last row's seq,
          // in a loop).
          pos[s] = [c.seq, c.seq <= seen[s] ? c.seq : pos[s][0]];
          out.push(Object.assign({}, c, { seq: encodeSeq(pos) }));
        }
        // Where each shard stands now: a shard with nothing left in the
        // window has nothing up to the window's end.
        const next = pos.map((p, i) => (queues[i].length === 0 ? Math.max(p[0], window) : p[0]));
        start = next;
        emitted += out.length;
        const lastSeq = encodeSeq(next.map((n) => [n, n]));
        if (feed === 'normal') {
          acc.push(...out);
          if (truncated && emitted < limit) return poll();
          cleanup();
          return sendJSON(res, 200, { results: acc, last_seq: lastSeq, pending: 0 });
        }
        if (feed === 'longpoll' && out.length > 0) {
          cleanup();
          res.end(JSON.stringify({ results: out, last_seq: lastSeq }) + '\n');
          return;
        }
        for (const c of out) res.write(JSON.stringify(c) + '\n');
        if (emitted >= limit) {
          cleanup();
          if (feed === 'continuous') res.end(JSON.stringify({ last_seq: lastSeq }) + '\n');
          return;
        }
        if (truncated) return poll();
        wait(window, lastSeq);
      }, (err) => fail(502, { error: 'bad_gateway', reason: String(err.message) }));
    };

    // wait holds the feed until the back has a change after window (or, for
    // longpoll, until the timeout: then an empty answer).
    const wait = (window, lastSeq) => {
      if (feed === 'longpoll') {
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (closed) return;
          cleanup();
          res.end(JSON.stringify({ results: [], last_seq: lastSeq }) + '\n');
        }, Math.max(0, deadline - Date.now()));
      }
      const q = new URLSearchParams(pass);
      q.set('feed', 'longpoll');
      q.set('since', String(window));
      q.set('heartbeat', '10000');
      pending = back(method, `${dbPath}/_changes?${q}`, headers, body, (status, json, text) => {
        pending = null;
        if (closed) return;
        if (status !== 200 || !json) return fail(status, json, text);
        poll();
      }, (err) => fail(502, { error: 'bad_gateway', reason: String(err.message) }));
    };

    if (since === 'now') {
      back('GET', dbPath, headers, null, (status, json, text) => {
        if (closed) return;
        if (status !== 200 || !json) return fail(status, json, text);
        const seq = Number(json.update_seq) || 0;
        begin({ start: new Array(shards).fill(seq), seen: new Array(shards).fill(seq) });
      }, (err) => fail(502, { error: 'bad_gateway', reason: String(err.message) }));
      return true;
    }
    const pos = decodeSeq(since, shards);
    if (!pos) {
      sendJSON(res, 400, { error: 'bad_request', reason: "Malformed sequence supplied in 'since' parameter." });
      return true;
    }
    begin(pos);
    return true;
  };
}

module.exports = { handler, encodeSeq, decodeSeq, fnv1a };
