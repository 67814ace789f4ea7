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
  /** Each call's time limit, retries included (ms); default 10 000. */
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
  /** This call's time limit (ms), instead of the client's. */
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
}

/** Builds a generated method (the generated modules call it). */
export function method<P, R>(t: Transport, service: ServiceName, name: string, meta: MethodMeta): MethodFn<P, R> {
  const call = (params?: P, options?: CallOptions) => t.call<R>(service, name, params ?? {}, meta, options);
  const request = (params?: P): Call<R> => ({ service, method: name, params: params ?? {}, meta });
  return Object.assign(call, { request, methodName: name, idempotent: meta.idempotent }) as unknown as MethodFn<P, R>;
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
    const res = await this.#exchange(service, "POST", "/rpc", body, meta.idempotent, name, options, [200], true);
    return (await readAnswer(res, name, res.headers.get("X-Request-Id") ?? "")) as R;
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
    const what = `${req.method} ${req.path.split("?")[0]}`;
    return this.#exchange(service, req.method, req.path, req.body, req.idempotent, what, options, req.ok ?? [200], false, req.headers);
  }

  /** The user token for the next request. */
  async token(): Promise<string | undefined> {
    const t = this.#opts.token;
    return typeof t === "function" ? await t() : t;
  }

  /** The call's time limit (ms). */
  timeout(options: CallOptions): number {
    return options.timeoutMs ?? this.#opts.timeoutMs ?? 10_000;
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
  // worth another try) or the deadline.
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
  ): Promise<Response> {
    const url = this.url(service) + path;
    const requestId = options.requestId ?? this.newRequestId();
    const deadline = Date.now() + this.timeout(options);
    const attempts = Math.max(1, this.#opts.maxAttempts ?? 3);
    let last: AttendifyError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0 && last) {
        const wait = backoff(attempt, last);
        if (Date.now() + wait >= deadline) {
          throw last;
        }
        await sleep(wait, options.signal);
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
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(), left);
      const signal = options.signal ? anySignal([options.signal, timer.signal]) : timer.signal;
      let res: Response;
      try {
        res = await this.#fetch(url, { method: httpMethod, headers: h, body, signal });
      } catch (e) {
        clearTimeout(timeout);
        if (options.signal?.aborted) {
          throw new AttendifyError({ code: clientCodes.canceled, message: `${what}: canceled` }, { method: what, requestId, cause: e });
        }
        if (timer.signal.aborted) {
          throw deadlineError(what, requestId, e);
        }
        // No answer. A request that never reached the service (refused
        // connection) is safe to send again whatever the method.
        last = new AttendifyError(
          { code: clientCodes.unavailable, message: `${what}: ${e instanceof Error ? e.message : String(e)}`, data: { retryable: true } },
          { method: what, requestId, cause: e },
        );
        if (idempotent || refused(e)) {
          continue;
        }
        throw last;
      }
      clearTimeout(timeout);
      if (ok.includes(res.status)) {
        if (!rpc) {
          return res;
        }
        // A lone JSON-RPC answer: an error worth another try is retried.
        const text = await res.text();
        const answer = parseJSON(text) as RPCResponse | RPCResponse[] | undefined;
        if (answer && !Array.isArray(answer) && answer.error) {
          const err = errorOf(answer.error, what, res.headers.get("X-Request-Id") ?? requestId, res.status, retryAfter(res));
          if (resendable(err, idempotent)) {
            last = err;
            continue;
          }
        }
        return new Response(text, { status: res.status, headers: res.headers });
      }
      // An HTTP error: the service's JSON error, or a proxy's bare status.
      const text = await res.text().catch(() => "");
      const parsed = parseJSON(text) as { error?: WireError } | undefined;
      if (parsed?.error && typeof parsed.error.code === "number") {
        last = errorOf(parsed.error, what, res.headers.get("X-Request-Id") ?? requestId, res.status, retryAfter(res));
        if (resendable(last, idempotent)) {
          continue;
        }
        throw last;
      }
      last = new AttendifyError(
        { code: clientCodes.unavailable, message: `${what}: HTTP ${res.status}`, data: { retryable: res.status >= 500 } },
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

/** The Retry-After header in ms (0: none). */
function retryAfter(res: Response): number {
  const s = Number(res.headers.get("Retry-After"));
  return Number.isFinite(s) && s > 0 ? s * 1000 : 0;
}

/**
 * The wait before retry number attempt: the service's retry_after_ms when
 * it gave one, else jittered exponential backoff from 100 ms.
 */
export function backoff(attempt: number, last: AttendifyError): number {
  if (last.retryAfterMs > 0) {
    return last.retryAfterMs;
  }
  const d = 100 * 2 ** (attempt - 1);
  return d / 2 + Math.random() * (d / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AttendifyError({ code: clientCodes.canceled, message: "canceled" }));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AttendifyError({ code: clientCodes.canceled, message: "canceled" }));
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
