// The agents' tools, for browsers running scripts: every one of them also works without.
(function () {
  "use strict";
  if (window.extdeskTools) { return; }  // a page may include two parts that load this file
  window.extdeskTools = true;

  // Canned replies: the text goes in at the cursor instead of the page being drawn again,
  // and the list narrows to the names typed in "find" as they are typed.
  document.querySelectorAll(".canned-picker").forEach(function (picker) {
    var form = picker.closest("form");
    var box = form && form.querySelector("textarea[name=body]");
    var select = picker.querySelector("select[name=canned]");
    var find = picker.querySelector("input[name=canned_q]");
    var insert = picker.querySelector("[data-canned-insert]");
    if (!box) { return; }
    // Choosing a reply moves the focus out of the box: where its cursor was is kept here.
    var start = box.value.length, end = start;
    var remember = function () { start = box.selectionStart; end = box.selectionEnd; };
    ["keyup", "click", "select", "blur"].forEach(function (name) { box.addEventListener(name, remember); });

    if (select && insert) {
      insert.addEventListener("click", function (event) {
        var option = select.selectedOptions[0];
        if (!option || !option.dataset.url) { return; }
        event.preventDefault();
        fetch(option.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
          .then(function (response) {
            if (!response.ok) { throw new Error("HTTP " + response.status); }
            return response.json();
          })
          .then(function (data) {
            box.focus();
            box.setRangeText(data.text, start, end, "end");
            start = end = box.selectionEnd;
            box.dispatchEvent(new Event("input", {bubbles: true}));
          })
          .catch(function () { form.requestSubmit(insert); });  // the page inserts it, then
      });
    }
    if (find && select) {
      find.addEventListener("input", function () {
        var wanted = find.value.trim().toLowerCase();
        var first = null;
        select.querySelectorAll("option").forEach(function (option) {
          var shown = option.textContent.toLowerCase().indexOf(wanted) !== -1;
          option.hidden = !shown;
          if (shown && !first) { first = option; }
        });
        select.querySelectorAll("optgroup").forEach(function (group) {
          group.hidden = !group.querySelector("option:not([hidden])");
        });
        if (select.selectedOptions[0] && select.selectedOptions[0].hidden && first) { first.selected = true; }
      });
      // The list narrows as one types: Enter would only draw the page again.
      find.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }
      });
    }
  });

  // The queue: a box in the heading ticks every row of the page.
  document.querySelectorAll("table.queue th.select").forEach(function (heading) {
    var rows = heading.closest("table").querySelectorAll("td.select input[type=checkbox]");
    var all = document.createElement("input");
    all.type = "checkbox";
    all.setAttribute("aria-label", "Select every ticket on this page");
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
    });
    heading.appendChild(all);
  });
})();
