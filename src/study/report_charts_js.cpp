// The chart builders of the report page: one function per chart kind, each reading the embedded
// report data (report.h) and returning a Chart.js config, or drawing the canvas itself (heatmaps).
#include "study/report_html.h"

namespace knowscope::study::report {

std::string_view charts_js() {
  return R"JS(
var KS = {charts: {}};
KS.palette = ['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2','#7f7f7f',
              '#bcbd22','#17becf'];
KS.types = function(obj) {
  return Object.keys(obj || {}).filter(function(k) { return k !== 'all'; });
};
KS.alpha = function(hex, a) {
  var n = parseInt(hex.slice(1), 16);
  return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
};
// Whiskers for datasets carrying ksErr: [[lo, hi] | null per point] (confidence intervals).
KS.errorBars = {id: 'ksErrorBars', afterDatasetsDraw: function(chart) {
  var ctx = chart.ctx;
  chart.data.datasets.forEach(function(ds, i) {
    if (!ds.ksErr || !chart.isDatasetVisible(i)) return;
    var meta = chart.getDatasetMeta(i), y = chart.scales[meta.yAxisID || 'y'];
    meta.data.forEach(function(el, j) {
      var e = ds.ksErr[j];
      if (!e || e[0] == null || e[1] == null) return;
      var x = el.x, lo = y.getPixelForValue(e[0]), hi = y.getPixelForValue(e[1]);
      ctx.save(); ctx.strokeStyle = '#222'; ctx.lineWidth = 1; ctx.beginPath();
      ctx.moveTo(x, lo); ctx.lineTo(x, hi); ctx.moveTo(x - 3, lo); ctx.lineTo(x + 3, lo);
      ctx.moveTo(x - 3, hi); ctx.lineTo(x + 3, hi); ctx.stroke(); ctx.restore();
    });
  });
}};
KS.axes = function(xTitle, yTitle, yMin, yMax) {
  var y = {title: {display: true, text: yTitle}};
  if (yMin !== undefined) y.min = yMin;
  if (yMax !== undefined) y.max = yMax;
  return {x: {title: {display: true, text: xTitle}}, y: y};
};

// Entities per type and label.
KS.charts['label-counts'] = function(d) {
  var c = d.labels.counts, types = KS.types(c), labels = ['known', 'unknown', 'other'];
  return {type: 'bar', data: {labels: types, datasets: labels.map(function(l, i) {
    return {label: l, backgroundColor: KS.palette[i],
            data: types.map(function(t) { return c[t][l]; })};
  })}, options: {scales: {x: {stacked: true}, y: {stacked: true,
      title: {display: true, text: 'entities'}}}}};
};

// MaxMin per layer and, per type, the mean of the top-5 scores with a min..max band (Fig. 2).
KS.charts['layer-profile'] = function(d, side) {
  var L = d.latents.layers, xs = L.map(function(r) { return 'L' + r.layer; });
  var ds = [{label: 'MaxMin (' + side + ')', data: L.map(function(r) {
    return r['maxmin_' + side]; }), borderColor: '#000', backgroundColor: '#000',
    borderWidth: 3, fill: false}];
  var top = L.length ? L[0]['top5_' + side] : {}, types = KS.types(top);
  types.forEach(function(t, i) {
    var col = KS.palette[i % KS.palette.length];
    var get = function(k) { return L.map(function(r) {
      var v = (r['top5_' + side] || {})[t]; return v ? v[k] : null; }); };
    ds.push({label: t + ' top-5 max', data: get('max'), borderColor: 'transparent',
             pointRadius: 0, fill: false, ksBand: true});
    ds.push({label: t + ' top-5 min', data: get('min'), borderColor: 'transparent',
             backgroundColor: KS.alpha(col, 0.15), pointRadius: 0, fill: '-1', ksBand: true});
    ds.push({label: t + ' top-5 mean', data: get('mean'), borderColor: col,
             backgroundColor: col, borderDash: [4, 3], fill: false});
  });
  return {type: 'line', data: {labels: xs, datasets: ds}, options: {
    plugins: {legend: {labels: {filter: function(item, cd) {
      return !cd.datasets[item.datasetIndex].ksBand; }}},
      filler: {propagate: false}},
    scales: KS.axes('layer (blocks.l.hook_resid_pre)', 'separation score s_' + side)}};
};

// Refusal rate per type under each condition, for the prompts about `set` entities, with
// Wilson intervals (steered) and mean ± std over random latents (controls).
KS.charts['refusal'] = function(d, set) {
  var s = d.steering.refusal.sets.filter(function(x) { return x.entities === set; })[0];
  var conds = s.conditions, types = KS.types(conds[0].per_type).concat(['all']);
  return {type: 'bar', data: {labels: types, datasets: conds.map(function(c, i) {
    var rnd = c.latents !== undefined;
    return {label: c.name.replace('_', ' '), backgroundColor: KS.palette[i],
      data: types.map(function(t) { var v = c.per_type[t];
        return v ? (rnd ? v.refusal_rate_mean : v.refusal_rate) : null; }),
      ksErr: types.map(function(t) { var v = c.per_type[t]; if (!v) return null;
        return rnd ? [v.refusal_rate_mean - v.refusal_rate_std,
                      v.refusal_rate_mean + v.refusal_rate_std] : v.refusal_ci; })};
  })}, options: {scales: KS.axes('entity type', 'refusal rate', 0, 1)},
    plugins: [KS.errorBars]};
};

// The knob: refusal on unknown entities and correct answers on known ones against the signed
// coefficient (negative: known direction, positive: unknown direction).
KS.charts['balance'] = function(d) {
  var P = d.steering.balance.points, xs = P.map(function(p) { return p.coefficient; });
  var line = function(label, side, key, col) {
    return {label: label, borderColor: col, backgroundColor: col, fill: false,
      data: P.map(function(p) { var c = (p[side] || {}).all; return c ? c[key + '_rate'] : null; }),
      ksErr: P.map(function(p) { var c = (p[side] || {}).all; return c ? c[key + '_ci'] : null; })};
  };
  return {type: 'line', data: {labels: xs, datasets: [
    line('refusal, unknown entities', 'unknown_entities', 'refusal', KS.palette[1]),
    line('correct, known entities', 'known_entities', 'correct', KS.palette[2]),
    line('refusal, known entities', 'known_entities', 'refusal', KS.palette[3])]},
    options: {scales: KS.axes('coefficient (x residual norm; < 0 known, > 0 unknown direction)',
                              'rate', 0, 1)}, plugins: [KS.errorBars]};
};

// Refusal rate against the steering factor (calibration sweep).
KS.charts['sweep'] = function(d) {
  var P = d.steering.sweep.points, xs = P.map(function(p) { return p.factor; });
  var types = KS.types(P[0].per_type).concat(['all']);
  return {type: 'line', data: {labels: xs, datasets: types.map(function(t, i) {
    return {label: t, borderColor: KS.palette[i], backgroundColor: KS.palette[i], fill: false,
      borderWidth: t === 'all' ? 3 : 1,
      data: P.map(function(p) { return p.per_type[t] ? p.per_type[t].refusal_rate : null; })};
  })}, options: {scales: KS.axes('factor (x mean residual norm)', 'refusal rate', 0, 1)}};
};

// Yes/no logit difference per type: original, steered, random latent.
KS.charts['yesno'] = function(d, idx) {
  var s = d.steering.yesno.sets[+idx], types = KS.types(s.per_type).concat(['all']);
  var keys = ['original', 'steered', 'random'];
  return {type: 'bar', data: {labels: types, datasets: keys.map(function(k, i) {
    return {label: k, backgroundColor: KS.palette[i], data: types.map(function(t) {
      var v = s.per_type[t]; return v && v[k] ? v[k].mean : null; })};
  })}, options: {scales: KS.axes('entity type', 'logit(" Yes") - logit(" No")')}};
};

// A heatmap drawn directly: rows x columns of values in [lo, hi], blue (low) to red (high).
KS.heatmap = function(canvas, rows, cols, values, title) {
  var ctx = canvas.getContext('2d'), W = canvas.width, H = canvas.height;
  var left = 70, top = 24, right = 70, bottom = 60;
  var cw = (W - left - right) / cols.length, rh = (H - top - bottom) / rows.length;
  var lo = 0, hi = 0;
  values.forEach(function(r) { r.forEach(function(v) { if (v != null && isFinite(v)) {
    lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
  var m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#222'; ctx.font = '12px sans-serif'; ctx.fillText(title, left, 14);
  values.forEach(function(r, i) { r.forEach(function(v, j) {
    var t = (v == null || !isFinite(v)) ? 0 : v / m;
    ctx.fillStyle = t >= 0 ? 'rgba(214,39,40,' + t + ')' : 'rgba(31,119,180,' + (-t) + ')';
    if (v == null || !isFinite(v)) ctx.fillStyle = '#ddd';
    ctx.fillRect(left + j * cw, top + i * rh, cw - 1, rh - 1);
  }); });
  ctx.fillStyle = '#222'; ctx.font = '11px sans-serif';
  rows.forEach(function(r, i) { ctx.fillText(r, 4, top + i * rh + rh / 2 + 4); });
  cols.forEach(function(c, j) {
    ctx.save(); ctx.translate(left + j * cw + cw / 2, H - bottom + 8); ctx.rotate(0.6);
    ctx.fillText(c, 0, 0); ctx.restore(); });
  ctx.fillText('±' + m.toFixed(2), W - right + 4, top + 10);
  ctx.fillText('red +', W - right + 4, top + 26); ctx.fillText('blue −', W - right + 4, top + 42);
  return null;
};
KS.group = function(p, name) {
  return (p.groups || []).filter(function(g) { return g.name === name; })[0] || p.groups[0];
};
KS.charts['patching-resid'] = function(d, group, canvas) {
  var p = d.heads.patching, g = KS.group(p, group);
  return KS.heatmap(canvas, p.layers.map(function(l) { return 'L' + l; }), p.roles, g.resid_pre,
                    'resid_pre patching metric, group ' + g.name + ' (' + g.pairs + ' pairs)');
};
KS.charts['patching-heads'] = function(d, group, canvas) {
  var p = d.heads.patching, g = KS.group(p, group), hs = [];
  for (var h = 0; h < p.n_heads; ++h) hs.push('H' + h);
  return KS.heatmap(canvas, p.layers.map(function(l) { return 'L' + l; }), hs, g.heads_last,
                    'head output (hook_z, last position) patching metric, group ' + g.name);
};
// Mean attention change per head under steering (± std over prompts).
KS.charts['delta-attention'] = function(d, idx) {
  var s = d.heads.steer.sides[+idx], H = s.heads;
  return {type: 'bar', data: {labels: H.map(function(h) { return h.id; }),
    datasets: [{label: 'dA, ' + s.latent.id + ' (' + s.name.replace(/_/g, ' ') + ')',
                backgroundColor: KS.palette[s.expected === 'greater' ? 2 : 1],
                data: H.map(function(h) { return h.mean; }),
                ksErr: H.map(function(h) { return h.std == null ? null :
                  [h.mean - h.std, h.mean + h.std]; })}]},
    options: {scales: KS.axes('head', 'dA (attention to the last entity token)')},
    plugins: [KS.errorBars]};
};
// Mean dA of the latent against each random control.
KS.charts['delta-controls'] = function(d, idx) {
  var s = d.heads.steer.sides[+idx], R = s.random_latents || [];
  var labels = [s.latent.id].concat(R.map(function(r) { return r.id; }));
  var vals = [s.latent.mean_dA].concat(R.map(function(r) { return r.mean_dA; }));
  if (s.random_vector) { labels.push('random vector'); vals.push(s.random_vector.mean_dA); }
  return {type: 'bar', data: {labels: labels, datasets: [{label: 'mean dA over prompts x heads',
    backgroundColor: labels.map(function(l, i) { return i === 0 ? KS.palette[0] : '#999'; }),
    data: vals}]}, options: {scales: KS.axes('latent', 'mean dA')}};
};
// Attention from the last token to the last entity token per head, known vs unknown.
KS.charts['attention'] = function(d) {
  var H = d.heads.attention.heads;
  return {type: 'bar', data: {labels: H.map(function(h) { return h.id; }),
    datasets: [{label: 'known', backgroundColor: KS.palette[2],
                data: H.map(function(h) { return h.known.mean; })},
               {label: 'unknown', backgroundColor: KS.palette[1],
                data: H.map(function(h) { return h.unknown.mean; })}]},
    options: {scales: KS.axes('head', 'A (attention to the last entity token)')}};
};
// ROC curves of the uncertainty latent and the baselines.
KS.charts['roc'] = function(d) {
  var C = d.uncertainty.roc;
  var ds = C.map(function(c, i) {
    return {label: c.name + ' (AUROC ' + (+c.auroc).toFixed(3) + ')', showLine: true,
            borderColor: KS.palette[i], backgroundColor: KS.palette[i], pointRadius: 0,
            data: c.fpr.map(function(x, k) { return {x: x, y: c.tpr[k]}; })};
  });
  ds.push({label: 'chance', showLine: true, borderColor: '#aaa', borderDash: [4, 4],
           pointRadius: 0, data: [{x: 0, y: 0}, {x: 1, y: 1}]});
  return {type: 'scatter', data: {datasets: ds}, options: {
    scales: KS.axes('false positive rate', 'true positive rate', 0, 1)}};
};
)JS";
}

}  // namespace knowscope::study::report
