const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Epoch seconds as local "YYYY-MM-DD HH:MM:SS.mmm". */
export function formatTime(epochS: number | null | undefined): string {
  if (epochS === null || epochS === undefined) return '-';
  const d = new Date(epochS * 1000);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** Seconds as "850 ms", "12.3 s", "4 min 10 s", "3 h 5 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, seconds);
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** "12 s ago" / "in 3 min" relative to now. */
export function formatRelative(
  epochS: number | null | undefined,
  nowS = Date.now() / 1000,
): string {
  if (epochS === null || epochS === undefined) return '-';
  const delta = epochS - nowS;
  return delta > 0.5 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** The recipient of a job, when its payload has one. */
export function recipientOf(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const to = (payload as Record<string, unknown>).to;
  return typeof to === 'string' ? to : undefined;
}
