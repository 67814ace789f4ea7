#!/usr/bin/env node
// CouchDB-compatible dev server: pouchdb-server's express-pouchdb app behind a
// small HTTP front that makes plain kivik v4 (couchdb driver, default options)
// behave against it as against Apache CouchDB 3. See dev/README.md for each
// difference and how it was verified.
//
// One process, two listeners: express-pouchdb on an ephemeral loopback port
// (the "back") and the front on 127.0.0.1:5984 that every client uses.
//
// Usage: node server.js [--in-memory] [--sharded] [--dir PATH] [--port N] [--host ADDR]
// Environment (flags win):
//   COUCHDB_DEV_PORT (else PORT, else 5984), COUCHDB_DEV_HOST (127.0.0.1)
//   COUCHDB_DEV_IN_MEMORY=1        keep databases in memory only
//   COUCHDB_DEV_SHARDED=1          serve _changes as a sharded CouchDB does
//                                  (sharded.js); COUCHDB_DEV_SHARDS shards (3)
//   COUCHDB_DEV_DIR                data directory (default <repo>/.run/couchdb/data)
//   COUCHDB_DEV_ADMIN=user:pass    server admin created at start (default admin:admin;
//                                  empty: no admin, "admin party")
//   COUCHDB_DEV_LOG_LEVEL          express-pouchdb log level (default warning)
'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');
const zlib = require('zlib');

const expressPouchDB = require('express-pouchdb');
const PouchDBCore = require('pouchdb-core');

const repoRoot = path.resolve(__dirname, '..', '..');

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--in-memory' || a === '-m') out.inMemory = true;
    else if (a === '--sharded') out.sharded = true;
    else if (a === '--dir' || a === '-d') out.dir = next();
    else if (a === '--port' || a === '-p') out.port = next();
    else if (a === '--host' || a === '-o') out.host = next();
    else if (a === '--help' || a === '-h') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 19).join('\n') + '\n');
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  return out;
}

function fail(msg) {
  process.stderr.write(`couchdb-dev: ${msg}\n`);
  process.exit(2);
}

function truthy(v) {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

const args = parseArgs(process.argv.slice(2));
const env = process.env;
const opts = {
  host: args.host || env.COUCHDB_DEV_HOST || '127.0.0.1',
  port: Number(args.port || env.COUCHDB_DEV_PORT || env.PORT || 5984),
  inMemory: args.inMemory || truthy(env.COUCHDB_DEV_IN_MEMORY),
  sharded: args.sharded || truthy(env.COUCHDB_DEV_SHARDED),
  shards: Number(env.COUCHDB_DEV_SHARDS || 3),
  dir: path.resolve(args.dir || env.COUCHDB_DEV_DIR || path.join(repoRoot, '.run', 'couchdb', 'data')),
  admin: env.COUCHDB_DEV_ADMIN === undefined ? 'admin:admin' : env.COUCHDB_DEV_ADMIN,
  logLevel: env.COUCHDB_DEV_LOG_LEVEL || 'warning',
};
if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
  fail(`invalid port ${opts.port}`);
}
if (!Number.isInteger(opts.shards) || opts.shards < 1 || opts.shards > 64) {
  fail(`invalid COUCHDB_DEV_SHARDS ${env.COUCHDB_DEV_SHARDS}`);
}

// ---------------------------------------------------------------- back

function buildBack() {
  fs.mkdirSync(opts.dir, { recursive: true });
  let PouchDB = PouchDBCore
    .plugin(require('pouchdb-adapter-http'))
    .plugin(require('pouchdb-replication'))
    .plugin(require('pouchdb-mapreduce'));
  if (opts.inMemory) {
    PouchDB = PouchDB.plugin(require('pouchdb-adapter-memory'));
  } else {
    PouchDB = PouchDB.plugin(require('pouchdb-adapter-leveldb'));
  }
  PouchDB = PouchDB.defaults({ prefix: opts.dir + path.sep });

  const app = expressPouchDB({
    // In memory: the config (admins included) lives and dies with the process.
    configPath: path.join(opts.dir, 'config.json'),
    inMemoryConfig: opts.inMemory,
    logPath: path.join(opts.dir, 'pouchdb.log'),
  });
  app.couchConfig.set('log', 'level', opts.logLevel, () => {});
  // express adds weak ETags (W/"len-hash") of its own to every response; kivik
  // would take them for document revisions. CouchDB's are strong; the front
  // sets the ones kivik reads.
  app.set('etag', false);
  app.set('x-powered-by', false);
  replaceChangesRoute(app);
  replaceCopyRoute(app);
  return { app, ready: app.setPouchDB(PouchDB) };
}

// replaceChangesRoute swaps express-pouchdb's handler of feed=continuous and
// feed=longpoll _changes (routes/changes.js) for one that behaves like
// CouchDB's:
//   - response headers go out as soon as the reader is known to be allowed
//     in; express-pouchdb sends nothing until the first change or heartbeat,
//     so kivik's Changes() call itself blocked until then;
//   - a reader that disconnects stops the live PouchDB feed and the heartbeat
//     timer (express-pouchdb kept both running forever for continuous feeds);
//   - the response is cut off when its database is deleted, instead of
//     sending heartbeats forever.
// Normal feeds still go to express-pouchdb.
function replaceChangesRoute(app) {
  const utils = require('express-pouchdb/lib/utils');
  let replaced = 0;
  for (const layer of app._router.stack) {
    if (!layer.route || layer.route.path !== '/:db/_changes') continue;
    for (const h of layer.route.stack) {
      if (h.name !== 'changes') continue;
      const orig = h.handle;
      h.handle = function (req, res, next) {
        const feed = req.query.feed;
        if (feed !== 'continuous' && feed !== 'longpoll') return orig(req, res, next);
        return liveChanges(utils, req, res);
      };
      replaced++;
    }
  }
  if (replaced !== 2) {
    throw new Error(`expected the GET and POST /:db/_changes routes of express-pouchdb, found ${replaced}`);
  }
}

// replaceCopyRoute swaps express-pouchdb's COPY /{db}/{id} handler, which
// answers {"ok":true} without the new document's id and revision (so kivik's
// Copy cannot tell the revision), for one that answers like CouchDB:
// {"ok":true,"id":...,"rev":...} with ETag "<rev>".
function replaceCopyRoute(app) {
  const utils = require('express-pouchdb/lib/utils');
  const layer = app._router.stack.find((l) => l.route && l.route.path === '/:db/:id' && l.route.methods.copy);
  if (!layer) throw new Error('expected the COPY /:db/:id route of express-pouchdb');
  const h = layer.route.stack[layer.route.stack.length - 1];
  h.handle = function (req, res) {
    let dest = req.get('Destination');
    if (!dest) {
      return utils.sendJSON(res, 400, { error: 'bad_request', reason: 'Destination header is mandatory for COPY.' });
    }
    if (/^https?:\/\//.test(dest)) {
      return utils.sendJSON(res, 400, { error: 'bad_request', reason: 'Destination URL must be relative.' });
    }
    let rev;
    const m = /(.+?)\?rev=(.+)/.exec(dest);
    if (m) {
      dest = m[1];
      rev = m[2];
    }
    req.db.get(req.params.id, utils.makeOpts(req, req.query)).then((doc) => {
      doc._id = dest;
      doc._rev = rev;
      return req.db.put(doc, utils.makeOpts(req, req.query)).then((r) => {
        res.set('ETag', JSON.stringify(r.rev));
        utils.sendJSON(res, 201, { ok: true, id: r.id, rev: r.rev });
      }, (err) => utils.sendError(res, err, 409));
    }, (err) => utils.sendError(res, err));
  };
}

function liveChanges(utils, req, res) {
  utils.setJsonOrPlaintext(res);
  if (req.query.limit < 1) req.query.limit = 1;
  const heartbeat = typeof req.query.heartbeat === 'number' ? req.query.heartbeat
    : req.query.heartbeat === true ? 60000 : 6000;
  const continuous = req.query.feed === 'continuous';
  // as express-pouchdb does: PouchDB wants query_params, and the session
  // for its security checks
  req.query.query_params = JSON.parse(JSON.stringify(req.query));
  const query = utils.makeOpts(req, req.query);
  if (req.body && req.body.doc_ids) query.doc_ids = req.body.doc_ids;

  let closed = false;
  let live = null;
  let timer = null;
  const stop = () => {
    closed = true;
    if (timer) clearInterval(timer);
    timer = null;
    if (live) live.cancel();
    live = null;
  };
  res.on('close', stop);
  // A live feed completes by itself only when its database is deleted: cut
  // the response off, so that the reader sees an error and reconnects (a
  // clean end would tell it nothing, and the database may come back new).
  const abort = () => {
    if (closed) return;
    stop();
    res.destroy();
  };
  const finish = () => {
    if (closed) return;
    stop();
    res.end();
  };

  // The same member check PouchDB's security plugin applies to changes().
  req.db.info(utils.makeOpts(req)).then(() => {
    if (closed) return;
    res.status(200);
    res.flushHeaders();
    timer = setInterval(() => res.write('\n'), heartbeat);
    if (continuous) {
      query.live = query.continuous = true;
      live = req.db.changes(query)
        .on('change', (change) => utils.writeJSON(res, change))
        .on('complete', abort)
        .on('error', abort);
      return;
    }
    // longpoll: what is there already, else wait for the first change
    query.live = query.continuous = false;
    return req.db.changes(query).then((done) => {
      if (closed) return;
      if (done.results.length) {
        utils.writeJSON(res, done);
        return finish();
      }
      query.live = query.continuous = true;
      query.since = done.last_seq;
      live = req.db.changes(query)
        .on('change', (change) => {
          if (closed) return;
          utils.writeJSON(res, { results: [change], last_seq: change.seq });
          finish();
        })
        .on('complete', abort)
        .on('error', abort);
    });
  }).catch((err) => {
    if (closed) return;
    if (!res.headersSent) return utils.sendError(res, err);
    abort();
  });
}

function ensureAdmin(app) {
  if (!opts.admin) return Promise.resolve();
  const i = opts.admin.indexOf(':');
  if (i <= 0) fail('COUCHDB_DEV_ADMIN must be user:password');
  const user = opts.admin.slice(0, i);
  const pass = opts.admin.slice(i + 1);
  const admins = app.couchConfig.getSection('admins') || {};
  if (admins[user]) return Promise.resolve(); // kept from an earlier run (hashed)
  return new Promise((resolve, reject) => {
    app.couchConfig.set('admins', user, pass, (err) => (err ? reject(err) : resolve()));
  });
}

// --------------------------------------------------------------- front

const JSON_TYPE = 'application/json';

function sendJSON(res, status, body, headers) {
  const buf = Buffer.from(JSON.stringify(body) + '\n');
  res.writeHead(status, Object.assign({
    'Content-Type': JSON_TYPE,
    'Content-Length': buf.length,
    'Cache-Control': 'must-revalidate',
  }, headers || {}));
  res.end(buf);
}

// splitPath returns the raw (still percent-encoded) path segments.
function splitPath(rawPath) {
  return rawPath.split('/').filter((s) => s !== '');
}

// isDocPath says whether a path names a document (not an attachment and not a
// database endpoint such as _all_docs): /db/id, /db/_design/id, /db/_local/id.
function isDocPath(segs) {
  if (segs.length < 2 || (segs[0].startsWith('_') && !/^_(users|replicator)$/.test(segs[0]))) {
    return false;
  }
  const id = decodeURIComponent(segs[1]);
  if (id === '_design' || id === '_local') return segs.length === 3;
  if (id.startsWith('_design/') || id.startsWith('_local/')) return segs.length === 2;
  return segs.length === 2 && !id.startsWith('_');
}

// isDBAdminOp matches PUT /{db} and DELETE /{db}, which CouchDB allows only
// to server admins. Once an admin exists, express-pouchdb crashes on a PUT by
// anyone else (TypeError in routes/db.js) and a refused DELETE rejects a
// promise nobody handles, leaving its database-creation queue rejected.
function isDBAdminOp(method, segs) {
  if ((method !== 'PUT' && method !== 'DELETE') || segs.length !== 1) return false;
  return !segs[0].startsWith('_') || /^_(users|replicator)$/.test(segs[0]);
}

// rewritePath maps CouchDB 3 paths that express-pouchdb serves elsewhere.
function rewritePath(rawPath) {
  // CouchDB 2+ serves the configuration per node; kivik's Config,
  // ConfigSection, SetConfigValue... use /_node/{node}/_config.
  const m = /^\/_node\/(?:_local|nonode@nohost|[^/]+@[^/]+)(\/_config(?:\/.*)?)$/.exec(rawPath);
  if (m) return m[1];
  return rawPath;
}

const backAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

// isChangesPath matches /{db}/_changes.
function isChangesPath(segs) {
  return segs.length === 2 && segs[1] === '_changes' && (!segs[0].startsWith('_') || /^_(users|replicator)$/.test(segs[0]));
}

function frontHandler(backPort, sessionTimeout) {
  const shardedChanges = opts.sharded
    ? require('./sharded').handler({ backPort, agent: backAgent, shards: opts.shards, sendJSON })
    : null;
  return function (req, res) {
    const qi = req.url.indexOf('?');
    const rawPath = qi < 0 ? req.url : req.url.slice(0, qi);
    const query = qi < 0 ? '' : req.url.slice(qi);
    const segs = splitPath(rawPath);

    // CouchDB 2+: GET /_up answers {"status":"ok"} once the node is ready;
    // kivik's Ping uses HEAD /_up.
    if (rawPath === '/_up' && (req.method === 'GET' || req.method === 'HEAD')) {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'must-revalidate' });
        return res.end();
      }
      return sendJSON(res, 200, { status: 'ok', seeds: {} });
    }

    const headers = Object.assign({}, req.headers);
    // express-pouchdb compresses responses whenever the client accepts gzip,
    // and its zlib stream holds back feed=continuous and longpoll _changes
    // until a buffer fills. CouchDB does not compress JSON responses.
    delete headers['accept-encoding'];

    // CouchDB decompresses gzip request bodies (kivik gzips every body by
    // default); express-pouchdb only does so for JSON bodies it parses
    // itself and stores attachments and /_config values still compressed.
    let body = req;
    const enc = (headers['content-encoding'] || '').trim().toLowerCase();
    if (enc === 'gzip' || enc === 'deflate' || enc === 'x-gzip') {
      delete headers['content-encoding'];
      delete headers['content-length'];
      body = req.pipe(enc === 'deflate' ? zlib.createInflate() : zlib.createGunzip());
      body.on('error', () => {
        if (!res.headersSent) {
          sendJSON(res, 400, { error: 'bad_request', reason: 'invalid ' + enc + ' request body' });
        } else {
          res.destroy();
        }
      });
    }

    const docPath = isDocPath(segs);
    // For HEAD on a document the back runs GET and discards the body, so the
    // revision is not known; ask for the GET and send only its headers.
    const backMethod = req.method === 'HEAD' && docPath ? 'GET' : req.method;
    const forward = () => proxy(backPort, req, res, {
      method: backMethod,
      path: rewritePath(rawPath) + query,
      headers,
      body,
      docPath,
      sessionTimeout,
    });

    if (shardedChanges && isChangesPath(segs) && (req.method === 'GET' || req.method === 'POST')) {
      const chunks = [];
      body.on('data', (c) => chunks.push(c));
      body.on('end', () => {
        const buf = chunks.length ? Buffer.concat(chunks) : null;
        const h = Object.assign({}, headers);
        delete h['content-length'];
        if (!shardedChanges(req, res, segs[0], query, h, req.method === 'POST' ? buf : null)) {
          proxy(backPort, req, res, { method: req.method, path: rawPath + query, headers: Object.assign(h, buf ? { 'content-length': String(buf.length) } : {}), body: bufferStream(buf), docPath: false, sessionTimeout });
        }
      });
      return;
    }

    if (isDBAdminOp(req.method, segs)) {
      const next = req.method === 'DELETE' ? () => requireDB(backPort, rawPath, headers, res, forward) : forward;
      return requireServerAdmin(backPort, headers, res, next);
    }
    return forward();
  };
}

// backGet makes a GET to the back with the caller's credentials and calls
// done(status, parsed JSON body or undefined); it answers 503 itself when the
// back cannot be reached.
function backGet(backPort, path, headers, res, done) {
  const h = { accept: JSON_TYPE, host: headers.host || '127.0.0.1' };
  if (headers.authorization) h.authorization = headers.authorization;
  if (headers.cookie) h.cookie = headers.cookie;
  const req = http.request({
    host: '127.0.0.1', port: backPort, agent: backAgent, method: 'GET', path, headers: h,
  }, (r) => {
    const chunks = [];
    r.on('data', (c) => chunks.push(c));
    r.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch (e) {
        body = undefined;
      }
      done(r.statusCode, body);
    });
  });
  req.on('error', (err) => sendJSON(res, 503, { error: 'service_unavailable', reason: String(err.message) }));
  req.end();
}

// requireServerAdmin asks the back who the caller is (as CouchDB does before
// creating or deleting a database) and answers 401 unless it is a server
// admin (or no admin exists yet: "admin party").
function requireServerAdmin(backPort, headers, res, next) {
  backGet(backPort, '/_session', headers, res, (status, body) => {
    const roles = (body && body.userCtx && body.userCtx.roles) || [];
    if (status === 200 && roles.indexOf('_admin') !== -1) return next();
    // bad credentials: the back gives its own 401 before reaching the route
    if (status === 401) return next();
    sendJSON(res, 401, { error: 'unauthorized', reason: 'You are not a server admin.' });
  });
}

// requireDB answers 404 for a database that does not exist: express-pouchdb
// "deletes" a missing database with {"ok":true}, CouchDB answers 404.
function requireDB(backPort, rawPath, headers, res, next) {
  backGet(backPort, rawPath, headers, res, (status) => {
    if (status === 404) return sendJSON(res, 404, { error: 'not_found', reason: 'Database does not exist.' });
    next();
  });
}

// needsRevETag says whether the front must compute the response's ETag from
// the revision in its body: CouchDB answers GET/HEAD/DELETE/COPY of a document
// with ETag: "<rev>", and kivik reads the revision from it (Get, GetRev,
// Delete, Copy).
function needsRevETag(method, docPath, status) {
  if (!docPath || status < 200 || status >= 300) return false;
  return method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'COPY';
}

// persistentSessionCookie gives express-pouchdb's AuthSession cookie the
// lifetime of the session, as CouchDB 3 does (allow_persistent_cookies is
// true there). kivik renews its session a minute before the cookie expires;
// a cookie without an expiry it keeps until a request fails with 401, and
// the server forgets the session after `timeout` seconds without requests.
function persistentSessionCookie(setCookie, timeoutSecs) {
  if (!setCookie) return setCookie;
  const list = Array.isArray(setCookie) ? setCookie : [setCookie];
  return list.map((c) => {
    if (!/^AuthSession=[^;]+/.test(c) || /;\s*(max-age|expires)=/i.test(c)) return c;
    const expires = new Date(Date.now() + timeoutSecs * 1000).toUTCString();
    return `${c}; Max-Age=${timeoutSecs}; Expires=${expires}`;
  });
}

function proxy(backPort, req, res, p) {
  const backReq = http.request({
    host: '127.0.0.1',
    port: backPort,
    agent: backAgent,
    method: p.method,
    path: p.path,
    headers: p.headers,
  }, (backRes) => {
    const headers = Object.assign({}, backRes.headers);
    headers['set-cookie'] = persistentSessionCookie(headers['set-cookie'], p.sessionTimeout());
    if (!headers['set-cookie']) delete headers['set-cookie'];
    const etag = headers.etag;
    if (etag && /^W\//.test(etag)) delete headers.etag;

    const type = (headers['content-type'] || '').split(';')[0].trim();
    const revETag = needsRevETag(req.method, p.docPath, backRes.statusCode);
    if ((revETag || backRes.statusCode === 500) && type === JSON_TYPE) {
      const chunks = [];
      backRes.on('data', (c) => chunks.push(c));
      backRes.on('end', () => {
        const buf = Buffer.concat(chunks);
        let body;
        try {
          body = JSON.parse(buf.toString('utf8'));
        } catch (e) {
          body = undefined;
        }
        let status = backRes.statusCode;
        const rev = body && (body._rev || body.rev);
        if (revETag && typeof rev === 'string' && rev !== '') headers.etag = JSON.stringify(rev);
        // PouchDB reports a bad document (a reserved _member, a malformed
        // _id) as 500; CouchDB answers 400.
        if (status === 500 && body && (body.error === 'doc_validation' || body.error === 'bad_request')) {
          status = 400;
        }
        headers['content-length'] = String(buf.length);
        delete headers['transfer-encoding'];
        res.writeHead(status, headers);
        res.end(req.method === 'HEAD' ? undefined : buf);
      });
      backRes.on('error', () => res.destroy());
      return;
    }

    res.writeHead(backRes.statusCode, headers);
    // Send the headers now: a live _changes feed may write nothing for a
    // while, and the client waits for them.
    res.flushHeaders();
    backRes.pipe(res);
    // A response the back cuts off is cut off for the client too.
    backRes.on('error', () => res.destroy());
    backRes.on('close', () => {
      if (!backRes.complete) res.destroy();
    });
  });

  // A client that goes away (a follower closing its continuous feed) takes
  // the back request with it.
  res.on('close', () => {
    if (!res.writableFinished) backReq.destroy();
  });
  backReq.on('error', (err) => {
    if (!res.headersSent) {
      sendJSON(res, 502, { error: 'bad_gateway', reason: String(err.message) });
    } else {
      res.destroy();
    }
  });
  p.body.pipe(backReq);
}

// bufferStream returns a readable stream of buf (or of nothing).
function bufferStream(buf) {
  const { Readable } = require('stream');
  return Readable.from(buf ? [buf] : []);
}

// ---------------------------------------------------------------- main

function main() {
  const { app, ready } = buildBack();
  const back = http.createServer(app);
  back.keepAliveTimeout = 60000;

  Promise.resolve(ready)
    .then(() => ensureAdmin(app))
    .then(() => new Promise((resolve, reject) => {
      back.once('error', reject);
      back.listen(0, '127.0.0.1', resolve);
    }))
    .then(() => new Promise((resolve, reject) => {
      const sessionTimeout = () => Number(app.couchConfig.get('couch_httpd_auth', 'timeout')) || 600;
      const front = http.createServer(frontHandler(back.address().port, sessionTimeout));
      front.keepAliveTimeout = 60000;
      front.once('error', reject);
      front.listen(opts.port, opts.host, () => resolve(front));
    }))
    .then((front) => {
      const a = front.address();
      let mode = opts.inMemory ? 'in memory' : `on disk in ${opts.dir}`;
      if (opts.sharded) mode += `; _changes sharded ${opts.shards} ways`;
      const admin = opts.admin ? `admin user "${opts.admin.split(':')[0]}"` : 'no admin (admin party)';
      process.stdout.write(`couchdb-dev: listening on http://${a.address}:${a.port}/ (${mode}; ${admin}; pid ${process.pid})\n`);
    })
    .catch((err) => {
      if (err && err.code === 'EADDRINUSE') fail(`port ${opts.port} is already in use`);
      fail(err && err.stack ? err.stack : String(err));
    });

  // express-pouchdb was written when an unhandled rejection was a warning;
  // Node 15+ exits on one. Log it and keep serving, as pouchdb-server did.
  process.on('unhandledRejection', (reason) => {
    const msg = reason && reason.stack ? reason.stack : JSON.stringify(reason);
    process.stderr.write(`couchdb-dev: unhandled rejection (ignored): ${msg}\n`);
  });

  const stop = (sig) => {
    process.stdout.write(`couchdb-dev: ${sig}, exiting\n`);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
