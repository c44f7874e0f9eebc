// The visit-record form, written in the field where the signal comes and goes: nothing typed may be lost.
// - every change is kept in localStorage (one key per planned student) as the user types;
// - the copy is restored on load when it is newer than the server's draft;
// - when online, the draft is POSTed to the server (debounced, and again on the "online" event);
// - the hidden idempotency key is created once per draft and kept with it, so a form sent twice (a retry
//   after a timeout) makes one record; the record page clears the local copy once the record exists;
// - the copy notes when the server confirmed it (sentAt), so signing out (portal.js) removes confirmed copies
//   and keeps one the server never got (e.g. the session ran out while offline and the save was refused).
// Without JavaScript the form still works: the server generated the key, and the form posts normally.
(() => {
  const storage = (() => {
    try {
      const probe = "__nuanxin_probe__";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) {
      return null;
    }
  })();

  // The record page: the record exists, so the local draft is no longer needed.
  document.querySelectorAll("[data-visit-draft-clear]").forEach((el) => {
    if (storage) storage.removeItem(el.dataset.visitDraftClear);
  });

  const form = document.querySelector("[data-visit-form]");
  if (!form) return;
  const key = form.dataset.storageKey;
  const draftUrl = form.dataset.draftUrl;
  const serverSavedAt = Number(form.dataset.serverSavedAt || "0");
  const status = document.querySelector("[data-draft-status]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  const keyField = form.querySelector("input[name=idempotency_key]");
  const DEBOUNCE_MS = 800;
  let timer = null;
  let dirty = false;
  let sending = false;

  const say = (message) => {
    if (status && message) status.textContent = message;
  };

  const fieldsOf = () => Array.from(form.elements).filter((el) => el.name && el.name !== "csrfmiddlewaretoken");

  const collect = () => {
    const data = {};
    fieldsOf().forEach((el) => {
      if (el.type === "checkbox" && el.name === "needs") {
        data.needs = data.needs || [];
        if (el.checked) data.needs.push(el.value);
      } else if (el.type === "checkbox") {
        data[el.name] = el.checked ? "on" : "";
      } else if (el.type === "radio") {
        if (el.checked) data[el.name] = el.value;
      } else if (el.type !== "file" && el.type !== "submit") {
        data[el.name] = el.value;
      }
    });
    return data;
  };

  const apply = (data) => {
    fieldsOf().forEach((el) => {
      if (!(el.name in data)) return;
      const value = data[el.name];
      if (el.type === "checkbox" && Array.isArray(value)) {
        el.checked = value.includes(el.value);
      } else if (el.type === "checkbox") {
        el.checked = value === "on" || value === true || value === "True";
      } else if (el.type === "radio") {
        el.checked = el.value === value;
      } else if (el.type !== "file") {
        el.value = value;
      }
    });
  };

  const readLocal = () => {
    if (!storage) return null;
    try {
      return JSON.parse(storage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  };

  // sent: the server already holds this content (the page was just rendered from its draft).
  const writeLocal = (sent = false) => {
    if (!storage) return;
    try {
      const savedAt = Date.now();
      storage.setItem(key, JSON.stringify({ savedAt, sentAt: sent ? savedAt : 0, data: collect() }));
      say(form.dataset.msgLocal);
    } catch (error) {
      // Storage full or disabled: the server copy is the only one.
    }
  };

  const send = async () => {
    if (!dirty || sending || !draftUrl) return;
    if (!navigator.onLine) {
      say(form.dataset.msgOffline);
      return;
    }
    sending = true;
    dirty = false;
    const sentCopy = readLocal();
    try {
      const response = await fetch(draftUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify(collect()),
      });
      // A redirect is the sign-in page (the session ran out): the server did not keep the draft.
      if (response.ok && !response.redirected) {
        markSent(sentCopy ? Number(sentCopy.savedAt || 0) : 0);
        say(form.dataset.msgServer);
      } else {
        dirty = true;
      }
    } catch (error) {
      dirty = true; // no connection after all: try again on the next change or when back online
      say(form.dataset.msgOffline);
    } finally {
      sending = false;
    }
  };

  // The server confirmed the copy saved at `savedAt`; a newer copy typed meanwhile stays unconfirmed.
  const markSent = (savedAt) => {
    const local = readLocal();
    if (!storage || !local || !savedAt) return;
    try {
      local.sentAt = Math.max(Number(local.sentAt || 0), savedAt);
      storage.setItem(key, JSON.stringify(local));
    } catch (error) {
      // Storage full or disabled: nothing to mark.
    }
  };

  const changed = () => {
    dirty = true;
    writeLocal();
    window.clearTimeout(timer);
    timer = window.setTimeout(send, DEBOUNCE_MS);
  };

  // Restore: the local copy wins when it is at least as new as the server's draft.
  // The idempotency key travels with the draft (apply() restores it), so it is created once per draft:
  // by the server on the first load, then kept here and in the server's draft.
  const local = readLocal();
  if (local && local.data && Number(local.savedAt || 0) >= serverSavedAt) {
    apply(local.data);
    say(form.dataset.msgRestored);
    dirty = true;
  }
  if (keyField && !keyField.value && window.crypto && window.crypto.randomUUID) {
    keyField.value = window.crypto.randomUUID();
  }
  writeLocal(!dirty);

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", () => {
    dirty = true;
    send();
  });
  window.addEventListener("offline", () => say(form.dataset.msgOffline));
  if (dirty) timer = window.setTimeout(send, DEBOUNCE_MS);

  // Working offline (static/js/visit-sw.js): the worker keeps this page for when there is no signal, queues a
  // submit the network refused, and sends it when the signal is back; this page shows "waiting to send (n)".
  // Without a worker (an old browser, or before it took over), a submit with no signal stays on the page:
  // the text is kept above, and the browser's own "no internet" page never appears.
  const queueBox = document.querySelector("[data-visit-queue]");
  const worker = queueBox && "serviceWorker" in navigator ? navigator.serviceWorker : null;
  const formPath = new URL(form.action, window.location.href).pathname;

  const showQueue = (state) => {
    const count = queueBox.querySelector("[data-visit-queue-count]");
    const detail = queueBox.querySelector("[data-visit-queue-detail]");
    const link = queueBox.querySelector("[data-visit-queue-link]");
    const mine = (list) => (list || []).find((item) => new URL(item.url).pathname === formPath);
    const sent = mine(state.sent);
    const refused = mine(state.refused);
    queueBox.dataset.count = String(state.count);
    link.hidden = true;
    if (sent && storage) storage.removeItem(key); // the record exists: the local copy is no longer needed
    if (state.count > 0) {
      count.textContent = queueBox.dataset.msgWaiting.replace("{n}", String(state.count));
      if (state.signIn) {
        detail.textContent = queueBox.dataset.msgSignIn;
        link.textContent = queueBox.dataset.msgSignInLink;
        link.href = queueBox.dataset.loginUrl;
        link.hidden = false;
      } else {
        detail.textContent = queueBox.dataset.msgWaitingDetail;
      }
    } else if (sent) {
      count.textContent = queueBox.dataset.msgSent;
      detail.textContent = "";
      link.textContent = queueBox.dataset.msgSentLink;
      link.href = sent.record;
      link.hidden = false;
    } else if (refused) {
      count.textContent = "";
      detail.textContent = queueBox.dataset.msgRefused;
    } else {
      queueBox.hidden = true;
      return;
    }
    queueBox.hidden = false;
  };

  const tell = (message) => {
    if (!worker) return;
    worker.ready.then((registration) => registration.active && registration.active.postMessage(message));
  };

  // Still waiting while the browser says it is online (a weak signal, a server error): ask again later,
  // less and less often. Background Sync, where the browser has it, also retries without this page.
  let retryMs = 3000;
  let retryTimer = null;
  const retryLater = (state) => {
    window.clearTimeout(retryTimer);
    if (state.count === 0 || state.signIn) {
      retryMs = 3000;
      return;
    }
    if (!navigator.onLine) return; // the "online" event asks
    retryTimer = window.setTimeout(() => tell({ type: "visit-queue-replay" }), retryMs);
    retryMs = Math.min(retryMs * 2, 60000);
  };

  if (worker) {
    worker.addEventListener("message", (event) => {
      const data = event.data || {};
      if (data.type === "visit-queue") {
        showQueue(data);
        retryLater(data);
      }
      if (data.type === "visit-cache-ready") form.dataset.offlineReady = "1";
    });
    worker
      .register(queueBox.dataset.workerUrl, { scope: "/" })
      .then(() => {
        const assets = Array.from(document.querySelectorAll("link[rel=stylesheet][href], script[src]")).map(
          (el) => el.href || el.src,
        );
        // Controlled already: this page and its files came through the worker, which kept them.
        tell({ type: "visit-cache", urls: worker.controller ? [] : [formPath, ...assets] });
        tell({ type: navigator.onLine ? "visit-queue-replay" : "visit-queue-status" });
      })
      .catch(() => {
        // No worker (private mode, an insecure origin): the form works as before, online.
      });
    window.addEventListener("online", () => tell({ type: "visit-queue-replay" }));
  }

  form.addEventListener("submit", (event) => {
    if (navigator.onLine || (worker && worker.controller)) return; // online, or the worker queues it
    event.preventDefault();
    writeLocal();
    say(form.dataset.msgOffline);
  });
})();
