// A local HTTP server for the tests that need no stack (imported by the
// test files; it holds no tests itself).
import { createServer } from "node:http";

/**
 * Starts a server with handler and answers its URL and a stop function.
 * @param {(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse, body: string) => void} handler
 */
export async function serve(handler) {
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => handler(req, res, raw));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", () => r(undefined)));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop() {
      server.closeAllConnections();
      server.close();
    },
  };
}
