// The calendar page is drawn on the server in the viewer's time zone: until the address names
// one (?tz=), ask again with the browser's, replacing the history entry so Back still works.
(function () {
  "use strict";
  const url = new URL(window.location.href);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && !url.searchParams.has("tz")) {
    url.searchParams.set("tz", zone);
    window.location.replace(url.toString());
  }
})();
