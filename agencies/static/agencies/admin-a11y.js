// The admin's autocomplete fields (select2) name their combobox after the selected value only, so
// an empty one has no name at all for a screen reader. Each is named after its field's label too,
// including those an inline's "Add another" creates later. A static file: the CSP allows 'self' only.
(() => {
  const named = new WeakSet();
  const name = (selection) => {
    if (named.has(selection)) return;
    const container = selection.closest(".select2-container");
    const select = container && container.previousElementSibling;
    if (!select || select.tagName !== "SELECT" || !select.id) return;
    const label = document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
    if (!label) return;
    label.id ||= `${select.id}-label`;
    const text = label.textContent.trim().replace(/:$/, "");
    if (selection.classList.contains("select2-selection--multiple")) {
      // Several choices: the typing box inside is the control, and select2 makes it anew each time.
      selection.setAttribute("aria-labelledby", label.id);
      return;
    }
    const rendered = selection.querySelector(".select2-selection__rendered");
    const ids = [label.id, rendered && rendered.id].filter(Boolean).join(" ");
    selection.setAttribute("aria-labelledby", ids);
    if (rendered) rendered.setAttribute("aria-label", text);
    named.add(selection);
  };
  const nameSearch = (field) => {
    const container = field.closest(".select2-container");
    const select = container && container.previousElementSibling;
    const label = select && select.id && document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
    field.setAttribute("aria-label", label ? `Search: ${label.textContent.trim().replace(/:$/, "")}` : "Search");
  };
  const nameAll = (root) => {
    for (const selection of root.querySelectorAll(".select2-selection[role='combobox']")) name(selection);
    for (const field of root.querySelectorAll(".select2-search__field:not([aria-label])")) nameSearch(field);
    // "Clear all" is a mouse shortcut select2 puts inside the list of choices; the keyboard removes
    // choices one by one. Hidden from screen readers, the list holds list items only.
    const clears = root.querySelectorAll("ul.select2-selection__rendered > .select2-selection__clear");
    for (const clear of clears) clear.setAttribute("aria-hidden", "true");
  };
  document.addEventListener("DOMContentLoaded", () => {
    nameAll(document);
    new MutationObserver((changes) => {
      for (const change of changes) {
        for (const node of change.addedNodes) if (node.nodeType === 1) nameAll(node.parentNode || node);
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
