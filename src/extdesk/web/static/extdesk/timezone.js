// Tell the server the browser's time zone when the page was drawn in another one, so the
// next pages show times the way the reader's clock does. The element with
// data-time-zone names the zone of this page, the URL to post to and the CSRF token.
// Sent once per zone and browser session: a zone the server refuses is not retried on
// every page.
(function () {
  "use strict";
  var note = document.querySelector("[data-time-zone][data-time-zone-url]");
  if (!note || !window.Intl || !window.fetch) { return; }
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || zone === note.getAttribute("data-time-zone")) { return; }
  var sentKey = "extdesk-time-zone-sent";
  try {
    if (window.sessionStorage.getItem(sentKey) === zone) { return; }
    window.sessionStorage.setItem(sentKey, zone);
  } catch (e) { /* storage refused (private mode): post anyway */ }
  var body = new URLSearchParams();
  body.set("time_zone", zone);
  window.fetch(note.getAttribute("data-time-zone-url"), {
    method: "POST",
    credentials: "same-origin",
    headers: {"X-CSRFToken": note.getAttribute("data-csrf-token") || ""},
    body: body
  }).catch(function () { /* offline: the page keeps the zone it was drawn in */ });
})();
