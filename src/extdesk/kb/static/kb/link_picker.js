// The desk's article-link picker, for browsers running scripts: without, its buttons post the form.
(function () {
  "use strict";
  document.querySelectorAll(".kb-link-picker").forEach(function (picker) {
    var form = picker.closest("form");
    var box = form && form.querySelector("textarea[name=body]");
    var find = picker.querySelector("input[name=kb_q]");
    var choose = picker.querySelector("[data-kb-link-list]");
    var select = picker.querySelector("select[name=kb_article]");
    var insert = picker.querySelector("[data-kb-link-insert]");
    var none = picker.querySelector("[data-kb-link-none]");
    if (!box || !find || !select || !insert) { return; }
    // Choosing an article moves the focus out of the box: where its cursor was is kept here.
    var start = box.value.length, end = start;
    var remember = function () { start = box.selectionStart; end = box.selectionEnd; };
    ["keyup", "click", "select", "blur"].forEach(function (name) { box.addEventListener(name, remember); });

    var latest = 0;
    var search = function () {
      var asked = ++latest;
      var url = picker.dataset.searchUrl + "?q=" + encodeURIComponent(find.value.trim());
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (data) {
          if (asked !== latest) { return; }  // an earlier answer arriving late
          select.replaceChildren();
          data.articles.forEach(function (article) {
            var option = document.createElement("option");
            option.value = article.id;
            option.dataset.text = article.text;
            option.textContent = article.title + " (" + article.language +
              (article.visibility === "Everyone" ? "" : ", " + article.visibility) + ")";
            select.appendChild(option);
          });
          choose.hidden = data.articles.length === 0;
          none.hidden = data.articles.length !== 0;
          none.textContent = "No published article has a title like “" + find.value.trim() + "”.";
        })
        .catch(function () { /* the Find button still posts the form */ });
    };
    var timer = null;
    find.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    find.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); search(); }
    });
    insert.addEventListener("click", function (event) {
      var option = select.selectedOptions[0];
      if (!option || !option.dataset.text) { return; }  // a list the page drew: the button posts
      event.preventDefault();
      box.focus();
      box.setRangeText(option.dataset.text, start, end, "end");
      start = end = box.selectionEnd;
      box.dispatchEvent(new Event("input", {bubbles: true}));
    });
  });
})();
