/**
 * The client: every service's methods and routes behind one object.
 * @module
 */

import { allMethods } from "./generated/index.js";
import { eventwallRoutes, importerRoutes, socialRoutes } from "./routes.js";
import { Transport, type ClientOptions } from "./runtime.js";

/**
 * Makes a client of the services at opts.urls:
 *
 *     const client = createClient({ urls: { hub: "http://127.0.0.1:8081" }, token });
 *     const app = await client.hub.app.get({ app_id });
 *
 * Each service's methods are grouped as their names are (`post.create` is
 * `client.social.post.create`); `client.batch` sends calls of one service in
 * one request (`client.social.post.get.request(params)` makes a member).
 */
export function createClient(opts: ClientOptions) {
  return clientOf(new Transport(opts));
}

function servicesOf(t: Transport) {
  const m = allMethods(t);
  return {
    ...m,
    social: { ...m.social, ...socialRoutes(t) },
    importer: { ...m.importer, ...importerRoutes(t) },
    eventwall: { ...m.eventwall, ...eventwallRoutes(t) },
    /** Sends calls of one service in one JSON-RPC batch; see Transport.batch. */
    batch: t.batch.bind(t) as Transport["batch"],
    /** The transport, for what the methods do not cover. */
    transport: t,
  };
}

/** What createClient returns. */
export type AttendifyClient = ReturnType<typeof servicesOf> & {
  /** The same client with another user token (or none). */
  withToken(token: ClientOptions["token"]): AttendifyClient;
};

function clientOf(t: Transport): AttendifyClient {
  return { ...servicesOf(t), withToken: (token) => clientOf(t.withToken(token)) };
}
