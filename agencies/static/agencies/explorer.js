// The explorer's few conveniences; every page works without them. A static file, not inline code:
// the Content-Security-Policy allows scripts from 'self' only.
document.addEventListener("DOMContentLoaded", () => {
  // Sort and page size apply at once.
  for (const select of document.querySelectorAll("select[data-submit-on-change]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  // On a phone the filters fold away above the results (the chips say which are in use); they open
  // with a tap. Without this script they stay open.
  for (const panel of document.querySelectorAll("details[data-fold-on-phones]")) {
    if (window.matchMedia("(max-width: 900px)").matches) panel.open = false;
  }
  // An empty field is not sent, so that the address (and the briefing's scope) says only what is chosen.
  const form = document.getElementById("claim-filter");
  if (form) {
    form.addEventListener("submit", () => {
      for (const field of form.querySelectorAll("input[name], select[name]")) {
        const empty = (field.type === "text" || field.type === "search" || field.tagName === "SELECT") && !field.value;
        if (empty || (field.dataset.default !== undefined && field.value === field.dataset.default)) {
          field.disabled = true;
        }
      }
      setTimeout(() => {
        for (const field of form.querySelectorAll("[disabled]")) field.disabled = false;
      }, 0);
    });
  }
});
