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

/**
 * Least-squares line through points [[x, y], ...] (in x order): its slope, and the
 * slope's standard error. Samples of a memory series are not independent (a value
 * stays high for a while after it rose), so the error uses the effective number of
 * points given the residuals' lag-1 autocorrelation r: n (1 - r) / (1 + r).
 * NaN with fewer than 3 points.
 */
function linearTrend(points) {
  const n = points.length;
  if (n < 3) return { slope: NaN, standardError: NaN };
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  }
  if (sxx === 0) return { slope: NaN, standardError: NaN };
  const slope = sxy / sxx;
  const residuals = points.map(([x, y]) => y - meanY - slope * (x - meanX));
  const squares = residuals.reduce((sum, e) => sum + e * e, 0);
  let lagged = 0;
  for (let i = 1; i < n; i++) lagged += residuals[i] * residuals[i - 1];
  const r = squares === 0 ? 0 : Math.min(0.99, Math.max(0, lagged / squares));
  const independentError = Math.sqrt(squares / (n - 2) / sxx);
  return { slope, standardError: independentError * Math.sqrt((1 + r) / (1 - r)) };
}

module.exports = { percentile, median, summary, linearTrend };
