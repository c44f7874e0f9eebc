// Nuanxin's own script: behaviour hooked by data attributes, never inline handlers (CSP).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.dataset.autosubmit !== undefined && el.form) {
    el.form.requestSubmit();
  }
});

// Signing out clears what this portal kept in the browser (e.g. home-visit drafts, which are also
// saved on the server): a shared phone must not show the next person a family's details.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.clearLocalData === undefined) {
    return;
  }
  try {
    const storage = window.localStorage;
    Object.keys(storage)
      .filter((key) => key.startsWith("nuanxin:"))
      .forEach((key) => storage.removeItem(key));
  } catch (error) {
    // Storage unavailable (private mode): nothing was kept.
  }
});
