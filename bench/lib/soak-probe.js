'use strict';
/**
 * Preloaded into every process the soak run measures (`node -r soak-probe.js dist/worker.js`):
 * answers the run's memory questions over the IPC channel the run opened, with what only
 * the process itself can see (V8 heap, CPU time). It adds no timer; between questions its
 * only work is noting the heap after each full collection. It unreferences the channel,
 * so the service runs and stops as it would without it. The one thing it adds: when the
 * run itself is gone (channel closed), the process is sent SIGTERM, its own graceful
 * stop, instead of running on orphaned.
 */
const { PerformanceObserver, constants } = require('node:perf_hooks');
const { getHeapStatistics } = require('node:v8');

if (typeof process.send === 'function') {
  /**
   * The heap just after the latest full (mark-compact) collection: what the process
   * really retains, without the sawtooth of garbage waiting to be collected. The
   * observer runs shortly after each collection (a few microseconds per collection),
   * not inside it.
   */
  let afterFullGc = { count: 0, heapUsed: null };
  new PerformanceObserver((list) => {
    if (
      list.getEntries().some((entry) => entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
    ) {
      afterFullGc = {
        count: afterFullGc.count + 1,
        heapUsed: getHeapStatistics().used_heap_size,
      };
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', (message) => {
    if (message?.soak !== 'memory') return;
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    const { user, system } = process.cpuUsage();
    process.send({
      soak: 'memory',
      seq: message.seq,
      rss,
      heapUsed,
      heapTotal,
      external,
      arrayBuffers,
      cpuUs: user + system,
      afterFullGc,
    });
  });
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel.unref();
}
