'use strict';

function sorted(values) {
  return [...values].sort((a, b) => a - b);
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const s = sorted(values);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

const median = (values) => {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** "median (min-max)" of repeated measurements. */
function summary(values, digits = 0) {
  const f = (v) =>
    v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const s = sorted(values);
  return {
    median: median(values),
    min: s[0],
    max: s[s.length - 1],
    text: `${f(median(values))} (${f(s[0])}-${f(s[s.length - 1])})`,
  };
}

/** Least-squares slope of y over x for points [[x, y], ...]; NaN with fewer than 2 distinct x. */
function leastSquaresSlope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

module.exports = { percentile, median, summary, leastSquaresSlope };
