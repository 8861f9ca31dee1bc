// Audit dashboard: draw the embedded plotly figures, filter by unit, recompute.
(function () {
  "use strict";

  function drawCharts() {
    if (!window.Plotly) return;
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var data = document.getElementById(el.id + "-data");
      if (!data) return;
      var fig = JSON.parse(data.textContent);
      window.Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false })
        .then(function () { el.setAttribute("data-rendered", "1"); });
    });
  }

  function wireUnitSelect() {
    var select = document.getElementById("unit-select");
    if (select) select.addEventListener("change", function () { select.form.submit(); });
  }

  function wireRecompute() {
    var form = document.getElementById("recompute-form");
    if (!form) return;
    var status = document.getElementById("recompute-status");
    var button = form.querySelector("button");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

    function fail() {
      status.textContent = status.dataset.failed;
      button.disabled = false;
    }

    function poll(url) {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
        .then(function (job) {
          if (job.status === "done") window.location.reload();
          else if (job.status === "failed") fail();
          else window.setTimeout(function () { poll(url); }, 1000);
        })
        .catch(fail);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      status.textContent = status.dataset.working;
      fetch(form.action, {
        method: "POST",
        headers: { "X-CSRFToken": token, Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
        .then(function (job) {
          poll(form.dataset.taskUrl.replace(form.dataset.taskPlaceholder, job.task_id));
        })
        .catch(fail);
    });
  }

  drawCharts();
  wireUnitSelect();
  wireRecompute();
})();
