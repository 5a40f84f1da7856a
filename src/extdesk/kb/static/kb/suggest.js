// The new-ticket form's knowledge-base suggestions: while the subject is typed, ask
// /kb/search/suggestions/ (after a pause in typing) and list the articles that may answer it.
// Everything inserted is text (textContent), never markup. Without this script the form works as is.
(function () {
  "use strict";
  var box = document.getElementById("kb-suggestions");
  var subject = document.getElementById("id_subject");
  if (!box || !subject || !window.fetch) {
    return;
  }
  var list = box.querySelector("ul");
  var endpoint = box.getAttribute("data-url");
  var minChars = parseInt(box.getAttribute("data-min-chars"), 10) || 3;
  var timer = null;
  var asked = "";
  var pending = null;

  function show(articles) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    articles.forEach(function (article) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = article.url;
      link.textContent = article.title;
      // A new tab keeps what the customer has typed into the form.
      link.target = "_blank";
      link.rel = "noopener";
      var category = document.createElement("span");
      category.className = "muted small";
      category.textContent = " · " + article.category;
      item.appendChild(link);
      item.appendChild(category);
      list.appendChild(item);
    });
    box.hidden = articles.length === 0;
  }

  function lookUp() {
    var text = subject.value.trim();
    if (text === asked) {
      return;
    }
    asked = text;
    if (pending) {
      pending.abort();
      pending = null;
    }
    if (text.length < minChars) {
      show([]);
      return;
    }
    pending = new AbortController();
    fetch(endpoint + "?q=" + encodeURIComponent(text), {
      credentials: "same-origin", headers: {"Accept": "application/json"}, signal: pending.signal
    }).then(function (response) {
      return response.ok ? response.json() : {articles: []};
    }).then(function (data) {
      show(data.articles || []);
    }).catch(function (error) {
      if (error.name !== "AbortError") {
        show([]);
      }
    });
  }

  subject.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 300);
  });
  lookUp();
})();
