// The desk's keyboard shortcuts and who-else-is-here, for browsers running scripts.
// Every page works without this file: the shortcuts only reach links, fields and
// forms the page already has, and the page says who was on the ticket when drawn.
(function () {
  "use strict";
  if (window.extdeskDesk) { return; }
  window.extdeskDesk = true;

  var help = document.getElementById("shortcuts");
  var queueRows = Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr"));
  var thread = Array.prototype.slice.call(document.querySelectorAll(".thread .thread-item"));
  var reply = document.getElementById("reply");
  var current = -1;

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return target.isContentEditable || tag === "textarea" || tag === "select" ||
      (tag === "input" && ["checkbox", "radio", "button", "submit"].indexOf(target.type) === -1);
  }

  // j / k: the queue's rows, or the ticket's messages.
  function move(step) {
    var items = queueRows.length ? queueRows : thread;
    if (!items.length) { return; }
    if (current >= 0 && items[current]) { items[current].classList.remove("is-selected"); }
    current = Math.max(0, Math.min(items.length - 1, current + step));
    var item = items[current];
    item.classList.add("is-selected");
    var link = item.querySelector("td.subject a");
    if (link) {
      link.focus();  // Enter opens it, as o does
    } else {
      item.setAttribute("tabindex", "-1");
      item.focus();
    }
    item.scrollIntoView({block: "nearest"});
  }

  function selectedRow() {
    return queueRows.length && current >= 0 ? queueRows[current] : null;
  }

  function open() {
    var row = selectedRow() || (document.activeElement && document.activeElement.closest &&
                                document.activeElement.closest("table.queue tbody tr"));
    var link = row && row.querySelector("td.subject a");
    if (link) { link.click(); }
  }

  // r / n: the reply box, in the mode asked for.
  function write(mode) {
    if (!reply) { return; }
    var radio = document.getElementById("mode-" + mode);
    if (radio) { radio.checked = true; }
    var box = reply.querySelector("textarea[name=body]");
    if (box) {
      box.focus();
      box.scrollIntoView({block: "center"});
    }
  }

  // a: the page's own "Assign to me" when it has one (posted by its form), else the
  // ticket's properties form with the assignee set to the agent.
  function assignToMe() {
    var row = selectedRow();
    if (queueRows.length) {
      var button = row && row.querySelector(".assign-me");
      if (button) { button.click(); }
      return;
    }
    var form = document.querySelector("form.assign-me");
    if (form) {
      form.requestSubmit ? form.requestSubmit() : form.submit();
      return;
    }
    var properties = document.getElementById("properties");
    var select = properties && properties.querySelector("select[name=assignee]");
    if (!select || !properties.dataset.me) { return; }
    if (select.value === properties.dataset.me) { return; }
    select.value = properties.dataset.me;
    var save = properties.querySelector("button[type=submit]");
    properties.requestSubmit ? properties.requestSubmit(save) : properties.submit();
  }

  function search() {
    var field = document.getElementById("id_q");
    if (!field) {
      if (help && help.dataset.queueUrl) { window.location.href = help.dataset.queueUrl + "#search"; }
      return;
    }
    var fold = document.getElementById("filters-shown");
    if (fold) { fold.checked = true; }  // on a phone the filters are folded away
    field.focus();
    field.select();
  }

  function showHelp() {
    if (help && !help.open && help.showModal) { help.showModal(); }
  }

  var keys = {j: function () { move(1); }, k: function () { move(-1); }, o: open,
              r: function () { write("reply"); }, n: function () { write("note"); },
              a: assignToMe, "/": search, "?": showHelp};

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (help && help.open) { return; }  // the dialog has the keyboard until closed
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var action = keys[event.key];
    if (!action) { return; }
    event.preventDefault();
    action();
  });

  if (window.location.hash === "#search") { search(); }
  // The shortcuts work here: the footer may say so.
  document.querySelectorAll(".shortcut-hint").forEach(function (hint) { hint.hidden = false; });

  // On a phone the navigation is one row that scrolls sideways (desk.css): the current page's link
  // is brought into the row's sight. Only the row scrolls, never the page (a #fragment keeps its place).
  var nav = document.querySelector(".main-nav");
  var here = nav && nav.querySelector("[aria-current=page]");
  if (here && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = here.offsetLeft - nav.offsetLeft - (nav.clientWidth - here.offsetWidth) / 2;
  }

  // ---------------------------------------------------------------- presence
  //
  // Every few seconds the ticket page says it is still open ("replying" while the
  // reply box holds a draft), hears who else is on the ticket, and learns the
  // ticket's version: a newer one than the page's means it changed meanwhile.

  var bar = document.getElementById("presence");
  if (!bar || !window.fetch || !window.FormData) { return; }
  var tokenField = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (!tokenField) { return; }
  var url = bar.dataset.url;
  var drawnVersion = parseInt(bar.dataset.version, 10);
  var every = (parseInt(bar.dataset.pollSeconds, 10) || 10) * 1000;
  var list = bar.querySelector(".presence");
  var stale = bar.querySelector(".stale-note");
  var box = reply && reply.querySelector("textarea[name=body]");
  var timer = null;
  var said = null;

  function activity() {
    return box && box.value.trim() ? "replying" : "viewing";
  }

  function form(fields) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", tokenField.value);
    Object.keys(fields).forEach(function (name) { data.append(name, fields[name]); });
    return data;
  }

  function show(answer) {
    if (!answer) { return; }
    list.textContent = "";
    answer.others.forEach(function (other) {
      var item = document.createElement("span");
      item.className = "present present-" + other.activity;
      item.textContent = other.text;
      list.appendChild(item);
    });
    if (stale && answer.version > drawnVersion) { stale.hidden = false; }
  }

  function poll() {
    clearTimeout(timer);
    said = activity();
    fetch(url, {method: "POST", body: form({activity: said}), credentials: "same-origin",
                headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(show)
      .catch(function () {})  // the next poll tries again
      .then(function () { timer = setTimeout(poll, every); });
  }

  if (box) {
    box.addEventListener("input", function () {
      if (activity() !== said) { poll(); }  // colleagues learn at once that a reply is being written
    });
  }
  // A closing tab says goodbye; one that cannot is forgotten within the horizon.
  window.addEventListener("pagehide", function () {
    clearTimeout(timer);
    if (navigator.sendBeacon) { navigator.sendBeacon(url, form({leave: "1"})); }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { poll(); }  // back from the browser's page cache
  });
  timer = setTimeout(poll, every);
})();
