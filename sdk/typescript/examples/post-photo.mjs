// @ts-check
// An attendee uploads a photo, posts it on the event, and reads the feed.
//
//   node examples/post-photo.mjs .run/stack.json [photo.jpg]

import { readFileSync } from "node:fs";

import { loadStack } from "./stack.mjs";

const { client, app, event, memberToken } = loadStack(process.argv[2]);
const member = client.withToken(memberToken);
const bytes = process.argv[3]
  ? readFileSync(process.argv[3])
  : Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

const { photo_id } = await member.social.uploadPhoto(app, bytes);
const post = await member.social.post.create({ app_id: app, event_id: event, text: "Greetings from the SDK's examples", photo_ids: [photo_id] });
await member.social.reaction.set({ app_id: app, post_id: post.id, reaction: "clap" });
const feed = await member.social.feed.get({ app_id: app, kind: "event", id: event, limit: 5 });
for (const p of feed.items) console.log(`${p.author.name}: ${p.text} (${p.reaction_count} reactions, ${p.photos?.length ?? 0} photos)`);
