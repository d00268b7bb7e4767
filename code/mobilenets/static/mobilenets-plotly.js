// Draws the page's Plotly figures from their JSON specs with the site's own plotly.js
// (written by mobilenets.booktools; deferred scripts run before DOMContentLoaded). No logo link and
// no "share to Plotly Cloud" button: nothing on the page sends a figure off the site.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("div.mobilenets-plotly")) {
    const spec = JSON.parse(box.querySelector('script[type="application/json"]').textContent);
    const config = Object.assign({ responsive: true, displaylogo: false, showSendToCloud: false }, spec.config || {});
    Plotly.newPlot(box, spec.data || [], spec.layout || {}, config);
  }
});
