/**
 * The services' plain HTTP routes, beside their methods: social's photo
 * upload, the importer's upload and error report, the wall's poll and
 * Server-Sent Events stream. Their types follow the Go types the routes
 * answer (named in each comment); the SDK's tests run them against the
 * real services.
 * @module
 */

import { AttendifyError, clientCodes } from "./errors.js";
import type { ImportGetResult } from "./generated/importer.js";
import { backoff, jsonOf, sleep, type CallOptions, type Transport } from "./runtime.js";

/** A file's bytes, as a browser or Node holds them. */
export type FileBody = Blob | ArrayBuffer | Uint8Array;

/** social: the answer of `POST /apps/{app}/photos`. */
export interface UploadedPhoto {
  /** Name it in `post.create`'s `photo_ids` (at most 4). */
  photo_id: string;
}

/** social's routes. */
export function socialRoutes(t: Transport) {
  return {
    /**
     * Uploads one photo (JPEG, PNG or WebP, at most 8 MiB) with a member
     * token, for a post to name. Not retried once sent (it would store a
     * second photo), except when the service refused it before reading
     * (overloaded, rate_limited).
     */
    async uploadPhoto(app: string, photo: FileBody, options?: CallOptions): Promise<UploadedPhoto> {
      const res = await t.route(
        "social",
        {
          method: "POST",
          path: `/apps/${encodeURIComponent(app)}/photos`,
          name: "POST /apps/{app}/photos",
          headers: { "Content-Type": contentType(photo) },
          body: photo as BodyInit,
          idempotent: false,
          ok: [200, 201],
        },
        options,
      );
      return jsonOf<UploadedPhoto>(res, "POST /apps/{app}/photos");
    },
  };
}

/** importer: the query of an upload (`POST /imports`). */
export interface ImportUpload {
  app_id: string;
  /** The event the attendees are registered to. */
  event_id?: string;
  /** What to do with rows of people or sessions that exist already; default upsert. */
  mode?: "create" | "update" | "upsert";
  /** The kind of a sheet whose name says nothing (a CSV). */
  kind?: "attendees" | "speakers" | "sessions";
  /** How to read ambiguous dates; default: each column's unambiguous dates decide, else day first. */
  date_order?: "DMY" | "MDY";
  /** Keep the columns nobody mapped as custom fields. */
  keep_unknown?: boolean;
  /** The file's name, shown in the import's history. */
  name?: string;
}

/** The importer's routes. */
export function importerRoutes(t: Transport) {
  return {
    /**
     * Uploads a spreadsheet (.xlsx, .xls, .csv) with an organizer's app
     * token and answers the new import (status `analyzing`); follow it with
     * `import.get` (its `status` and `progress`), `import.preview` and
     * `import.commit`.
     */
    async upload(params: ImportUpload, file: FileBody, options?: CallOptions): Promise<ImportGetResult> {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) {
        if (v !== undefined && v !== "" && v !== false) {
          q.set(k, String(v));
        }
      }
      const res = await t.route(
        "importer",
        {
          method: "POST",
          path: `/imports?${q}`,
          headers: { "Content-Type": "application/octet-stream" },
          body: file as BodyInit,
          idempotent: false,
          ok: [202],
        },
        options,
      );
      return jsonOf<ImportGetResult>(res, "POST /imports");
    },

    /**
     * The import's error report: the rows as uploaded with an Import
     * (action) and an Errors column, as .xlsx bytes.
     */
    async report(app: string, importId: string, options?: CallOptions): Promise<ArrayBuffer> {
      const res = await t.route(
        "importer",
        {
          method: "GET",
          path: `/imports/${encodeURIComponent(importId)}/report.xlsx?app_id=${encodeURIComponent(app)}`,
          name: "GET /imports/{id}/report.xlsx",
          idempotent: true,
        },
        options,
      );
      return res.arrayBuffer();
    },
  };
}

/** eventwall: a wall's settings as a screen needs them (eventwall.Screen). */
export interface WallScreen {
  id: string;
  title: string;
  layout: string;
  theme: { background?: string; text?: string; accent?: string; logo_url?: string };
  display_seconds: number;
  paused: boolean;
  version: number;
  /** Set when the wall was deleted. */
  gone?: boolean;
}

/** eventwall: a post as a screen shows it (eventwall.Item). */
export interface WallItem {
  id: string;
  /** The author's name; "a former member" once deleted. */
  author: string;
  author_photo?: string;
  /** As shown: mentions read @Name. */
  text: string;
  mentions?: string[];
  hashtags: string[];
  /** URLs relative to the wall's URL (`photos/<post>/0`). */
  photos: { url: string; thumb_url: string; width: number; height: number }[];
  /** @format date-time */
  created_at: string;
  /** @format date-time */
  edited_at?: string;
  /** "pin", "highlight" or absent. */
  mark?: string;
}

/**
 * eventwall: what changed on a wall since a cursor (eventwall.Changes).
 * With `reset`, the full state: drop what you show and use `items` (newest
 * first); otherwise the posts added or changed, oldest first, and those
 * `removed`.
 */
export interface WallChanges {
  /** Send it back as the cursor (it is also the ETag). */
  cursor: string;
  reset: boolean;
  config?: WallScreen;
  items: WallItem[];
  removed: string[];
}

/** Options of a wall's stream. */
export interface StreamOptions extends CallOptions {
  /**
   * A connection that brings nothing for this long (ms), not even the
   * service's keep-alive comment (every 15 s), is taken as dead (a network
   * that dropped it without a word) and replaced; default 45 000.
   */
  idleMs?: number;
}

/** Where a screen reads a wall from. */
export interface WallAddress {
  /** The wall's screen token (the last part of its path, /walls/{token}). */
  token: string;
  /** The screen key of a private wall. */
  key?: string;
  /** Resume from this cursor; absent: the full state first. */
  cursor?: string;
}

/** The wall's routes. */
export function eventwallRoutes(t: Transport) {
  return {
    /**
     * What changed since wall.cursor; null when nothing did (304). With
     * waitMs (at most 55 000) the service holds the request until something
     * changes (a long poll).
     */
    async poll(wall: WallAddress & { waitMs?: number }, options?: CallOptions): Promise<WallChanges | null> {
      const q = new URLSearchParams();
      if (wall.cursor) q.set("cursor", wall.cursor);
      if (wall.waitMs) q.set("wait", `${Math.ceil(wall.waitMs / 1000)}s`);
      const timeoutMs = (options?.timeoutMs ?? t.timeout({})) + (wall.waitMs ?? 0);
      const res = await t.route(
        "eventwall",
        {
          method: "GET",
          path: `/walls/${encodeURIComponent(wall.token)}/poll?${q}`,
          name: "GET /walls/{token}/poll",
          headers: keyHeader(wall),
          idempotent: true,
          ok: [200, 304],
        },
        { ...options, timeoutMs },
      );
      if (res.status === 304) {
        return null;
      }
      return jsonOf<WallChanges>(res, "GET /walls/{token}/poll");
    },

    /**
     * The wall's Server-Sent Events stream: a full state first (or the
     * changes since wall.cursor), then every change as it happens. It
     * reconnects by itself from the last cursor when the connection ends
     * or the service cannot be reached for a while (after the pause the
     * service asks for, longer while it keeps failing), until
     * options.signal aborts or the loop breaks; an error the service
     * answers that another try cannot mend (not_found: the wall was
     * deleted or its token rotated; forbidden) ends it.
     *
     *     for await (const changes of client.eventwall.stream({ token })) { ... }
     */
    async *stream(wall: WallAddress, options: StreamOptions = {}): AsyncGenerator<WallChanges, void, undefined> {
      let cursor = wall.cursor;
      let pause = 2000;
      let failures = 0;
      for (;;) {
        const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
        let res: Response | undefined;
        try {
          res = await t.route(
            "eventwall",
            {
              method: "GET",
              path: `/walls/${encodeURIComponent(wall.token)}/stream${q}`,
              name: "GET /walls/{token}/stream",
              headers: { Accept: "text/event-stream", ...keyHeader(wall) },
              idempotent: true,
              stream: true,
            },
            options,
          );
        } catch (e) {
          if (options.signal?.aborted || (e instanceof AttendifyError && e.code === clientCodes.canceled)) return;
          if (!(e instanceof AttendifyError && transient(e))) throw e;
          // The service is away (a restart, a deploy): wait and try again.
          failures++;
          const wait = Math.min(30_000, Math.max(pause, backoff(failures, e)) * 2 ** Math.min(failures - 1, 5));
          if (!(await sleep(wait, options.signal))) return;
          continue;
        }
        failures = 0;
        try {
          for await (const ev of events(res.body!, options.signal, options.idleMs ?? 45_000)) {
            if (ev.retry !== undefined) pause = ev.retry;
            if (ev.event === "changes" && ev.data) {
              const changes = JSON.parse(ev.data) as WallChanges;
              cursor = changes.cursor;
              yield changes;
            }
          }
        } catch (e) {
          if (options.signal?.aborted) return;
          // A broken connection: reconnect from the cursor, below.
          void e;
        }
        if (options.signal?.aborted) return;
        if (!(await sleep(pause, options.signal))) return;
      }
    },
  };
}

/** Whether connecting to a stream failed in a way that waiting may mend. */
function transient(e: AttendifyError): boolean {
  return e.retryable || e.code === clientCodes.unavailable || e.code === clientCodes.deadlineExceeded;
}

function keyHeader(wall: WallAddress): Record<string, string> {
  return wall.key ? { "X-Wall-Key": wall.key } : {};
}

function contentType(b: FileBody): string {
  return b instanceof Blob && b.type ? b.type : "application/octet-stream";
}

/** One Server-Sent Event. */
interface SSEvent {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

/** Reads Server-Sent Events from a response body (the WHATWG rules). */
async function* events(body: ReadableStream<Uint8Array>, signal?: AbortSignal, idleMs = 0): AsyncGenerator<SSEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  // A silent connection ends as if the service had closed it.
  let idle: ReturnType<typeof setTimeout> | undefined;
  const watch = () => {
    if (idleMs > 0) {
      clearTimeout(idle);
      idle = setTimeout(onAbort, idleMs);
    }
  };
  let buf = "";
  let ev: SSEvent = { event: "message", data: "" };
  let hasData = false;
  try {
    for (;;) {
      watch();
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          if (hasData || ev.retry !== undefined) {
            yield ev;
          }
          ev = { event: "message", data: "" };
          hasData = false;
          continue;
        }
        if (line.startsWith(":")) continue; // a comment (keep-alive)
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        switch (field) {
          case "event":
            ev.event = value;
            break;
          case "data":
            ev.data = hasData ? `${ev.data}\n${value}` : value;
            hasData = true;
            break;
          case "id":
            ev.id = value;
            break;
          case "retry":
            if (/^\d+$/.test(value)) ev.retry = Number(value);
            break;
        }
      }
    }
  } finally {
    // Also when the consumer stops early: close the connection.
    clearTimeout(idle);
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}
