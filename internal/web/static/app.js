// cmkguard dashboard: a small progressive enhancement. Every page works
// without it; with it, changing a filter submits the filter form at once.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => {
        const page = form.querySelector("input[name=page]");
        if (page) page.remove();
        form.requestSubmit();
      });
    }
  }
});
