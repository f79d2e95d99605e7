// handoff web UI: the little behaviour the server cannot render.
// - <time data-local datetime="...Z"> shows the instant in the viewer's own time zone.
// - a field whose message (<span id="error-FIELD">) is non-empty is marked aria-invalid, also
//   when the live preview swaps new messages in.
// - <form data-confirm="..."> asks before submitting (removals, deletion).
(function () {
  "use strict";
  const format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });

  function localise(root) {
    const found = root.querySelectorAll ? root.querySelectorAll("time[data-local]") : [];
    const all = root.matches && root.matches("time[data-local]") ? [root, ...found] : found;
    for (const el of all) {
      const when = new Date(el.getAttribute("datetime"));
      if (!Number.isNaN(when.getTime())) {
        el.textContent = format.format(when);
      }
    }
  }

  function markInvalid() {
    for (const message of document.querySelectorAll(".field-error[id^='error-']")) {
      const field = document.getElementById(message.id.slice("error-".length));
      if (!field) continue;
      if (message.textContent.trim()) {
        field.setAttribute("aria-invalid", "true");
      } else {
        field.removeAttribute("aria-invalid");
      }
    }
  }

  htmx.onLoad(function (root) {
    localise(root);
    markInvalid();
  });

  document.addEventListener("submit", function (event) {
    const question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
