// The report form: show the "another student" fields only when they apply, and a call-first hint when
// someone is in danger. Without JavaScript every field simply stays visible.
(() => {
  const form = document.querySelector("[data-report-form]");
  if (!form) return;
  const other = form.querySelector("[data-about-other]");
  const danger = form.querySelector("[data-in-danger]");
  const hint = form.querySelector("[data-in-danger-hint]");

  const sync = () => {
    const about = form.querySelector("[data-about]:checked");
    if (other) other.classList.toggle("d-none", about !== null && about.value === "me");
    if (danger && hint) hint.classList.toggle("d-none", !danger.checked);
  };
  form.addEventListener("change", (event) => {
    if (event.target.matches("[data-about], [data-in-danger]")) sync();
  });
  sync();
})();
