/**
 * The report page's own script, inlined after the chart library: sorts a table when a column header is
 * clicked (no library), and draws the charts from the JSON the page embeds (`#report-data`). Plain ES2017 so
 * that any browser of the last years runs it from file://, with no network. Data reaches the page only as that
 * JSON and as text nodes: the script never builds HTML from it.
 */
export const PAGE_SCRIPT = `(function () {
  'use strict';

  // ---- sortable tables: click a header to sort by it, again to reverse ----
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return { num: null, text: '' };
    var v = cell.getAttribute('data-value');
    if (v !== null) return { num: v === '' ? null : Number(v), text: cell.textContent };
    return { num: undefined, text: cell.textContent };
  }
  function sortBy(table, index, button) {
    var body = table.tBodies[0];
    if (!body) return;
    var th = button.parentNode;
    var numeric = th.getAttribute('data-type') === 'number';
    var current = th.getAttribute('aria-sort');
    // First click: numbers largest first, text A to Z; every next click reverses.
    var descending = current ? current === 'ascending' : numeric;
    var keyed = Array.prototype.map.call(body.rows, function (row, i) {
      return { row: row, value: cellValue(row, index), i: i };
    });
    keyed.sort(function (x, y) {
      var a = x.value;
      var b = y.value;
      var c;
      if (numeric) {
        // Missing values (–) go last whichever the direction.
        if (a.num === null || b.num === null) {
          if (a.num === b.num) return x.i - y.i;
          return a.num === null ? 1 : -1;
        }
        c = a.num - b.num;
      } else {
        c = a.text.localeCompare(b.text, 'en');
      }
      if (descending) c = -c;
      return c !== 0 ? c : x.i - y.i;
    });
    keyed.forEach(function (k) { body.appendChild(k.row); });
    Array.prototype.forEach.call(table.querySelectorAll('thead th'), function (h) {
      h.removeAttribute('aria-sort');
    });
    th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.querySelectorAll('thead th button'), function (button) {
      button.addEventListener('click', function () {
        sortBy(table, button.parentNode.cellIndex, button);
      });
    });
  });

  // ---- charts ----
  var data = JSON.parse(document.getElementById('report-data').textContent);
  if (typeof Chart === 'undefined') {
    document.body.setAttribute('data-charts', 'missing');
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = '#333';

  function pct(v, digits) {
    if (v === null || v === undefined) return '–';
    var p = v * 100;
    var d = digits !== undefined ? digits : (Math.abs(p) < 1 ? 2 : 1);
    return p.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) + '%';
  }
  function count(v) { return Math.round(v).toLocaleString('en-US'); }
  function label(start) {
    return data.granularity === 'hour' ? start.slice(5, 10) + ' ' + start.slice(11, 13) + ':00' : start.slice(0, 10);
  }
  var labels = data.series.map(function (p) { return label(p.start); });
  var charts = [];

  function make(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    charts.push(new Chart(canvas, config));
  }
  function percentAxis(suggestedMax) {
    return {
      beginAtZero: true,
      suggestedMax: suggestedMax,
      ticks: { callback: function (v) { return v === 0 ? '0%' : pct(v, Math.abs(v * 100) < 1 ? 2 : 0); } },
    };
  }
  function line(labelText, values, color, dashed) {
    return {
      label: labelText,
      data: values,
      borderColor: color,
      backgroundColor: color,
      borderWidth: dashed ? 1.5 : 2,
      borderDash: dashed ? [6, 4] : [],
      pointStyle: dashed ? 'line' : 'circle',
      pointRadius: dashed ? 0 : (values.length > 60 ? 0 : 2),
      spanGaps: false,
      tension: 0,
    };
  }
  function constant(v) { return data.series.map(function () { return v; }); }
  function rateTooltip() {
    return { callbacks: { label: function (c) { return c.dataset.label + ': ' + pct(c.parsed.y); } } };
  }
  function rateChart(id, datasets, suggestedMax) {
    make(id, {
      type: 'line',
      data: { labels: labels, datasets: datasets },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: { x: { ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } }, y: percentAxis(suggestedMax) },
        plugins: { tooltip: rateTooltip(), legend: { position: 'bottom', labels: { usePointStyle: true, boxHeight: 6, pointStyleWidth: 16 } } },
      },
    });
  }

  var palette = data.palette;
  var channelNames = [];
  data.days.forEach(function (d) {
    Object.keys(d.channels).forEach(function (c) { if (channelNames.indexOf(c) < 0) channelNames.push(c); });
  });
  channelNames.sort();
  make('chart-volume', {
    type: 'bar',
    data: {
      labels: data.days.map(function (d) { return d.day; }),
      datasets: channelNames.map(function (c, i) {
        var color = palette[c] || data.extraColors[i % data.extraColors.length];
        return {
          label: c,
          data: data.days.map(function (d) { return d.channels[c] || 0; }),
          backgroundColor: color,
          borderColor: color,
        };
      }),
    },
    options: {
      scales: {
        x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } },
        y: { stacked: true, beginAtZero: true, ticks: { callback: function (v) { return count(v); } } },
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + count(c.parsed.y); } } },
      },
    },
  });
  var t = data.thresholds;
  var s = data.series;
  rateChart('chart-bounce', [
    line('Bounce rate', s.map(function (p) { return p.rates.bounce; }), '#c2410c'),
    line('SES review at ' + pct(t.bounce, 0), constant(t.bounce), '#b91c1c', true),
  ], t.bounce * 1.4);
  rateChart('chart-complaint', [
    line('Complaint rate', s.map(function (p) { return p.rates.complaint; }), '#7c3aed'),
    line('SES review at ' + pct(t.complaint, 1), constant(t.complaint), '#b91c1c', true),
  ], t.complaint * 1.4);
  rateChart('chart-engagement', [
    line('Open rate', s.map(function (p) { return p.rates.open; }), '#2563eb'),
    line('Click rate', s.map(function (p) { return p.rates.click; }), '#0d9488'),
  ], 0.1);
  rateChart('chart-sms', [
    line('SMS delivery rate', s.map(function (p) { return p.rates.smsDelivery; }), '#15803d'),
    line('SMS failure rate', s.map(function (p) { return p.rates.smsFailure; }), '#b45309'),
  ], 1);

  // Printing: charts take the width of the printed page, then the screen's again.
  window.addEventListener('beforeprint', function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener('afterprint', function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute('data-charts', String(charts.length));
})();
`;
