'use strict';
// Memory of one measured process: RSS read from outside (/proc, or `ps` elsewhere),
// V8 heap and CPU time asked from inside through soak-probe.js over its IPC channel.
const { execFile } = require('node:child_process');
const { readFile } = require('node:fs/promises');

const MB = 1024 * 1024;
const PROBE_TIMEOUT_MS = 5000;

async function rssBytes(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux (or the process is gone): ask ps
  }
  return new Promise((resolve) =>
    execFile('ps', ['-o', 'rss=', '-p', String(pid)], (error, out) =>
      resolve(error || out.trim() === '' ? NaN : Number(out.trim()) * 1024),
    ),
  );
}

let lastSeq = 0;

/** process.memoryUsage() and CPU time of a child started with soak-probe.js; null if it does not answer. */
function askProbe(child) {
  const seq = ++lastSeq;
  return new Promise((resolve) => {
    const done = (answer) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(answer);
    };
    const onMessage = (message) => {
      if (message?.soak === 'memory' && message.seq === seq) done(message);
    };
    const timer = setTimeout(() => done(null), PROBE_TIMEOUT_MS);
    child.on('message', onMessage);
    if (!child.connected) done(null);
    else child.send({ soak: 'memory', seq }, (error) => error && done(null));
  });
}

/**
 * A measured process. `pollRss(t)` reads its RSS (from outside, nothing for the process
 * to do) and keeps it as a point [t, MB]: the run polls every second, since an RSS that
 * rises and falls with each collection needs many points for a steady slope.
 * `sample()` gives the MB figures of the moment and the CPU use since the previous sample.
 */
class MeasuredProcess {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.previous = undefined;
    this.rssPoints = [];
  }

  async pollRss(t) {
    const mb = (await rssBytes(this.child.pid)) / MB;
    if (Number.isFinite(mb)) this.rssPoints.push([t, mb]);
  }

  async sample() {
    const [rss, inside] = await Promise.all([rssBytes(this.child.pid), askProbe(this.child)]);
    const at = Date.now();
    let cpuPct = NaN;
    if (inside && this.previous) {
      cpuPct = ((inside.cpuUs - this.previous.cpuUs) / 1000 / (at - this.previous.at)) * 100;
    }
    if (inside) this.previous = { at, cpuUs: inside.cpuUs };
    return {
      rssMb: rss / MB,
      heapUsedMb: inside ? inside.heapUsed / MB : NaN,
      heapTotalMb: inside ? inside.heapTotal / MB : NaN,
      externalMb: inside ? inside.external / MB : NaN,
      heapAfterGcMb: inside?.afterFullGc.count > 0 ? inside.afterFullGc.heapUsed / MB : NaN,
      fullGcs: inside ? inside.afterFullGc.count : NaN,
      cpuPct,
    };
  }
}

module.exports = { MeasuredProcess, MB };
