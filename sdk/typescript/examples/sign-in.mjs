// @ts-check
// An organizer signs in with email and password, lists their apps, and
// takes a token of one of them.
//
//   node examples/sign-in.mjs .run/stack.json

import { isAttendifyError } from "@attendify/client";
import { loadStack } from "./stack.mjs";

const { client, organizer } = loadStack(process.argv[2]);
try {
  const account = await client.hub.auth.logIn({ email: organizer.email, password: organizer.password });
  const signedIn = client.withToken(account.token);
  const { apps } = await signedIn.hub.app.list();
  for (const a of apps) console.log(`${a.id}  ${a.name}  (${a.role})`);
  const first = apps[0];
  if (first) {
    const appToken = await signedIn.hub.auth.appToken({ app_id: first.id });
    console.log(`an app token for ${first.name}, as ${appToken.role}, until ${appToken.expires_at}`);
  }
} catch (e) {
  if (isAttendifyError(e, "unauthenticated")) console.error("wrong email or password");
  throw e;
}
