import { errorCodes, type ErrorReason } from "./generated/errors.js";

/** A field the service refused, located by JSON pointer (`/event_id`). */
export interface FieldError {
  field: string;
  message: string;
}

/** The JSON-RPC error object, as the services send it. */
export interface WireError {
  code: number;
  message: string;
  data?: {
    kind?: string;
    reason?: string;
    retryable?: boolean;
    retry_after_ms?: number;
    fields?: FieldError[];
    request_id?: string;
  };
}

/** JSON-RPC protocol errors (the specification's codes). */
export const protocolCodes = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
} as const;

/** Codes this client gives errors of its own (no answer from a service). */
export const clientCodes = {
  /** The call's time (timeoutMs) ran out. */
  deadlineExceeded: 1504,
  /** The caller's AbortSignal fired. */
  canceled: 1499,
  /** No answer: the network failed, or the answer was not one. */
  unavailable: 1503,
} as const;

/**
 * Every failure of a call: a service's error (its stable code and reason,
 * whether it may be retried and when), or this client's own (timeout,
 * abort, network). `name` is "AttendifyError", as an Error's name is its
 * class; the stable name of the error is `reason` (`not_found`), as in the
 * wire's `error.data.reason`.
 */
export class AttendifyError extends Error {
  override readonly name = "AttendifyError";
  /** The JSON-RPC or application code (1004, -32602...). */
  readonly code: number;
  /**
   * The stable name of an application error (`not_found`); for invalid
   * params (-32602) `invalid`, as for 1001; empty for the other protocol
   * errors.
   */
  readonly reason: ErrorReason | "";
  /** The error's kind (`not_found`, `invalid`...), when the service said. */
  readonly kind: string;
  /** Whether the same call may succeed if sent again. */
  readonly retryable: boolean;
  /** How long to wait before retrying, when the service said (ms). */
  readonly retryAfterMs: number;
  /** The fields the service refused (invalid params). */
  readonly fields: FieldError[];
  /** The request id, to find the service's log lines. */
  readonly requestId: string;
  /** The method (`post.create`) or route (`POST /imports`) that failed. */
  readonly method: string;
  /** The HTTP status, for the plain routes and failed exchanges (0: none). */
  readonly status: number;
  /** The error's data as sent. */
  readonly data: WireError["data"];

  constructor(
    wire: WireError,
    opts: { method?: string; requestId?: string; status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(wire.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    const d = wire.data ?? {};
    const known = (errorCodes as Record<number, { reason: ErrorReason; retryable: boolean } | undefined>)[wire.code];
    this.code = wire.code;
    // Invalid params are the caller's input, as 1001 (invalid) is: the
    // services say so in data (older ones did not, hence the default).
    const invalidParams = wire.code === protocolCodes.invalidParams;
    this.reason = (d.reason as ErrorReason | undefined) ?? known?.reason ?? (invalidParams ? "invalid" : "");
    this.kind = d.kind ?? (invalidParams ? "invalid" : "");
    this.retryable = d.retryable ?? known?.retryable ?? false;
    this.retryAfterMs = d.retry_after_ms ?? opts.retryAfterMs ?? 0;
    this.fields = d.fields ?? [];
    this.requestId = d.request_id ?? opts.requestId ?? "";
    this.method = opts.method ?? "";
    this.status = opts.status ?? 0;
    this.data = wire.data;
  }
}

/**
 * Reports whether e is an AttendifyError, and with a reason whether it is
 * that one: `if (isAttendifyError(e, "not_found")) ...`.
 */
export function isAttendifyError(e: unknown, reason?: ErrorReason): e is AttendifyError {
  return e instanceof AttendifyError && (reason === undefined || e.reason === reason);
}

/**
 * Reports whether a call that failed with e may be sent again, as the
 * services' own Go client decides: a call the service refused before
 * running it (overloaded, rate_limited, signature_stale) always; an
 * idempotent one on any retryable code; insufficient_budget never (a
 * second try has even less time).
 */
export function resendable(e: AttendifyError, idempotent: boolean): boolean {
  switch (e.reason) {
    case "overloaded":
    case "rate_limited":
    case "signature_stale":
      return true;
    case "insufficient_budget":
      return false;
  }
  return idempotent && e.retryable;
}
