// Numbers as an operator reads them: rates with SI prefixes, durations in
// the unit that fits, times of day.

const SI = ['', 'k', 'M', 'G', 'T'];

export function si(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '–';
  let v = Math.abs(value);
  let i = 0;
  while (v >= 1000 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  const sign = value < 0 ? '-' : '';
  const text = v === 0 ? '0' : v >= 100 ? v.toFixed(0) : v.toPrecision(digits);
  return sign + String(Number(text)) + SI[i];
}

export function rate(perSecond: number, unit = 'pkt/s'): string {
  return `${si(perSecond)} ${unit}`;
}

export function bitRate(bitsPerSecond: number): string {
  return `${si(bitsPerSecond)}bit/s`;
}

export function nanoseconds(ns: number): string {
  if (!Number.isFinite(ns)) return '–';
  if (ns < 1000) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${Number((ns / 1e3).toPrecision(3))} µs`;
  if (ns < 1e9) return `${Number((ns / 1e6).toPrecision(3))} ms`;
  return `${Number((ns / 1e9).toPrecision(3))} s`;
}

export function milliseconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function timeOfDay(unixMs: number): string {
  const d = new Date(unixMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
