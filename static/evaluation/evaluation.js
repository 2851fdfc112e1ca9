// The submission page's evaluation panel: draws the Plotly figures embedded as JSON, and while
// runs are queued or running polls their progress, updating the bars without a reload; when the
// last run finishes the page reloads once to show the plots.
(function () {
  "use strict";
  // the bars' widths, from data-width (the Content-Security-Policy refuses style attributes)
  document.querySelectorAll("#evaluation .progress-bar[data-width]").forEach(function (bar) {
    bar.style.width = bar.dataset.width + "%";
  });
  var shared = document.getElementById("plotly-template");  // one template for every figure of the page
  var template = shared ? JSON.parse(shared.textContent) : null;
  document.querySelectorAll("#evaluation .plot").forEach(function (target) {
    var spec = target.nextElementSibling;
    if (!spec || spec.type !== "application/json") return;
    var figure = JSON.parse(spec.textContent);
    if (template) figure.layout.template = template;
    Plotly.newPlot(target, figure.data, figure.layout, {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendChartToCloud"]});
  });

  var panel = document.getElementById("evaluation");
  if (!panel || !panel.dataset.unfinished) return;

  function update(run) {
    var row = panel.querySelector('#evaluation-progress tr[data-model="' + CSS.escape(run.model) + '"]');
    if (!row) return;
    var share = run.total ? Math.min(100, 100 * run.done / run.total) : 0;
    var bar = row.querySelector(".progress-bar");
    bar.style.width = share.toFixed(1) + "%";
    bar.classList.toggle("bg-success", run.status === "done");
    bar.classList.toggle("bg-danger", run.status === "failed");
    bar.classList.toggle("bg-secondary", run.status === "cancelled");
    var loading = run.phase === "loading model";  // the worker is loading the model: no example scored yet
    bar.classList.toggle("progress-bar-striped", loading);
    bar.classList.toggle("progress-bar-animated", loading);
    row.querySelector(".progress").setAttribute("aria-valuenow", run.done);
    row.querySelector(".counts").textContent = run.done + " / " + run.total + " examples";
    row.querySelector(".phase").textContent = run.phase || "";
    row.querySelector(".status").firstChild.textContent = run.status;
  }

  function poll() {
    fetch(panel.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (body) {
        body.runs.forEach(update);
        var busy = body.runs.some(function (run) { return run.status === "queued" || run.status === "running"; });
        if (busy) { window.setTimeout(poll, 2000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
