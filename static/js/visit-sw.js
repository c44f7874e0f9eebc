// The home-visit service worker: the visit form works without signal (docs/design.md, "Working offline").
// Served by homevisits.views.offline.service_worker at /homevisits/sw.js with `Service-Worker-Allowed: /` and
// registered with scope "/" by visit-form.js, so that it also sees the sign-out button on every page.
// It touches only these requests; every other request goes to the network untouched:
// - GET of a visit form page (/homevisits/planned/<id>/record/): network first; a successful answer is kept
//   in the cache and served when there is no network (at most MAX_AGE_MS old);
// - GET of /static/ files the visit form loads: network first, the cached copy when there is no network;
// - POST of a visit form: sent as is; if the network fails, the form is queued in IndexedDB (one entry per
//   idempotency key: a double submit stays one entry) and the browser is sent back to the (cached) form,
//   which shows "waiting to send (n)";
// - POST of the sign-out form, GET of the sign-in page: the page cache is deleted (the queue is kept: it may be
//   the only copy of a family's notes).
// The queue is sent again on Background Sync (where the browser has it), and when a visit page asks (on load
// and on the "online" event). A replay first GETs the form page: a fresh CSRF token (signing in again
// changes it), and a redirect to the sign-in page means the session ended: the entry is kept and the pages
// are told to ask the user to sign in. The server makes one record per idempotency key however often a
// replay repeats.
const CACHE = "nuanxin-visit-v1";
const CACHE_PREFIX = "nuanxin-visit-";
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const FORM_PATH = /^\/homevisits\/planned\/\d+\/record\/$/;
const RECORD_PATH = /^\/homevisits\/records\/\d+\/$/;
const LOGIN_PATH = "/accounts/login/";
const LOGOUT_PATH = "/accounts/logout/";
const DB_NAME = "nuanxin-visit-queue";
const STORE = "queue";
const SYNC_TAG = "nuanxin-visit-queue";

// --- IndexedDB: one object store keyed by the form's idempotency key --------------------------------------
const openDb = () =>
  new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const withStore = async (mode, work) => {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
};

const queueAll = () => withStore("readonly", (store) => store.getAll());
const queuePut = (item) => withStore("readwrite", (store) => store.put(item));
const queueDelete = (key) => withStore("readwrite", (store) => store.delete(key));

// --- Telling the pages ------------------------------------------------------------------------------------
const broadcast = async (message) => {
  const all = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  all.forEach((client) => client.postMessage(message));
};

const announce = async (extra = {}) => {
  const items = await queueAll();
  await broadcast({
    type: "visit-queue",
    count: items.length,
    signIn: items.some((item) => item.signIn),
    ...extra,
  });
};

// --- The page cache ---------------------------------------------------------------------------------------
const clearPages = async () => {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX)).map((name) => caches.delete(name)));
};

const keepable = (response) => response.ok && !response.redirected && response.type === "basic";

const stamped = async (response) => {
  const headers = new Headers(response.headers);
  headers.set("X-Nuanxin-Cached-At", String(Date.now()));
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
};

const cachedPage = async (url) => {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(url, { ignoreSearch: true, ignoreVary: true });
  if (!hit) return null;
  if (Date.now() - Number(hit.headers.get("X-Nuanxin-Cached-At") || 0) > MAX_AGE_MS) {
    await cache.delete(url, { ignoreSearch: true, ignoreVary: true });
    return null;
  }
  return hit;
};

const formPage = async (request) => {
  try {
    const response = await fetch(request);
    const path = new URL(response.url).pathname;
    if (keepable(response)) {
      const cache = await caches.open(CACHE);
      await cache.put(request.url.split("?")[0], await stamped(response.clone()));
    } else if (path === LOGIN_PATH) {
      await clearPages(); // the session ended: what it showed is no longer kept
    } else if (RECORD_PATH.test(path)) {
      await (await caches.open(CACHE)).delete(request.url.split("?")[0]); // the record exists now
    }
    return response;
  } catch (error) {
    const hit = await cachedPage(request.url);
    if (hit) return hit;
    throw error;
  }
};

const staticFile = async (request) => {
  try {
    const response = await fetch(request);
    if (keepable(response)) {
      const cache = await caches.open(CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const hit = await caches.match(request, { ignoreVary: true });
    if (hit) return hit;
    throw error;
  }
};

// --- The queue ---------------------------------------------------------------------------------------------
const queueSubmit = async (request) => {
  const body = await request.clone().text();
  try {
    return await fetch(request);
  } catch (error) {
    const fields = new URLSearchParams(body);
    const key = fields.get("idempotency_key");
    if (!key) throw error; // not a form this worker understands: the browser shows its own error
    await queuePut({ key, url: request.url.split("?")[0], body, queuedAt: Date.now(), signIn: false });
    if (self.registration.sync) {
      try {
        await self.registration.sync.register(SYNC_TAG);
      } catch (syncError) {
        // Background Sync refused (not installed as an app, or turned off): the pages ask instead.
      }
    }
    await announce();
    return Response.redirect(request.url, 303);
  }
};

const csrfFrom = (html) => {
  const match = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
  return match ? match[1] : "";
};

// One entry: "sent", "kept" (no network or a server error: try later), "sign-in" or "refused".
const sendOne = async (item) => {
  const page = await fetch(item.url, { credentials: "same-origin", cache: "no-store" });
  const pagePath = new URL(page.url).pathname;
  if (pagePath === LOGIN_PATH) return { outcome: "sign-in" };
  const token = csrfFrom(await page.text());
  if (!token) return { outcome: "kept" };
  const fields = new URLSearchParams(item.body);
  fields.set("csrfmiddlewaretoken", token);
  const response = await fetch(item.url, {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: fields.toString(),
  });
  const path = new URL(response.url).pathname;
  if (path === LOGIN_PATH) return { outcome: "sign-in" };
  if (response.ok && RECORD_PATH.test(path)) return { outcome: "sent", record: response.url };
  if (response.status === 400) return { outcome: "refused" };
  return { outcome: "kept" };
};

let replaying = null;

const replayNow = async () => {
  const items = await queueAll();
  const sent = [];
  const refused = [];
  for (const item of items) {
    let result;
    try {
      result = await sendOne(item);
    } catch (error) {
      result = { outcome: "kept" }; // still no network
    }
    if (result.outcome === "sent") {
      await queueDelete(item.key);
      sent.push({ url: item.url, record: result.record });
    } else if (result.outcome === "refused") {
      // The server refused the form (a field to correct, or the record was made by someone else): the text
      // is still in the form's own copy on this device (visit-form.js), so the page asks to check and save.
      await queueDelete(item.key);
      refused.push({ url: item.url });
    } else if (result.outcome === "sign-in" && !item.signIn) {
      await queuePut({ ...item, signIn: true });
    } else if (result.outcome === "kept" && item.signIn) {
      await queuePut({ ...item, signIn: false });
    }
    if (result.outcome === "sign-in") await clearPages();
  }
  await announce({ sent, refused });
  const left = await queueAll();
  if (left.length && !left.every((item) => item.signIn)) throw new Error("visit queue not empty");
};

const replay = () => {
  if (!replaying) {
    replaying = replayNow().finally(() => {
      replaying = null;
    });
  }
  return replaying;
};

// A file the visit form loads: its scripts and styles (referrer: the form), and what those styles load.
const forTheForm = (request) => {
  if (!request.referrer) return false;
  const from = new URL(request.referrer);
  if (from.origin !== self.location.origin) return false;
  return FORM_PATH.test(from.pathname) || from.pathname.startsWith("/static/");
};

// --- Events -------------------------------------------------------------------------------------------------
self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE).map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === LOGOUT_PATH) {
    event.waitUntil(clearPages());
    return; // the sign-out itself goes to the network untouched
  }
  if (request.method === "GET" && request.mode === "navigate" && url.pathname === LOGIN_PATH) {
    // Signing in, or sent there because the session ended (each redirect of a navigation comes here again):
    // whatever was kept belongs to a session that is over.
    event.waitUntil(clearPages());
    return;
  }
  if (request.method === "POST" && request.mode === "navigate" && FORM_PATH.test(url.pathname)) {
    event.respondWith(queueSubmit(request));
  } else if (request.method === "GET" && request.mode === "navigate" && FORM_PATH.test(url.pathname)) {
    event.respondWith(formPage(request));
  } else if (request.method === "GET" && url.pathname.startsWith("/static/") && forTheForm(request)) {
    event.respondWith(staticFile(request));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(replay());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "visit-queue-replay") {
    event.waitUntil(replay().catch(() => announce()));
  } else if (data.type === "visit-queue-status") {
    event.waitUntil(announce());
  } else if (data.type === "visit-cache") {
    // The form page asks to keep itself and the files it loaded before this worker controlled it.
    const paths = (data.urls || []).map((u) => new URL(u, self.location.origin));
    const statics = paths.filter((u) => u.origin === self.location.origin && u.pathname.startsWith("/static/"));
    const forms = paths.filter((u) => u.origin === self.location.origin && FORM_PATH.test(u.pathname));
    event.waitUntil(
      Promise.all([
        caches.open(CACHE).then((cache) => cache.addAll(statics.map(String))),
        ...forms.map((u) => formPage(new Request(u.origin + u.pathname, { credentials: "same-origin" }))),
      ])
        .catch(() => undefined)
        .then(() => event.source && event.source.postMessage({ type: "visit-cache-ready" })),
    );
  }
});
