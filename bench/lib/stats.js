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

module.exports = { percentile, median, summary };
