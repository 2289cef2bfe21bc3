// Choosing an agency shows its findings at once. A static script, not an inline handler: the
// Content-Security-Policy allows scripts from 'self' only. Without JavaScript the form's button does it.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-submit-on-change]")) {
    select.addEventListener("change", () => select.form.submit());
  }
});
