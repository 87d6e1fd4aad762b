// Switchboard console: live rings on the Calls page, and the pages that
// wait for something running (a diagnosis, a sync run).
//
// Why plain JavaScript and not htmx (or any framework): the console is
// served from the binary with nothing fetched from elsewhere, htmx cannot
// be downloaded where this is built (no network, no CDN), and this is all
// the page needs: one EventSource whose events carry table rows that the
// server already rendered and escaped with html/template, inserted at the
// top of the table. No build chain, nothing to vendor.
(function () {
  "use strict";
  // Data quality and Sync: while a diagnosis or a sync runs, reload until
  // it is done (the server marks the page with data-autoreload).
  if (document.querySelector('[data-autoreload="true"]')) {
    window.setTimeout(function () { window.location.reload(); }, 2000);
  }
})();

(function () {
  "use strict";
  var live = document.getElementById("live");
  var rows = document.getElementById("ring-rows");
  if (!live || !rows || !window.EventSource) {
    if (live) { live.dataset.state = "off"; live.textContent = "Live updates: not supported by this browser (reload to refresh)."; }
    return;
  }
  var max = 500; // rows kept on the page
  function state(s, text) { live.dataset.state = s; live.textContent = "Live updates: " + text; }
  var source = new EventSource(live.dataset.events);
  source.onopen = function () { state("live", "on"); };
  source.onerror = function () {
    state(source.readyState === EventSource.CLOSED ? "offline" : "connecting", source.readyState === EventSource.CLOSED ? "off (reload the page)" : "reconnecting…");
  };
  source.addEventListener("ring", function (ev) {
    var msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (document.getElementById("ring-" + msg.id)) { return; } // already shown
    var t = document.createElement("template");
    t.innerHTML = msg.html.trim(); // rendered and escaped by the server
    var row = t.content.firstElementChild;
    if (!row) { return; }
    row.classList.add("new");
    rows.insertBefore(row, rows.firstElementChild);
    while (rows.children.length > max) { rows.removeChild(rows.lastElementChild); }
    var none = document.getElementById("no-rings");
    if (none) { none.remove(); }
    live.dataset.lastId = String(msg.id);
  });
  var skipped = 0;
  source.addEventListener("gap", function (ev) {
    var msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    skipped += (msg.left || 0) + (msg.lost || 0);
    var gap = document.getElementById("live-gap");
    if (!gap) { return; }
    gap.hidden = false;
    gap.querySelector("span").textContent = String(skipped);
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
