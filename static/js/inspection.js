// Delivery evidence pages: choosing a unit or a scorecard reloads the page with it,
// and the inspection checklist keeps a running total of the points deducted.
// The pages work without this file (the forms have their own buttons).
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.value) select.form.submit();
    });
  });

  var checklist = document.getElementById("checklist");
  var output = document.getElementById("deduction-total");
  if (!checklist || !output) return;
  var boxes = checklist.querySelectorAll("input[type=checkbox][data-deduction]");

  function update() {
    var total = 0;
    boxes.forEach(function (box) {
      if (box.checked) total += parseInt(box.dataset.deduction, 10) || 0;
      var row = box.closest("tr");
      if (row) row.classList.toggle("failed", box.checked);
    });
    output.textContent = String(total);
  }

  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
})();
