// cmkguard dashboard: a small progressive enhancement. Every page works
// without it; with it, changing a filter submits the filter form at once,
// and empty filters stay out of the address.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    form.addEventListener("submit", () => {
      for (const field of form.querySelectorAll("select, input")) {
        if (field.name && field.value === "") field.disabled = true;
      }
    });
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }
});
