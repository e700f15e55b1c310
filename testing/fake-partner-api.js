'use strict';

// A local fake of the ChatBotKit Partner API (the `/v1/partner/user/*` part)
// for tests: in-memory users, sessions and tokens, a request log, and fault
// injection. Node built-ins only. The public API is described in index.d.ts.

const http = require('node:http');
const { randomBytes } = require('node:crypto');

const MODES = ['status', 'hang', 'reset', 'garbage', 'truncate', 'huge', 'wrongShape', 'delay'];

// Routes below `/v1/partner/user/`; `:name` segments are path parameters.
const ROUTES = [
  { op: 'list', method: 'GET', pattern: ['list'] },
  { op: 'create', method: 'POST', pattern: ['create'] },
  { op: 'fetch', method: 'GET', pattern: [':userId', 'fetch'] },
  { op: 'update', method: 'POST', pattern: [':userId', 'update'] },
  { op: 'delete', method: 'POST', pattern: [':userId', 'delete'] },
  { op: 'sessionCreate', method: 'POST', pattern: [':userId', 'session', 'create'] },
  { op: 'tokenCreate', method: 'POST', pattern: [':userId', 'token', 'create'] },
  { op: 'tokenList', method: 'GET', pattern: [':userId', 'token', 'list'] },
  { op: 'tokenDelete', method: 'POST', pattern: [':userId', 'token', ':tokenId', 'delete'] },
];
const OPS = [...ROUTES.map((r) => r.op), 'unknown'];

const STATUS = {
  400: ['Bad request', 'BAD_REQUEST'],
  401: ['Not authenticated', 'NOT_AUTHENTICATED'],
  403: ['Not authorized', 'NOT_AUTHORIZED'],
  404: ['Not found', 'NOT_FOUND'],
  405: ['Method not allowed', 'ERROR_405'],
  409: ['Conflict', 'CONFLICT'],
  429: ['Too many requests', 'TOO_MANY_REQUESTS'],
  500: ['Internal server error', 'INTERNAL_SERVER_ERROR'],
  502: ['Bad gateway', 'ERROR_502'],
  503: ['Service unavailable', 'SERVICE_UNAVAILABLE'],
  504: ['Gateway timeout', 'GATEWAY_TIMEOUT'],
};

const USER_STRINGS = ['name', 'email', 'image', 'alias', 'description'];
const USER_OBJECTS = ['meta', 'limits'];
const HUGE_BYTES = 9 * 1024 * 1024; // more than the 8 MiB a client should accept

const hex = (bytes = 8) => randomBytes(bytes).toString('hex');
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = (v) => structuredClone(v);
const norm = (email) => email.trim().toLowerCase();
const ok = (body) => ({ status: 200, body });

/** The standard error body `{ message, code }` for a status. */
function errorBody(status, message) {
  const [text, code] = STATUS[status] || [`Error ${status}`, `ERROR_${status}`];
  return { message: message || text, code };
}
const error = (status, message) => ({ status, body: errorBody(status, message) });

/** The first type error in `body` (a JSON object with optional fields), or null. */
function checkFields(body, strings, objects) {
  if (!isObject(body)) return 'Body must be a JSON object';
  for (const k of strings) {
    if (Object.hasOwn(body, k) && typeof body[k] !== 'string') return `${k} must be a string`;
  }
  for (const k of objects) {
    if (Object.hasOwn(body, k) && !isObject(body[k])) return `${k} must be an object`;
  }
  return null;
}

/** The first error in a session/create body, or null. */
function checkSession(body) {
  const bad = checkFields(body, [], ['config']);
  if (bad) return bad;
  const { durationInSeconds: d = 3600, config: c = {} } = body;
  if (typeof d !== 'number' || !(d > 0)) return 'durationInSeconds must be a positive number';
  const routes = c.allowedRoutes;
  if (
    routes !== undefined &&
    !(Array.isArray(routes) && routes.every((r) => typeof r === 'string'))
  ) {
    return 'config.allowedRoutes must be an array of strings';
  }
  if (c.contactId !== undefined && typeof c.contactId !== 'string') {
    return 'config.contactId must be a string';
  }
  return null;
}

function pick(body, keys) {
  const out = {};
  for (const k of keys) if (Object.hasOwn(body, k)) out[k] = clone(body[k]);
  return out;
}

/**
 * Match a raw path (as received, without the query) against ROUTES. The path
 * is split on '/' BEFORE percent-decoding, so `a%2Fb` is one segment `a/b`
 * and `..` is an ordinary segment that makes the path match nothing.
 */
function parsePath(rawPath) {
  const segs = rawPath.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return undefined; // malformed escape: answered with 400
    }
  });
  const badEncoding = segs.includes(undefined);
  const [lead, v1, partner, user, ...rest] = segs;
  if (lead === '' && v1 === 'v1' && partner === 'partner' && user === 'user') {
    for (const route of ROUTES) {
      if (route.pattern.length !== rest.length) continue;
      const params = {};
      const match = route.pattern.every((p, i) => {
        if (p[0] !== ':') return rest[i] === p;
        params[p.slice(1)] = rest[i];
        return rest[i] !== ''; // an empty id matches nothing
      });
      if (match) return { route, params, badEncoding };
    }
  }
  return { route: null, params: {}, badEncoding };
}

/** Sort by createdAt (ties: insertion order), then cut one page. */
function paginate(all, query, view) {
  const order = query.order || 'desc';
  if (order !== 'asc' && order !== 'desc') return error(400, 'order must be asc or desc');
  let take = 100;
  if (query.take !== undefined) {
    if (!/^\d+$/.test(query.take) || Number(query.take) < 1) {
      return error(400, 'take must be a positive integer');
    }
    take = Math.min(Number(query.take), 100);
  }
  const desc = order === 'desc';
  const sorted = (desc ? [...all].reverse() : [...all]).sort((a, b) =>
    desc ? b.createdAt - a.createdAt : a.createdAt - b.createdAt,
  );
  let start = 0;
  if (query.cursor) {
    const i = sorted.findIndex((x) => x.id === query.cursor);
    if (i < 0) return error(400, 'Invalid cursor');
    start = i + 1;
  }
  const page = sorted.slice(start, start + take);
  const out = { items: page.map(view) };
  if (start + take < sorted.length) out.cursor = page[page.length - 1].id;
  return ok(out);
}

async function startFakePartnerApi(options = {}) {
  const secret = options.secret || `fake-secret-${hex(16)}`;
  const ignoreEmailFilter = options.ignoreEmailFilter === true;
  const caseSensitiveEmailFilter = options.caseSensitiveEmailFilter === true;
  let listLag = options.listLag || 0;
  let latency = options.latency || 0;
  const users = new Map(); // id -> stored PartnerUser
  const tokens = new Map(); // tokenId -> { id, userId, token, createdAt, updatedAt, ... }
  const sessions = [];
  const requests = [];
  const faults = [];
  const sockets = new Set();
  const timers = new Set();
  let closing = null;

  function sleep(ms) {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  function addUser(fields = {}) {
    const id = fields.id !== undefined ? String(fields.id) : `usr_${hex()}`;
    if (users.has(id)) throw new Error(`fake partner API: user ${id} already exists`);
    const createdAt = fields.createdAt != null ? Number(fields.createdAt) : Date.now();
    const updatedAt = fields.updatedAt != null ? Number(fields.updatedAt) : createdAt;
    const user = { id, createdAt, updatedAt };
    for (const [k, v] of Object.entries(fields)) {
      if (v !== undefined && !(k in user)) user[k] = clone(v);
    }
    users.set(id, user);
    return user;
  }

  const tokenView = ({ id, createdAt, updatedAt, name, description, meta }) =>
    JSON.parse(JSON.stringify({ id, createdAt, updatedAt, name, description, meta }));

  // One function per operation: (params, body, query) -> { status, body }.
  const HANDLERS = {
    list(_params, _body, query) {
      // A lagging list does not show users created in the last `listLag` ms.
      const shownBefore = Date.now() - listLag;
      let all = [...users.values()].filter((u) => !(listLag > 0 && u.createdAt > shownBefore));
      if (query.email !== undefined && !ignoreEmailFilter) {
        const same = caseSensitiveEmailFilter
          ? (email) => email === query.email
          : (email) => norm(email) === norm(query.email);
        all = all.filter((u) => typeof u.email === 'string' && same(u.email));
      }
      // `meta.key=value` (and the OpenAPI deepObject form `meta[key]=value`)
      for (const [key, value] of Object.entries(query)) {
        const m = /^meta(?:\.(.+)|\[(.+)\])$/.exec(key);
        if (!m) continue;
        const k = m[1] || m[2];
        all = all.filter(
          (u) => isObject(u.meta) && Object.hasOwn(u.meta, k) && String(u.meta[k]) === value,
        );
      }
      return paginate(all, query, clone);
    },
    fetch({ userId }) {
      const user = users.get(userId);
      return user ? ok(clone(user)) : error(404);
    },
    create(_params, body) {
      const bad = checkFields(body, USER_STRINGS, USER_OBJECTS);
      if (bad) return error(400, bad);
      return ok({ id: addUser(pick(body, [...USER_STRINGS, ...USER_OBJECTS])).id });
    },
    update({ userId }, body) {
      const bad = checkFields(body, USER_STRINGS, USER_OBJECTS);
      if (bad) return error(400, bad);
      const user = users.get(userId);
      if (!user) return error(404);
      // Given fields replace stored ones (meta as a whole). updatedAt always moves forward.
      Object.assign(user, pick(body, [...USER_STRINGS, ...USER_OBJECTS]), {
        updatedAt: Math.max(Date.now(), user.updatedAt + 1),
      });
      return ok({ id: userId });
    },
    delete({ userId }, body) {
      if (!isObject(body)) return error(400, 'Body must be a JSON object');
      if (!users.delete(userId)) return error(404);
      for (const t of tokens.values()) if (t.userId === userId) tokens.delete(t.id);
      return ok({ id: userId });
    },
    sessionCreate({ userId }, body) {
      const bad = checkSession(body);
      if (bad) return error(400, bad);
      const { durationInSeconds = 3600, config } = body;
      if (!users.has(userId)) return error(404);
      const createdAt = Date.now();
      const session = {
        id: `ses_${hex()}`,
        token: `ses_token_${hex(24)}`,
        expiresAt: createdAt + durationInSeconds * 1000,
      };
      sessions.push({
        ...session,
        userId,
        createdAt,
        durationInSeconds,
        config: config && clone(config),
      });
      return ok(session);
    },
    tokenCreate({ userId }, body) {
      const bad = checkFields(body, ['name', 'description'], ['config', 'meta']);
      if (bad) return error(400, bad);
      if (!users.has(userId)) return error(404);
      const createdAt = Date.now();
      const id = `tok_${hex()}`;
      const token = `sk_fake_${hex(24)}`;
      const fields = pick(body, ['name', 'description', 'config', 'meta']);
      tokens.set(id, { id, userId, token, createdAt, updatedAt: createdAt, ...fields });
      return ok({ id, token, createdAt });
    },
    tokenList({ userId }, _body, query) {
      if (!users.has(userId)) return error(404);
      const own = [...tokens.values()].filter((t) => t.userId === userId);
      return paginate(own, query, tokenView);
    },
    tokenDelete({ userId, tokenId }, body) {
      if (!isObject(body)) return error(400, 'Body must be a JSON object');
      const t = tokens.get(tokenId);
      if (!users.has(userId) || !t || t.userId !== userId) return error(404);
      tokens.delete(tokenId);
      return ok({ id: tokenId });
    },
  };

  /** The normal answer to a request: auth, routing, validation, the operation. */
  function handle({ entry, route, params, badEncoding, badJson, hasBody }) {
    if (!entry.authorized) return error(401);
    if (badEncoding) return error(400, 'Malformed percent-encoding in path');
    if (!route) return error(404);
    if (entry.method !== route.method) return { ...error(405), headers: { allow: route.method } };
    if (route.method === 'POST' && badJson) return error(400, 'Body is not valid JSON');
    const body = route.method === 'POST' && hasBody ? entry.body : {};
    return HANDLERS[route.op](params, body, entry.query);
  }

  function writeHead(res, status, ...headerSets) {
    for (const set of headerSets)
      for (const [k, v] of Object.entries(set || {})) res.setHeader(k, v);
    res.writeHead(status);
  }

  function send(res, entry, result, extra) {
    if (res.destroyed || res.headersSent) return;
    const text = typeof result.body === 'string';
    const payload = text ? result.body : JSON.stringify(result.body);
    entry.status = result.status;
    const type = result.type || (text ? 'text/plain; charset=utf-8' : 'application/json');
    writeHead(
      res,
      result.status,
      { 'content-type': type, 'content-length': Buffer.byteLength(payload) },
      result.headers,
      extra,
    );
    res.end(payload);
  }

  // A valid JSON document over 8 MiB, streamed (chunked) with backpressure.
  async function sendHuge(res, entry, extra) {
    entry.status = 200;
    writeHead(res, 200, { 'content-type': 'application/json' }, extra);
    const item = JSON.stringify({
      id: 'usr_huge',
      createdAt: 0,
      updatedAt: 0,
      name: 'x'.repeat(1000),
    });
    const chunk = Array(64).fill(item).join(',');
    res.write(`{"items":[${chunk}`);
    for (let sent = chunk.length; sent < HUGE_BYTES; sent += chunk.length + 1) {
      if (res.destroyed) return;
      if (!res.write(`,${chunk}`)) {
        await new Promise((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    res.end(']}');
  }

  async function serveFault(fault, ctx, res) {
    const { entry } = ctx;
    entry.fault = fault.mode;
    // `apply`: perform the operation now, then serve the fault instead of its answer.
    const applied = fault.apply ? handle(ctx) : null;
    await sleep(fault.delay);
    if (closing) return;
    const extra = fault.headers;
    switch (fault.mode) {
      case 'delay':
        return send(res, entry, applied || handle(ctx), extra);
      case 'hang':
        return; // never answered; close() destroys the socket
      case 'reset': {
        const socket = res.socket;
        if (socket) socket.resetAndDestroy ? socket.resetAndDestroy() : socket.destroy();
        return;
      }
      case 'status': {
        const body = fault.body !== undefined ? fault.body : errorBody(fault.status);
        return send(res, entry, { status: fault.status, body }, extra);
      }
      case 'garbage':
        return send(
          res,
          entry,
          { status: 200, body: '<html>oops</html>', type: 'text/html' },
          extra,
        );
      case 'wrongShape':
        return send(res, entry, ok(entry.op === 'list' ? { unexpected: true } : [1, 2]), extra);
      case 'truncate': {
        // Announce the whole document, send half of it, then drop the connection.
        const doc = JSON.stringify({
          id: 'usr_truncated',
          createdAt: 0,
          updatedAt: 0,
          name: 'truncated answer',
        });
        entry.status = 200;
        writeHead(
          res,
          200,
          { 'content-type': 'application/json', 'content-length': Buffer.byteLength(doc) },
          extra,
        );
        res.write(doc.slice(0, doc.length >> 1), () => res.socket && res.socket.destroy());
        return;
      }
      case 'huge':
        return sendHuge(res, entry, extra);
    }
  }

  function takeFault(op) {
    const i = faults.findIndex((f) => f.op === undefined || f.op === op);
    if (i < 0) return null;
    const fault = faults[i];
    if (--fault.times <= 0) faults.splice(i, 1);
    return fault;
  }

  async function onRequest(req, res) {
    // req.url is the request target exactly as received: never normalised.
    const target = req.url;
    const q = target.indexOf('?');
    const rawPath = q < 0 ? target : target.slice(0, q);
    const query = Object.fromEntries(new URLSearchParams(q < 0 ? '' : target.slice(q + 1)));
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    const hasBody = text.trim() !== '';
    let body = null;
    let badJson = false;
    if (hasBody) {
      try {
        body = JSON.parse(text);
      } catch {
        badJson = true;
      }
    }
    const { route, params, badEncoding } = parsePath(rawPath);
    const m = /^Bearer +(.+)$/i.exec(req.headers.authorization || '');
    const entry = {
      method: req.method,
      path: rawPath,
      rawPath,
      query,
      body,
      authorized: m !== null && m[1] === secret,
      op: route ? route.op : 'unknown',
      headers: req.headers,
      status: null, // set when answered
      fault: null, // the fault mode served, if any
    };
    if (typeof params.userId === 'string') entry.userId = params.userId;
    if (typeof params.tokenId === 'string') entry.tokenId = params.tokenId;
    requests.push(entry);
    if (options.onRequest) res.once('close', () => options.onRequest(entry));

    const ctx = { entry, route, params, badEncoding, badJson, hasBody };
    const fault = takeFault(entry.op);
    await sleep(latency);
    if (closing) return;
    if (fault) return serveFault(fault, ctx, res);
    send(res, entry, handle(ctx));
  }

  for (const user of options.users || []) addUser(user); // before listening: may throw

  const server = http.createServer((req, res) => {
    onRequest(req, res).catch((err) => {
      // Client went away mid-request, or a bug in the fake: never crash the test process.
      if (!res.headersSent && !res.destroyed) send(res, { status: null }, error(500, String(err)));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port || 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    url: `http://127.0.0.1:${server.address().port}`,
    secret,
    users,
    sessions,
    tokens,
    requests,
    addUser,
    calls: (op) =>
      op === undefined ? requests.length : requests.filter((r) => r.op === op).length,
    resetRequests() {
      requests.length = 0;
    },
    setLatency(ms) {
      if (!(ms >= 0)) throw new TypeError('latency must be a number >= 0');
      latency = ms;
    },
    setListLag(ms) {
      if (!(ms >= 0)) throw new TypeError('listLag must be a number >= 0');
      listLag = ms;
    },
    fail(spec = {}) {
      const mode =
        spec.mode || (spec.status === undefined && spec.delay !== undefined ? 'delay' : 'status');
      if (!MODES.includes(mode)) throw new TypeError(`unknown fault mode: ${mode}`);
      if (spec.op !== undefined && !OPS.includes(spec.op))
        throw new TypeError(`unknown op: ${spec.op}`);
      const times = spec.times === undefined ? 1 : spec.times;
      if (!(times >= 1)) throw new TypeError('times must be >= 1');
      faults.push({
        op: spec.op,
        times,
        mode,
        status: spec.status || 500,
        body: spec.body,
        headers: spec.headers || {},
        delay: spec.delay || 0,
        apply: spec.apply === true,
      });
    },
    clearFaults() {
      faults.length = 0;
    },
    // Back to how it started: the seeded users only, no sessions, tokens,
    // faults or logged requests, the starting latency. For a beforeEach.
    reset() {
      users.clear();
      tokens.clear();
      sessions.length = 0;
      requests.length = 0;
      faults.length = 0;
      latency = options.latency || 0;
      listLag = options.listLag || 0;
      for (const user of options.users || []) addUser(user);
    },
    // Stop listening and destroy every socket, hung ones included.
    close() {
      if (!closing) {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        closing = new Promise((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
      }
      return closing;
    },
  };
}

module.exports = { startFakePartnerApi };
