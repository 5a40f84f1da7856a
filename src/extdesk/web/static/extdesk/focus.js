// A refused form comes back at its #anchor (the form) with autofocus on the field to mend.
// Browsers skip autofocus when the address names an element (HTML's "flush autofocus
// candidates"), and moving to that element takes the focus away, so the field is focused
// here once the page has moved there; without scripts the page still opens at the form.
(function () {
  "use strict";
  window.addEventListener("load", function () {
    var field = document.querySelector("[autofocus]");
    if (!field || !window.location.hash || document.activeElement === field) { return; }
    field.focus({preventScroll: true});  // the form's anchor already placed the page
    if (field.getBoundingClientRect().bottom > window.innerHeight) { field.scrollIntoView({block: "center"}); }
  });
})();
