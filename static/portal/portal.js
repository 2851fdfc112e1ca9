// The portal's behaviour on every page, from this file because the Content-Security-Policy allows no
// inline script or handler:
// - a form with data-confirm="question" asks the question before it is sent;
// - a select with data-autosubmit sends its form when it changes;
// - on the submission form, "Add an author" adds a row to the authors' formset (from its empty row,
//   Django's __prefix__ replaced by the next index, TOTAL_FORMS raised), up to its MAX_NUM_FORMS.
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  var button = document.getElementById("add-author");
  if (!button) return;
  var prefix = button.dataset.prefix;
  var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
  var empty = button.closest("fieldset").querySelector("tr.empty-form");
  function refresh() { button.disabled = Number(total.value) >= Number(max.value); }
  button.addEventListener("click", function () {
    var index = Number(total.value);
    var row = empty.cloneNode(true);
    row.classList.remove("d-none", "empty-form");
    row.querySelectorAll("[name], [id], [for]").forEach(function (element) {
      ["name", "id", "for"].forEach(function (attribute) {
        var value = element.getAttribute(attribute);
        if (value) element.setAttribute(attribute, value.replace("__prefix__", index));
      });
    });
    empty.parentNode.appendChild(row);
    total.value = index + 1;
    refresh();
    var first = row.querySelector("input");
    if (first) first.focus();
  });
  refresh();
})();
