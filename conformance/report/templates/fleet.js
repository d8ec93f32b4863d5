// The fleet matrix's sorting and filtering (conformance.html, fleet runs only). Inline, allowed
// by its hash in the page's Content-Security-Policy; without it the matrix is a plain table.
(function () {
  "use strict";
  var table = document.getElementById("fleet-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("fleet-filter");
  var only = document.getElementById("fleet-only-problems");
  var entity = document.getElementById("fleet-entity");
  var shown = document.getElementById("fleet-shown");
  var order = { column: null, descending: false };

  function matches(row) {
    var query = text.value.trim().toLowerCase();
    if (query && row.getAttribute("data-account").toLowerCase().indexOf(query) < 0) {
      return false;
    }
    if (only.checked && row.getAttribute("data-problems") === "0") { return false; }
    if (entity.value) {
      var cell = row.querySelector('td[data-entity="' + CSS.escape(entity.value) + '"]');
      if (!cell || cell.getAttribute("data-state") !== "failed") { return false; }
    }
    return true;
  }

  function filter() {
    var count = 0;
    rows.forEach(function (row) {
      row.hidden = !matches(row);
      if (!row.hidden) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " accounts shown";
  }

  // Worst first when ascending: a failed cell by its number of problems, then passed, then
  // not checked; ties by account name.
  function key(row, column) {
    if (column === "account") { return row.getAttribute("data-account"); }
    if (column === "problems") { return -Number(row.getAttribute("data-problems")); }
    return Number(row.cells[Number(column)].getAttribute("data-sort"));
  }

  function sortBy(column, button) {
    order.descending = order.column === column ? !order.descending : false;
    order.column = column;
    var sign = order.descending ? -1 : 1;
    rows.sort(function (a, b) {
      var x = key(a, column), y = key(b, column);
      if (x < y) { return -sign; }
      if (x > y) { return sign; }
      return a.getAttribute("data-account") < b.getAttribute("data-account") ? -1 : 1;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[aria-sort]").forEach(function (th) {
      th.setAttribute("aria-sort", "none");
    });
    button.parentNode.setAttribute("aria-sort", order.descending ? "descending" : "ascending");
  }

  table.querySelectorAll("button[data-sort]").forEach(function (button) {
    button.addEventListener("click", function () {
      sortBy(button.getAttribute("data-sort"), button);
    });
  });
  [text, only, entity].forEach(function (control) {
    control.addEventListener("input", filter);
    control.addEventListener("change", filter);
  });
  document.getElementById("fleet-controls").hidden = false;
  filter();
}());
