// The projector page of an event wall. It follows the wall's changes with
// Server-Sent Events (GET /walls/{id}/stream), falls back to long polling
// (GET /walls/{id}/poll?cursor=...&wait=25s) when the stream fails, and
// reconnects on its own: whatever happens to the network, it keeps showing
// what it has. New posts arrive with an animation; when nothing new comes,
// earlier posts cycle back; a paused wall freezes (removals still apply).
(function () {
  "use strict";

  const wallID = decodeURIComponent(location.pathname.split("/")[2] || "");
  const key = new URLSearchParams(location.search).get("key") || "";
  const base = "/walls/" + encodeURIComponent(wallID);
  const CAPACITY = { grid: 8, masonry: 16, spotlight: 1 };

  const els = {
    body: document.body,
    board: document.getElementById("board"),
    pinned: document.getElementById("pinned"),
    title: document.getElementById("title"),
    logo: document.getElementById("logo"),
    status: document.getElementById("status"),
    notice: document.getElementById("notice"),
  };

  const state = {
    cursor: "",
    config: null,
    items: new Map(), // id -> item
    shown: [], // ids on the board, in display order (first = top left)
    pending: [], // ids that arrived while paused
    cycle: 0, // where the cycling of earlier posts is
    lastArrival: 0,
    gone: false,
  };

  // ------------------------------------------------------------------ URLs

  function withKey(path, params) {
    const p = new URLSearchParams(params || {});
    if (key) p.set("key", key);
    const q = p.toString();
    return q ? path + "?" + q : path;
  }

  // ---------------------------------------------------------------- render

  function relTime(iso) {
    const t = Date.parse(iso);
    if (!t) return "";
    const s = Math.max(0, (Date.now() - t) / 1000);
    if (s < 45) return "just now";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return Math.round(s / 3600) + " h ago";
    return new Date(t).toLocaleDateString();
  }

  function escapeRegExp(s) {
    return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }

  // textNodes fills parent with text, hashtags and mentions (@Name, the
  // names the server lists in item.mentions) styled.
  function textNodes(parent, text, mentions) {
    const alts = (mentions || [])
      .filter((n) => n)
      .sort((a, b) => b.length - a.length) // the longest name wins
      .map((n) => "@" + escapeRegExp(n));
    alts.push("#[\\p{L}\\p{N}_]+");
    const re = new RegExp(alts.join("|"), "gu");
    let last = 0;
    for (const m of text.matchAll(re)) {
      if (m.index > last) parent.append(text.slice(last, m.index));
      const span = document.createElement("span");
      span.className = m[0][0] === "@" ? "mention" : "tag";
      span.textContent = m[0];
      parent.append(span);
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  function fillCard(card, it) {
    card.replaceChildren();
    card.className = "card" + (it.mark ? " mark-" + it.mark : "");
    card.dataset.id = it.id;
    if (it.photos && it.photos.length) {
      const photos = document.createElement("div");
      photos.className = "photos";
      for (const src of photoURLs(it)) {
        const img = document.createElement("img");
        img.alt = "";
        img.src = src;
        photos.append(img);
      }
      card.append(photos);
    }
    if (it.text) {
      const p = document.createElement("p");
      p.className = "text";
      textNodes(p, it.text, it.mentions);
      card.append(p);
    }
    const foot = document.createElement("footer");
    if (it.author_photo) {
      const av = document.createElement("img");
      av.className = "avatar";
      av.alt = "";
      av.src = it.author_photo;
      av.onerror = () => av.remove();
      foot.append(av);
    }
    const who = document.createElement("span");
    who.className = "author";
    who.textContent = it.author || "Attendee";
    const when = document.createElement("time");
    when.dateTime = it.created_at;
    when.textContent = relTime(it.created_at);
    foot.append(who, when);
    card.append(foot);
  }

  // preload fetches an item's photos before its card appears, so that a
  // card never shows a blank gap where its photo is still loading; a photo
  // that fails does not hold the card back.
  function photoURLs(it) {
    const spotlight = layout() === "spotlight";
    return (it.photos || []).slice(0, spotlight ? 1 : 4).map((p) => withKey(base + "/" + (spotlight ? p.url : p.thumb_url)));
  }

  function preload(it) {
    return Promise.all(photoURLs(it).map((u) => new Promise((done) => {
      const img = new Image();
      img.onload = () => (img.decode ? img.decode() : Promise.resolve()).catch(() => {}).then(done);
      img.onerror = done;
      img.src = u;
    })));
  }

  // fit makes a grid with fewer cards than cells use the screen's whole
  // width: as many columns as cards (at most 4, 3 on a 4:3 screen), a
  // second row only when they do not fit in one.
  function fit() {
    if (layout() !== "grid") return;
    const most = window.matchMedia("(max-aspect-ratio: 4/3)").matches ? 3 : 4;
    const n = els.board.querySelectorAll(".card:not(.leave)").length;
    const cols = Math.max(1, Math.min(most, n));
    els.board.style.setProperty("--cols", cols);
    els.board.style.setProperty("--rows", n > cols ? 2 : 1);
  }

  function newCard(it, cls) {
    const card = document.createElement("article");
    fillCard(card, it);
    if (cls) card.classList.add(cls);
    return card;
  }

  function layout() {
    return (state.config && state.config.layout) || "grid";
  }

  function capacity() {
    return CAPACITY[layout()] || 12;
  }

  function cardOf(id) {
    for (const c of els.board.children) if (c.dataset.id === id) return c;
    for (const c of els.pinned.children) if (c.dataset.id === id) return c;
    return null;
  }

  // newest returns the ids of every item, newest first by creation time
  // (then by id), never by arrival: posts reach a wall in no set order.
  function newest() {
    const created = (id) => Date.parse(state.items.get(id).created_at) || 0;
    return [...state.items.keys()].sort((a, b) => created(b) - created(a) || (a < b ? 1 : a > b ? -1 : 0));
  }

  function isPinned(id) {
    const it = state.items.get(id);
    return !!it && it.mark === "pin";
  }

  // renderAll rebuilds the board from the items (a reset, a new layout).
  function renderAll() {
    els.board.replaceChildren();
    els.pinned.replaceChildren();
    const ids = newest();
    const pins = ids.filter(isPinned);
    const rest = ids.filter((id) => !isPinned(id));
    if (layout() === "spotlight") {
      for (const id of pins) els.pinned.append(newCard(state.items.get(id)));
      state.shown = rest.slice(0, 1);
    } else {
      state.shown = pins.concat(rest).slice(0, capacity());
    }
    els.pinned.hidden = els.pinned.children.length === 0;
    for (const id of state.shown) els.board.append(newCard(state.items.get(id), "arrive"));
    state.cycle = 0;
    emptyNote();
  }

  function emptyNote() {
    fit();
    const empty = els.board.querySelector(".empty");
    if (els.board.querySelector(".card")) {
      if (empty) empty.remove();
    } else if (!empty) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = "Post in the app to appear here";
      els.board.append(p);
    }
  }

  // show puts an item at the front of the board with the arrival animation.
  function show(id) {
    const it = state.items.get(id);
    if (!it) return;
    if (layout() === "spotlight" && isPinned(id)) {
      if (!cardOf(id)) els.pinned.append(newCard(it, "arrive"));
      els.pinned.hidden = false;
      return;
    }
    const old = cardOf(id);
    if (old) old.remove();
    state.shown = state.shown.filter((x) => x !== id);
    const card = newCard(it, "arrive");
    // Pinned cards stay first.
    let at = 0;
    while (at < state.shown.length && isPinned(state.shown[at])) at++;
    if (isPinned(id)) at = 0;
    const before = els.board.querySelectorAll(".card")[at] || null;
    els.board.insertBefore(card, before);
    state.shown.splice(at, 0, id);
    while (state.shown.length > capacity()) {
      let drop = state.shown.length - 1;
      while (drop > 0 && isPinned(state.shown[drop])) drop--;
      const gone = state.shown.splice(drop, 1)[0];
      const c = cardOf(gone);
      if (c && c.parentNode === els.board) c.remove();
    }
    emptyNote();
  }

  function removeItem(id) {
    state.items.delete(id);
    state.pending = state.pending.filter((x) => x !== id);
    const c = cardOf(id);
    const wasShown = state.shown.includes(id);
    state.shown = state.shown.filter((x) => x !== id);
    if (c) {
      c.dataset.id = "";
      c.classList.add("leave");
      setTimeout(() => c.remove(), 500);
    }
    if (els.pinned.children.length === 0) els.pinned.hidden = true;
    if (wasShown && !paused()) setTimeout(fillGap, 550);
    setTimeout(emptyNote, 600);
  }

  // fillGap brings an earlier post back where one left.
  function fillGap() {
    if (state.shown.length >= capacity()) return;
    const next = nextEarlier();
    if (next) show(next);
  }

  // nextEarlier is the next item not on the board, going round.
  function nextEarlier() {
    const ids = newest().filter((id) => !state.shown.includes(id) && !(layout() === "spotlight" && isPinned(id)));
    if (ids.length === 0) return null;
    state.cycle = state.cycle % ids.length;
    return ids[state.cycle++];
  }

  function upsert(it) {
    const known = state.items.has(it.id);
    const before = state.items.get(it.id);
    state.items.set(it.id, it);
    if (known) {
      const c = cardOf(it.id);
      if (c) {
        const pinChanged = (before && before.mark === "pin") !== (it.mark === "pin");
        if (pinChanged && !paused()) {
          show(it.id);
        } else {
          fillCard(c, it);
          c.classList.add("updated");
        }
      }
      return;
    }
    if (paused()) {
      state.pending.push(it.id);
      return;
    }
    state.lastArrival = Date.now();
    preload(it).then(() => {
      if (state.items.get(it.id) !== it || cardOf(it.id)) return; // changed or gone meanwhile
      if (paused()) state.pending.push(it.id);
      else show(it.id);
    });
  }

  // ---------------------------------------------------------------- config

  function paused() {
    return !!(state.config && state.config.paused);
  }

  function setConfig(cfg) {
    const prev = state.config;
    state.config = cfg;
    const root = document.documentElement.style;
    const theme = cfg.theme || {};
    if (theme.background) root.setProperty("--bg", theme.background);
    if (theme.text) root.setProperty("--fg", theme.text);
    if (theme.accent) root.setProperty("--accent", theme.accent);
    if (theme.logo_url) {
      els.logo.src = theme.logo_url;
      els.logo.hidden = false;
    } else {
      els.logo.hidden = true;
      els.logo.removeAttribute("src");
    }
    els.title.textContent = cfg.title || "";
    document.title = cfg.title || "Event wall";
    els.body.className = "layout-" + layout() + (cfg.paused ? " paused" : "");
    els.body.dataset.paused = cfg.paused ? "true" : "false";
    if (cfg.gone) {
      state.gone = true;
      notice("This wall has ended.");
    }
    if (prev && prev.layout !== cfg.layout) renderAll();
    if (prev && prev.paused && !cfg.paused) {
      const waiting = state.pending;
      state.pending = [];
      for (const id of waiting) if (state.items.has(id)) show(id);
    }
    restartCycle();
    status();
  }

  function notice(text) {
    els.notice.textContent = text;
    els.notice.hidden = !text;
  }

  // ---------------------------------------------------------------- cycle

  let cycleTimer = null;

  function restartCycle() {
    if (cycleTimer) clearInterval(cycleTimer);
    const secs = (state.config && state.config.display_seconds) || 8;
    cycleTimer = setInterval(tick, secs * 1000);
  }

  // tick cycles an earlier post onto the board when nothing new arrived
  // during the last display period.
  function tick() {
    for (const t of document.querySelectorAll(".card time")) t.textContent = relTime(t.dateTime);
    if (paused() || state.gone) return;
    const secs = (state.config && state.config.display_seconds) || 8;
    if (Date.now() - state.lastArrival < secs * 1000) return;
    const next = nextEarlier();
    if (next) {
      show(next);
    } else if (layout() !== "spotlight" && state.shown.length > 1) {
      // Everything fits: move the last card to the front.
      let i = state.shown.length - 1;
      while (i > 0 && isPinned(state.shown[i])) i--;
      if (i > 0 && !isPinned(state.shown[i])) show(state.shown[i]);
    }
  }

  // ------------------------------------------------------------ changes

  function apply(ch) {
    if (ch.config) setConfig(ch.config);
    if (ch.reset) {
      state.items.clear();
      state.pending = [];
      for (const it of ch.items || []) state.items.set(it.id, it);
      renderAll();
    } else {
      for (const id of ch.removed || []) removeItem(id);
      for (const it of ch.items || []) upsert(it);
    }
    state.cursor = ch.cursor;
    els.body.dataset.cursor = ch.cursor;
  }

  let connection = "connecting";

  function setConnection(c) {
    connection = c;
    els.body.dataset.connection = c;
    status();
  }

  function status() {
    let s = connection === "live" ? "live" : connection === "offline" ? "reconnecting…" : "connecting…";
    if (paused()) s = "paused";
    els.status.textContent = s;
  }

  // ----------------------------------------------------------- transport

  let source = null;
  let streamFailures = 0;
  let polling = false;
  let retryDelay = 1000;

  function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
  }

  function backoff() {
    const d = retryDelay;
    retryDelay = Math.min(retryDelay * 2, 15000);
    return d / 2 + Math.random() * (d / 2);
  }

  function connectStream() {
    if (!window.EventSource) {
      startPolling();
      return;
    }
    const es = new EventSource(withKey(base + "/stream", state.cursor ? { cursor: state.cursor } : {}));
    source = es;
    let got = false;
    es.addEventListener("changes", (ev) => {
      got = true;
      streamFailures = 0;
      retryDelay = 1000;
      setConnection("live");
      try {
        apply(JSON.parse(ev.data));
      } catch (e) {
        console.error("wall: bad change", e);
      }
    });
    es.onerror = () => {
      setConnection("offline");
      // The browser retries a dropped stream by itself (with Last-Event-ID);
      // a stream that never worked, or that the server refused, falls back
      // to polling.
      if (es.readyState === EventSource.CLOSED || !got) {
        es.close();
        if (source === es) source = null;
        streamFailures++;
        if (streamFailures >= 2) startPolling();
        else setTimeout(connectStream, backoff());
      }
    };
  }

  async function startPolling() {
    if (polling) return;
    polling = true;
    const since = Date.now();
    while (polling) {
      try {
        const res = await fetch(withKey(base + "/poll", { cursor: state.cursor, wait: "25s" }), { cache: "no-store" });
        if (res.status === 200) {
          apply(await res.json());
          setConnection("live");
          retryDelay = 1000;
        } else if (res.status === 304) {
          setConnection("live");
          retryDelay = 1000;
          // A replica that stops answers at once with Retry-After: poll
          // again within that many seconds, at a random moment.
          const ra = Number(res.headers.get("Retry-After"));
          if (ra > 0) await sleep(Math.random() * ra * 1000);
        } else if (res.status === 404) {
          setConnection("offline");
          if (!state.gone) notice("This wall does not exist (or its screen key changed).");
          await sleep(10000);
        } else {
          throw new Error("HTTP " + res.status);
        }
      } catch (e) {
        setConnection("offline");
        await sleep(backoff());
      }
      // Try the stream again from time to time.
      if (Date.now() - since > 60000 && window.EventSource) {
        polling = false;
        streamFailures = 0;
        connectStream();
      }
    }
  }

  window.addEventListener("resize", fit);
  window.addEventListener("online", () => {
    if (!source && !polling) connectStream();
  });

  // Exposed for tests and for operators poking at a screen.
  window.eventWall = { state, reconnect: () => { if (source) source.close(); source = null; connectStream(); } };

  emptyNote();
  restartCycle();
  connectStream();
})();
