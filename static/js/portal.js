// Nuanxin's own script: behaviour hooked by data attributes, never inline handlers (CSP).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.dataset.autosubmit !== undefined && el.form) {
    el.form.requestSubmit();
  }
});

// Signing out clears what this portal kept in the browser: a shared phone must not show the next person a
// family's details. Except a home-visit draft the server has not confirmed (visit-form.js notes `sentAt`):
// it may be the only copy of notes typed without signal, so it stays until the visit form sends it. The
// server's sign-out answer clears the HTTP cache (Clear-Site-Data: "cache"), not storage, for this reason
// (portal/middleware_cache.py).
const unsentVisitDraft = (storage, key) => {
  if (!key.startsWith("nuanxin:visit-draft:")) return false;
  try {
    const copy = JSON.parse(storage.getItem(key) || "null");
    return Boolean(copy) && Number(copy.sentAt || 0) < Number(copy.savedAt || 0);
  } catch (error) {
    return false;
  }
};

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.clearLocalData === undefined) {
    return;
  }
  try {
    const storage = window.localStorage;
    Object.keys(storage)
      .filter((key) => key.startsWith("nuanxin:") && !unsentVisitDraft(storage, key))
      .forEach((key) => storage.removeItem(key));
  } catch (error) {
    // Storage unavailable (private mode): nothing was kept.
  }
});

// Tables marked `table-stack` become cards on a phone (portal.css): each cell is captioned by its column's
// heading. Copy the headings into data-label once per table, also for tables htmx swaps in.
const captionStackedTables = (root) => {
  root.querySelectorAll("table.table-stack").forEach((table) => {
    const headings = [...table.querySelectorAll(":scope > thead > tr:last-child > th")].map((th) =>
      th.textContent.trim(),
    );
    table.querySelectorAll(":scope > tbody > tr").forEach((row) => {
      let column = 0;
      [...row.children].forEach((cell) => {
        if (!cell.hasAttribute("data-label") && cell.colSpan === 1) {
          cell.setAttribute("data-label", headings[column] || "");
        }
        column += cell.colSpan || 1;
      });
    });
  });
};
document.addEventListener("DOMContentLoaded", () => captionStackedTables(document));
document.addEventListener("htmx:afterSwap", () => captionStackedTables(document));

// A table that still scrolls sideways in its box (.table-responsive) must be reachable by keyboard: make the
// box focusable when, and only when, it actually scrolls.
const focusableScrollBoxes = () => {
  document.querySelectorAll(".table-responsive").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute("tabindex", "0");
    } else if (box.getAttribute("tabindex") === "0") {
      box.removeAttribute("tabindex");
    }
  });
};
document.addEventListener("DOMContentLoaded", focusableScrollBoxes);
document.addEventListener("htmx:afterSwap", focusableScrollBoxes);
window.addEventListener("resize", focusableScrollBoxes);
