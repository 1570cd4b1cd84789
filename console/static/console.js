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

  // Sound: a short two-tone beep made by WebAudio (no file, no download) when an
  // alert nobody has acknowledged arrives. Off until the manager ticks the box,
  // which is also the click browsers want before they let a page make sound.
  var soundBox = document.getElementById("sound-on");
  var audio = null;
  var soundKey = "lobbyq-console-sound";
  function beep() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    audio = audio || new Ctx();
    var t = audio.currentTime;
    [880, 660].forEach(function (freq, i) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.2);
      gain.gain.exponentialRampToValueAtTime(0.3, t + i * 0.2 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.2 + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.2);
      osc.stop(t + i * 0.2 + 0.2);
    });
  }
  if (soundBox) {
    try { soundBox.checked = window.localStorage.getItem(soundKey) === "1"; } catch (err) { /* private mode */ }
    soundBox.addEventListener("change", function () {
      try { window.localStorage.setItem(soundKey, soundBox.checked ? "1" : "0"); } catch (err) { /* ignore */ }
      if (soundBox.checked) { beep(); }
    });
  }
  function newestAlert() {
    var el = document.getElementById("p-alerts");
    return el ? el.dataset.newest || "" : "";
  }
  var lastAlert = newestAlert();
  function alertsChanged() {
    var now = newestAlert();
    if (now && now !== lastAlert) {
      body.dataset.alerted = String(Number(body.dataset.alerted || 0) + 1);
      if (soundBox && soundBox.checked) { beep(); }
    }
    lastAlert = now;
  }

  // A panel is redrawn whole when the branch changes; what the manager was
  // typing or choosing in it (and the focus) survives the redraw.
  function fieldKey(f) {
    return (f.form ? f.form.getAttribute("action") : "") + "|" + f.name;
  }
  function typed(el) {
    var kept = [];
    var fields = el.querySelectorAll("input:not([type=hidden]):not([type=checkbox]), select, textarea");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i], changed;
      if (f.tagName === "SELECT") {
        var opt = f.options[f.selectedIndex];
        changed = !!opt && !opt.defaultSelected && f.selectedIndex !== 0;
      } else {
        changed = f.value !== f.defaultValue;
      }
      var focused = f === document.activeElement;
      if (changed || focused) {
        kept.push({ key: fieldKey(f), value: f.value, focused: focused,
                    start: focused ? f.selectionStart : null, end: focused ? f.selectionEnd : null });
      }
    }
    return kept;
  }
  function restore(el, kept) {
    if (!el || !kept.length) { return; }
    var fields = el.querySelectorAll("input, select, textarea");
    kept.forEach(function (k) {
      for (var i = 0; i < fields.length; i++) {
        var f = fields[i];
        if (fieldKey(f) !== k.key) { continue; }
        f.value = k.value;
        if (k.focused) {
          f.focus();
          try { if (k.start !== null) { f.setSelectionRange(k.start, k.end); } } catch (err) { /* not a text field */ }
        }
        break;
      }
    });
  }

  if (window.EventSource && document.getElementById("p-engine")) {
    var source = new EventSource("/events");
    source.addEventListener("open", function () { body.dataset.live = "1"; });
    source.addEventListener("error", function () { body.dataset.live = "0"; });
    source.addEventListener("panel", function (e) {
      var msg = JSON.parse(e.data);
      offset = msg.now * 1000 - Date.now();
      var el = document.getElementById(msg.id);
      if (el) {
        var kept = typed(el);
        el.outerHTML = msg.html;
        restore(document.getElementById(msg.id), kept);
      }
      if (msg.id === "p-alerts") { alertsChanged(); }
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
    var target = (button && button.getAttribute("formaction")) || form.getAttribute("action");
    fetch(target, {
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
