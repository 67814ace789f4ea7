// The analytics dashboard: tiles and charts of an app's live figures,
// polled every second with an ETag (a 304 costs the server almost nothing).
// Everything it needs is served by the analytics service itself: this file
// is bundled with uPlot by esbuild (npm run build) into static/dashboard.js.
import uPlot from "uplot";

const app = document.body.dataset.app;
const base = "/dashboard/" + encodeURIComponent(app);
const params = new URLSearchParams(location.search);
const linkToken = params.get("t") || "";
const tokenKey = "analytics.token." + app;

const TILES = [
  ["live-members", "Live members", (l) => l.live_members],
  ["live-installs", "Live installs", (l) => l.live_installs],
  ["active-today", "Active members today", (l) => l.today.members],
  ["sessions", "App sessions today", (l) => c(l.today, "sessions")],
  ["screen-views", "Screen views today", (l) => c(l.today, "screen_views")],
  ["taps", "Taps today", (l) => c(l.today, "taps")],
  ["posts", "Posts today", (l) => c(l.today, "posts")],
  ["comments", "Comments today", (l) => c(l.today, "comments")],
  ["reactions", "Reactions today", (l) => c(l.today, "reactions")],
];

const LISTS = [
  ["sessions", "Sessions now"],
  ["speakers", "Speakers now"],
  ["posts", "Posts now"],
  ["sponsors", "Sponsors now"],
];

function c(bucket, name) {
  return (bucket.counts && bucket.counts[name]) || 0;
}

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}

function headers() {
  const h = {};
  if (linkToken) h["X-Dashboard-Token"] = linkToken;
  const tok = sessionStorage.getItem(tokenKey);
  if (!linkToken && tok) h["Authorization"] = "Bearer " + tok;
  return h;
}

function setStatus(text, bad) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = bad ? "status bad" : "status";
}

function buildTiles() {
  const grid = document.getElementById("tiles");
  for (const [id, label] of TILES) {
    grid.append(el("div", { class: "tile", id: "tile-" + id }, el("div", { class: "value" }, "–"), el("div", { class: "label" }, label)));
  }
  const lists = document.getElementById("lists");
  for (const [id, label] of LISTS) {
    lists.append(el("section", { class: "list", id: "list-" + id }, el("h2", {}, label), el("ol", {})));
  }
  lists.append(el("section", { class: "list", id: "list-leaderboard" }, el("h2", {}, "Leaderboard"), el("ol", {})));
}

function chart(id, title, series) {
  const node = document.getElementById(id);
  const width = () => Math.max(300, node.clientWidth - 8);
  const opts = {
    title,
    width: width(),
    height: 260,
    scales: { x: { time: true } },
    axes: [
      { stroke: "#cbd5e1", grid: { stroke: "#334155" } },
      { stroke: "#cbd5e1", grid: { stroke: "#334155" } },
    ],
    series: [{}].concat(series.map(([label, color]) => ({ label, stroke: color, width: 3, points: { show: false } }))),
  };
  const u = new uPlot(opts, [[], ...series.map(() => [])], node);
  addEventListener("resize", () => u.setSize({ width: width(), height: 260 }));
  return u;
}

let activity, actions;

function render(live) {
  for (const [id, , get] of TILES) {
    document.querySelector("#tile-" + id + " .value").textContent = get(live).toLocaleString();
  }
  const xs = live.minutes.map((b) => Date.parse(b.start) / 1000);
  const members = live.minutes.map((b) => b.members);
  const installs = live.minutes.map((b) => b.installs);
  const views = live.minutes.map((b) => c(b, "screen_views"));
  const taps = live.minutes.map((b) => c(b, "taps"));
  const social = live.minutes.map((b) => c(b, "posts") + c(b, "comments") + c(b, "reactions"));
  activity.setData([xs, members, installs]);
  actions.setData([xs, views, taps, social]);
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  document.getElementById("chart-activity").dataset.sum = String(sum(members) + sum(installs));
  document.getElementById("chart-actions").dataset.sum = String(sum(views) + sum(taps) + sum(social));
  for (const [id] of LISTS) fill("list-" + id, live.top[id] || [], (x) => x.score.toFixed(1));
  fill("list-leaderboard", live.leaderboard || [], (x) => String(x.score));
  document.body.dataset.version = live.version;
  setStatus("Updated " + new Date(live.at).toLocaleTimeString(), false);
}

function fill(id, items, score) {
  const ol = document.querySelector("#" + id + " ol");
  ol.replaceChildren(...items.slice(0, 8).map((x) => el("li", {}, el("span", { class: "id", title: x.id }, x.label || x.id), el("span", { class: "score" }, score(x)))));
  if (items.length === 0) ol.append(el("li", { class: "empty" }, "nothing yet"));
}

let etag = "";

async function poll() {
  try {
    const h = headers();
    if (etag) h["If-None-Match"] = etag;
    const r = await fetch(base + "/live", { headers: h, cache: "no-store" });
    if (r.status === 304) {
      setStatus("Up to date " + new Date().toLocaleTimeString(), false);
    } else if (r.ok) {
      etag = r.headers.get("ETag") || "";
      render(await r.json());
    } else if (r.status === 401 || r.status === 403) {
      sessionStorage.removeItem(tokenKey);
      showSignIn("Sign in as an organizer of this app.");
      return;
    } else {
      setStatus("The server answered " + r.status + "; retrying", true);
    }
  } catch (e) {
    setStatus("Offline; retrying", true);
  }
  setTimeout(poll, 1000);
}

function showSignIn(msg) {
  const form = document.getElementById("signin");
  form.hidden = false;
  form.querySelector(".msg").textContent = msg;
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const body = JSON.stringify({ email: form.email.value, password: form.password.value });
    const r = await fetch(base + "/signin", { method: "POST", headers: { "Content-Type": "application/json" }, body });
    if (!r.ok) {
      form.querySelector(".msg").textContent = "Sign-in failed (" + r.status + ").";
      return;
    }
    const { token } = await r.json();
    sessionStorage.setItem(tokenKey, token);
    form.hidden = true;
    poll();
  };
}

buildTiles();
activity = chart("chart-activity", "Active per minute", [["members", "#38bdf8"], ["installs", "#a78bfa"]]);
actions = chart("chart-actions", "Actions per minute", [["screen views", "#facc15"], ["taps", "#4ade80"], ["posts, comments, reactions", "#f472b6"]]);
if (linkToken || sessionStorage.getItem(tokenKey)) poll();
else showSignIn("Sign in with your organizer account, or open a dashboard link.");
