// lobbyq console: live panels over server-sent events, actions posted without a page load.
// The page works without this file; it only keeps the page current.
(function () {
  "use strict";
  var body = document.body;
  var offset = Number(body.dataset.now || 0) * 1000 - Date.now();

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function dur(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
  }
  function tick() {
    var now = (Date.now() + offset) / 1000;
    var els = document.querySelectorAll("[data-since]");
    for (var i = 0; i < els.length; i++) {
      els[i].textContent = dur(now - Number(els[i].dataset.since));
    }
  }
  setInterval(tick, 1000);

  function show(message, ok) {
    var out = document.getElementById("result");
    if (!out) { return; }
    out.textContent = message;
    out.className = ok ? "ok" : "error";
    out.hidden = false;
  }

  if (window.EventSource && document.getElementById("p-engine")) {
    var source = new EventSource("/events");
    source.addEventListener("panel", function (e) {
      var msg = JSON.parse(e.data);
      offset = msg.now * 1000 - Date.now();
      var el = document.getElementById(msg.id);
      if (el) { el.outerHTML = msg.html; }
      tick();
    });
    source.addEventListener("expired", function () {
      source.close();
      window.location.assign("/login?expired=1");
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-action")) { return; }
    e.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    var button = e.submitter;
    if (button && button.name) { data.append(button.name, button.value); }
    if (button) { button.disabled = true; }
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (j) { show(j.message, j.ok); });
    }).catch(function () {
      show(body.dataset.neterr, false);
    }).then(function () {
      if (button && document.body.contains(button)) { button.disabled = false; }
    });
  });
})();
