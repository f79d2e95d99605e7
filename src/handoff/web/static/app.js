// handoff web UI: the little behaviour the server cannot render.
// - <time data-local datetime="...Z"> shows the instant in the viewer's own time zone.
// - a field whose message (<span id="error-FIELD">) is non-empty is marked aria-invalid, also
//   when the live preview swaps new messages in.
// - <form data-confirm="..."> asks before submitting (removals, deletion).
// - a polled element with data-etag sends it as If-None-Match; the server's 304 means "as
//   shown", and nothing is swapped (a new version carries its own data-etag). When a swap does
//   happen, focus goes back to the control with the same label, so keyboard users keep their
//   place.
// - the flash message (#flash, a role="status" region) is set again after load, so screen
//   readers announce it.
// - a blank new-rotation form starts in the browser's own time zone.
(function () {
  "use strict";
  // The pages' one date format, as the server writes a rotation's wall clock (words.in_zone):
  // "Wed 09 Dec 2026 18:00 CET".
  const parts = new Intl.DateTimeFormat("en-GB", {
    weekday: "short", day: "2-digit", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });
  const format = {
    format(when) {
      const p = {};
      for (const part of parts.formatToParts(when)) p[part.type] = part.value;
      return `${p.weekday} ${p.day} ${p.month} ${p.year} ${p.hour}:${p.minute} ${p.timeZoneName}`;
    },
  };

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

  // Live updates: conditional polls, and focus kept across a swap.
  htmx.config.responseHandling = [{ code: "304", swap: false }, ...htmx.config.responseHandling];

  document.body.addEventListener("htmx:configRequest", function (event) {
    const etag = event.detail.elt.dataset.etag;
    if (etag) event.detail.headers["If-None-Match"] = etag;
  });

  // The focused control, by what names it: its label, its id, or a link's address.
  function selectorFor(el) {
    const label = el.getAttribute("aria-label");
    if (label) return `[aria-label="${CSS.escape(label)}"]`;
    if (el.id) return `#${CSS.escape(el.id)}`;
    const href = el.getAttribute("href");
    return href ? `a[href="${CSS.escape(href)}"]` : null;
  }

  let refocus = null;
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const active = document.activeElement;
    refocus = active && active !== document.body && event.detail.target.contains(active)
      ? selectorFor(active) : null;
  });

  document.body.addEventListener("htmx:afterSwap", function () {
    if (!refocus) return;
    const again = document.querySelector(refocus);
    refocus = null;
    if (again && document.activeElement !== again) again.focus({ preventScroll: true });
  });

  // The flash message: set again once the page is ready, so it is announced.
  const flash = document.getElementById("flash");
  if (flash && flash.textContent.trim()) {
    const message = flash.textContent;
    flash.textContent = "";
    setTimeout(function () { flash.textContent = message; }, 100);
  }

  // A blank new-rotation form: the browser's zone, and the suggested start on its wall clock.
  // After DOMContentLoaded, when htmx listens for the change that refreshes the preview.
  document.addEventListener("DOMContentLoaded", function () {
    const zone = document.querySelector("#time_zone[data-browser-zone]");
    const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || !browserZone) return;
    const start = document.getElementById("start");
    const when = new Date(zone.dataset.startUtc);
    if (start && !Number.isNaN(when.getTime())) {
      const pad = (n) => String(n).padStart(2, "0");
      start.value = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}` +
        `T${pad(when.getHours())}:${pad(when.getMinutes())}`;
    }
    zone.value = browserZone;
    zone.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
