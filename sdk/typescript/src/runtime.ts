/**
 * The transport every generated method calls: JSON-RPC 2.0 over fetch,
 * with the user token, request ids, deadlines sent as X-Budget-Ms, retries
 * where they are safe, and batches.
 * @module
 */

import { AttendifyError, clientCodes, resendable, type WireError } from "./errors.js";
import type { ServiceName } from "./generated/index.js";

/** How a client reaches the services and who it is. */
export interface ClientOptions {
  /**
   * Each service's base URL (`{ hub: "http://127.0.0.1:8081", social: ... }`);
   * `make run` prints them. Calling a service without one throws.
   */
  urls: Partial<Record<ServiceName, string>>;
  /**
   * The user token sent as `Authorization: Bearer`: a member's app token,
   * an organizer's app token or account token. A function is asked before
   * every call (a token that refreshes).
   */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /**
   * Each call's time limit, retries included (ms), for every method. When
   * unset, a call gets its method's own time limit (MethodMeta.timeoutMs,
   * the one the service declares: 30 s for a long report), else 10 000.
   */
  timeoutMs?: number;
  /** Attempts per call, the first included, where a retry is safe; default 3. */
  maxAttempts?: number;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Makes request ids; default crypto.randomUUID. */
  requestId?: () => string;
}

/** Per-call options. */
export interface CallOptions {
  /** This call's time limit (ms), instead of the client's or the method's. */
  timeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
  /** The request id to send (X-Request-Id), e.g. the caller's own. */
  requestId?: string;
}

/** What a method declares that the transport needs. */
export interface MethodMeta {
  idempotent: boolean;
  noBatch?: boolean;
  /**
   * The method's time limit on the service (ms, its OpenRPC x-timeout-ms):
   * a call's time limit when neither the call nor the client sets one.
   */
  timeoutMs?: number;
}

/** One call, ready to go in a batch (`method.request(params)`). */
export interface Call<R> {
  readonly service: ServiceName;
  readonly method: string;
  readonly params: unknown;
  readonly meta: MethodMeta;
  /** Only for typing: the result's type. */
  readonly _result?: R;
}

/** A batch member's outcome. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: AttendifyError };

/** A generated method: call it, or make a batch member of it. */
export interface MethodFn<P, R> {
  (...args: {} extends P ? [params?: P, options?: CallOptions] : [params: P, options?: CallOptions]): Promise<R>;
  /** The call as a batch member (see Transport.batch). */
  request(...args: {} extends P ? [params?: P] : [params: P]): Call<R>;
  /** The method's name (`post.create`). */
  readonly methodName: string;
  /** Whether the method may be retried after any failure. */
  readonly idempotent: boolean;
  /** The method's time limit on the service (ms; MethodMeta.timeoutMs). */
  readonly timeoutMs?: number;
}

/** Builds a generated method (the generated modules call it). */
export function method<P, R>(t: Transport, service: ServiceName, name: string, meta: MethodMeta): MethodFn<P, R> {
  const call = (params?: P, options?: CallOptions) => t.call<R>(service, name, params ?? {}, meta, options);
  const request = (params?: P): Call<R> => ({ service, method: name, params: params ?? {}, meta });
  return Object.assign(call, { request, methodName: name, idempotent: meta.idempotent, timeoutMs: meta.timeoutMs }) as unknown as MethodFn<P, R>;
}

/** An HTTP request of a plain route (uploads, downloads, streams). */
export interface RouteRequest {
  method: "GET" | "POST";
  /** The path and query, from the service's base URL. */
  path: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  /** Whether sending it twice is safe (GET is). */
  idempotent: boolean;
  /** The HTTP statuses that are an answer, not an error. */
  ok?: number[];
  /**
   * How errors name the route (`GET /walls/{token}/poll`); default the
   * method and path. Give it when the path holds a secret (a wall's token),
   * which must not reach error messages and logs.
   */
  name?: string;
  /**
   * The answer is a stream read for as long as it lasts (SSE): the time
   * limit bounds its headers only, and the caller's signal stops its body
   * only if the caller watches it. Otherwise the body is read whole within
   * the time limit.
   */
  stream?: boolean;
}

/** The shared machinery of a client's calls; one per client. */
export class Transport {
  readonly #opts: ClientOptions;
  readonly #fetch: typeof fetch;
  #nextId = 1;

  constructor(opts: ClientOptions) {
    this.#opts = opts;
    this.#fetch = opts.fetch ?? ((...args) => fetch(...args));
  }

  /** The same transport with another user token (or none). */
  withToken(token: ClientOptions["token"]): Transport {
    return new Transport({ ...this.#opts, token });
  }

  /** The base URL of service, without a trailing slash. */
  url(service: ServiceName): string {
    const u = this.#opts.urls[service];
    if (!u) {
      throw new TypeError(`@attendify/client: no URL for the ${service} service (ClientOptions.urls.${service})`);
    }
    return u.replace(/\/+$/, "");
  }

  /** Calls one method and returns its result, or throws an AttendifyError. */
  async call<R>(service: ServiceName, name: string, params: unknown, meta: MethodMeta, options: CallOptions = {}): Promise<R> {
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: "2.0", method: name, params, id });
    options = { ...options, timeoutMs: this.timeout(options, meta.timeoutMs) };
    const res = await this.#exchange(service, "POST", "/rpc", body, meta.idempotent, name, options, [200], true);
    return (await readAnswer(res, name, res.headers.get("X-Request-Id") ?? options.requestId ?? "")) as R;
  }

  /**
   * Sends calls of one service in one JSON-RPC batch and answers each
   * call's outcome, in order. The batch is sent again after a failure of
   * the whole exchange only when every call in it is idempotent.
   */
  async batch<const C extends readonly Call<unknown>[]>(
    calls: C,
    options: CallOptions = {},
  ): Promise<{ [K in keyof C]: Settled<C[K] extends Call<infer R> ? R : never> }> {
    if (calls.length === 0) {
      return [] as unknown as { [K in keyof C]: Settled<C[K] extends Call<infer R> ? R : never> };
    }
    const service = calls[0]!.service;
    for (const c of calls) {
      if (c.service !== service) {
        throw new TypeError(`@attendify/client: a batch goes to one service; it mixes ${service} and ${c.service}`);
      }
      if (c.meta.noBatch) {
        throw new TypeError(`@attendify/client: ${c.method} may not be sent in a batch`);
      }
    }
    const first = this.#nextId;
    this.#nextId += calls.length;
    const body = JSON.stringify(calls.map((c, i) => ({ jsonrpc: "2.0", method: c.method, params: c.params, id: first + i })));
    const idempotent = calls.every((c) => c.meta.idempotent);
    // The service runs a batch's calls side by side: the longest of their
    // time limits is the batch's, when neither it nor the client sets one.
    const longest = calls.reduce<number | undefined>((l, c) => (c.meta.timeoutMs === undefined ? l : Math.max(l ?? 0, c.meta.timeoutMs)), undefined);
    options = { ...options, timeoutMs: this.timeout(options, longest) };
    const res = await this.#exchange(service, "POST", "/rpc", body, idempotent, "batch", options, [200], true);
    const requestId = res.headers.get("X-Request-Id") ?? "";
    const answers = (await res.json()) as RPCResponse[] | RPCResponse;
    if (!Array.isArray(answers)) {
      throw errorOf(answers.error ?? { code: clientCodes.unavailable, message: "not a batch answer" }, "batch", requestId, res.status);
    }
    const byId = new Map(answers.map((a) => [a.id, a]));
    return calls.map((c, i): Settled<unknown> => {
      const a = byId.get(first + i);
      if (!a) {
        return { ok: false, error: errorOf({ code: clientCodes.unavailable, message: "no answer in the batch" }, c.method, requestId, 200) };
      }
      if (a.error) {
        return { ok: false, error: errorOf(a.error, c.method, requestId, 200) };
      }
      return { ok: true, value: a.result };
    }) as unknown as { [K in keyof C]: Settled<C[K] extends Call<infer R> ? R : never> };
  }

  /**
   * Sends a plain HTTP request to a service's route with the same token,
   * request id, budget and retry rules as a call, and returns the response
   * once its status is one of req.ok (default 200). A failure answers the
   * route's JSON error as an AttendifyError.
   */
  async route(service: ServiceName, req: RouteRequest, options: CallOptions = {}): Promise<Response> {
    const what = req.name ?? `${req.method} ${req.path.split("?")[0]}`;
    return this.#exchange(service, req.method, req.path, req.body, req.idempotent, what, options, req.ok ?? [200], false, req.headers, req.stream ?? false);
  }

  /** The user token for the next request. */
  async token(): Promise<string | undefined> {
    const t = this.#opts.token;
    return typeof t === "function" ? await t() : t;
  }

  /**
   * The call's time limit (ms): the call's option, else the client's, else
   * methodMs (the method's own, MethodMeta.timeoutMs), else 10 000.
   */
  timeout(options: CallOptions, methodMs?: number): number {
    return options.timeoutMs ?? this.#opts.timeoutMs ?? (methodMs !== undefined && methodMs > 0 ? methodMs : 10_000);
  }

  /** A new request id. */
  newRequestId(): string {
    return this.#opts.requestId?.() ?? randomId();
  }

  /** The fetch function. */
  get fetch(): typeof fetch {
    return this.#fetch;
  }

  // #exchange sends a request, retrying what is safe, until a response whose
  // status is in ok (or, for JSON-RPC, a lone answer that is not an error
  // worth another try) or the deadline. The deadline bounds the whole
  // answer, its body included, except for a stream's body. Redirects are
  // not followed: a service never answers one, and following it would send
  // the call's body and headers (a wall's key) to wherever it points.
  async #exchange(
    service: ServiceName,
    httpMethod: string,
    path: string,
    body: BodyInit | undefined,
    idempotent: boolean,
    what: string,
    options: CallOptions,
    ok: number[],
    rpc: boolean,
    headers: Record<string, string> = {},
    stream = false,
  ): Promise<Response> {
    const url = this.url(service) + path;
    const requestId = options.requestId ?? this.newRequestId();
    const deadline = Date.now() + this.timeout(options);
    const attempts = Math.max(1, this.#opts.maxAttempts ?? 3);
    const canceled = (cause?: unknown) =>
      new AttendifyError({ code: clientCodes.canceled, message: `${what}: canceled`, data: { reason: "canceled" } }, { method: what, requestId, cause });
    let last: AttendifyError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0 && last) {
        const wait = backoff(attempt, last);
        if (Date.now() + wait >= deadline) {
          throw last;
        }
        if (!(await sleep(wait, options.signal))) {
          throw canceled(options.signal?.reason);
        }
      }
      if (options.signal?.aborted) {
        throw canceled(options.signal.reason);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw last ?? deadlineError(what, requestId);
      }
      const h: Record<string, string> = { ...headers, "X-Request-Id": requestId, "X-Budget-Ms": String(left) };
      if (rpc) {
        h["Content-Type"] = "application/json";
      }
      const token = await this.token();
      if (token) {
        h["Authorization"] = `Bearer ${token}`;
      }
      // One controller per attempt, aborted by the deadline or the caller's
      // signal; the listener on the caller's signal goes with the attempt.
      const timer = new AbortController();
      let timedOut = false;
      const timeout = setTimeout(() => {
        timedOut = true;
        timer.abort();
      }, left);
      const unlink = link(options.signal, timer);
      const failed = (e: unknown): AttendifyError | undefined => {
        if (options.signal?.aborted) return canceled(e);
        if (timedOut) return deadlineError(what, requestId, e);
        return undefined;
      };
      let res: Response;
      let text = "";
      let buffered: ArrayBuffer | undefined;
      try {
        try {
          res = await this.#fetch(url, { method: httpMethod, headers: h, body, signal: timer.signal, redirect: "manual" });
        } catch (e) {
          const f = failed(e);
          if (f) throw f;
          // No answer. A request that never reached the service (refused
          // connection) is safe to send again whatever the method; any
          // other may have run, so it is retryable only if idempotent.
          const again = idempotent || refused(e);
          last = new AttendifyError(
            { code: clientCodes.unavailable, message: `${what}: ${e instanceof Error ? e.message : String(e)}`, data: { retryable: again } },
            { method: what, requestId, cause: e },
          );
          if (again) {
            continue;
          }
          throw last;
        }
        if (ok.includes(res.status) && stream) {
          return res; // its body is the caller's to read
        }
        try {
          if (ok.includes(res.status) && !rpc) {
            buffered = await res.arrayBuffer();
          } else if (!isRedirect(res)) {
            text = await res.text();
          }
        } catch (e) {
          const f = failed(e);
          if (f) throw f;
          // The answer broke off: whether the call ran is unknown.
          last = new AttendifyError(
            { code: clientCodes.unavailable, message: `${what}: the answer broke off`, data: { retryable: idempotent } },
            { method: what, requestId, status: res.status, cause: e },
          );
          if (idempotent) {
            continue;
          }
          throw last;
        }
      } finally {
        clearTimeout(timeout);
        unlink();
      }
      if (isRedirect(res)) {
        await res.body?.cancel().catch(() => {});
        throw new AttendifyError(
          { code: clientCodes.unavailable, message: `${what}: the service answered a redirect (HTTP ${res.status}), not followed` },
          { method: what, requestId, status: res.status },
        );
      }
      if (ok.includes(res.status)) {
        if (!rpc) {
          return new Response(res.status === 204 || res.status === 304 ? null : buffered, { status: res.status, headers: res.headers });
        }
        // A lone JSON-RPC answer: an error worth another try is retried.
        const answer = parseJSON(text) as RPCResponse | RPCResponse[] | undefined;
        if (answer === null || typeof answer !== "object") {
          throw notAnAnswer(what, res.headers.get("X-Request-Id") ?? requestId, res.status);
        }
        if (!Array.isArray(answer) && answer.error) {
          const err = errorOf(answer.error, what, res.headers.get("X-Request-Id") ?? requestId, res.status, retryAfter(res));
          if (resendable(err, idempotent)) {
            last = err;
            continue;
          }
        }
        return new Response(text, { status: res.status, headers: res.headers });
      }
      // An HTTP error: the service's JSON error, or a proxy's bare status.
      const parsed = parseJSON(text) as { error?: WireError } | undefined;
      if (parsed?.error && typeof parsed.error.code === "number") {
        last = errorOf(parsed.error, what, res.headers.get("X-Request-Id") ?? requestId, res.status, retryAfter(res));
        if (resendable(last, idempotent)) {
          continue;
        }
        throw last;
      }
      last = new AttendifyError(
        // A proxy's 502 or 504 may come after the service ran the call.
        { code: clientCodes.unavailable, message: `${what}: HTTP ${res.status}`, data: { retryable: res.status >= 500 && (idempotent || res.status === 503) } },
        { method: what, requestId, status: res.status, retryAfterMs: retryAfter(res) },
      );
      if (res.status >= 500 && idempotent) {
        continue;
      }
      throw last;
    }
    throw last ?? deadlineError(what, requestId);
  }
}

/** Whether res is a redirect (fetch's redirect: "manual"; opaque in browsers). */
function isRedirect(res: Response): boolean {
  return res.type === "opaqueredirect" || (res.status >= 300 && res.status < 400 && res.status !== 304);
}

/**
 * Makes signal, when given, abort c too, and answers the function that
 * undoes it (so a long-lived signal shared by many calls keeps no
 * listener of finished ones).
 */
function link(signal: AbortSignal | undefined, c: AbortController): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    c.abort(signal.reason);
    return () => {};
  }
  const onAbort = () => c.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

interface RPCResponse {
  jsonrpc: "2.0";
  id: number | string | null;
  result?: unknown;
  error?: WireError;
}

async function readAnswer(res: Response, method: string, requestId: string): Promise<unknown> {
  const a = (await res.json()) as RPCResponse;
  if (a.error) {
    throw errorOf(a.error, method, requestId, res.status);
  }
  return a.result;
}

function errorOf(w: WireError, method: string, requestId: string, status: number, retryAfterMs = 0): AttendifyError {
  return new AttendifyError(w, { method, requestId, status, retryAfterMs });
}

function notAnAnswer(what: string, requestId: string, status: number): AttendifyError {
  return new AttendifyError(
    { code: clientCodes.unavailable, message: `${what}: the answer is not JSON (is the service's URL right?)` },
    { method: what, requestId, status },
  );
}

/**
 * The JSON body of a route's answer; an AttendifyError (unavailable) when
 * it is not JSON.
 */
export async function jsonOf<T>(res: Response, what: string): Promise<T> {
  const v = parseJSON(await res.text());
  if (v === undefined) {
    throw notAnAnswer(what, res.headers.get("X-Request-Id") ?? "", res.status);
  }
  return v as T;
}

function deadlineError(what: string, requestId: string, cause?: unknown): AttendifyError {
  return new AttendifyError(
    { code: clientCodes.deadlineExceeded, message: `${what}: the call ran out of time`, data: { reason: "deadline_exceeded" } },
    { method: what, requestId, cause },
  );
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The Retry-After header in ms (0: none): seconds, or an HTTP date. */
function retryAfter(res: Response): number {
  const v = res.headers.get("Retry-After")?.trim();
  if (!v) return 0;
  if (/^\d+$/.test(v)) {
    return Number(v) * 1000;
  }
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 0;
}

/**
 * The wait before retry number attempt: the service's retry_after_ms when
 * it gave one, plus up to a fifth more at random (every client it shed at
 * once hears the same value: they must not all come back together), else
 * jittered exponential backoff from 100 ms.
 */
export function backoff(attempt: number, last: AttendifyError): number {
  if (last.retryAfterMs > 0) {
    return last.retryAfterMs + Math.random() * (last.retryAfterMs / 5);
  }
  const d = 100 * 2 ** (attempt - 1);
  return d / 2 + Math.random() * (d / 2);
}

/** Waits ms; answers false, at once, when signal aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Whether a fetch failed before a connection was made (nothing was sent). */
function refused(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === "ECONNREFUSED";
}

/** An AbortSignal that fires when any of signals does. */
export function anySignal(signals: AbortSignal[]): AbortSignal {
  const c = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      c.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => c.abort(s.reason), { once: true });
  }
  return c.signal;
}

/**
 * A random request id: a UUID where crypto.randomUUID exists (Node, secure
 * browser contexts), else 128 random bits in hex.
 */
function randomId(): string {
  if (typeof crypto.randomUUID === "function") {
    return crypto.randomUUID();
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
