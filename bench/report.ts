// The benchmark's table and JSON: per-variant medians, and each goal ratio as min/median/max of the rounds.
import type { Measurement } from './load';

export interface Goal {
  name: string;
  numerator: string;
  denominator: string;
  goal: number;
}

export const GOALS: Goal[] = [
  { name: 'F / H', numerator: 'F', denominator: 'H', goal: 0.85 },
  { name: 'H / H0 (price of the pipeline)', numerator: 'H', denominator: 'H0', goal: 0.9 },
  { name: 'F / S (price of revocation)', numerator: 'F', denominator: 'S', goal: 0.9 },
  { name: 'L / bare argon2.verify', numerator: 'L', denominator: 'argon2', goal: 0.95 },
  { name: 'F during L / F', numerator: 'F during L', denominator: 'F', goal: 0.75 },
  { name: 'X / F', numerator: 'X', denominator: 'F', goal: 0.6 },
  { name: 'F at scale / F at 1k', numerator: 'F at scale', denominator: 'F', goal: 0.95 },
  { name: 'C / C0 (coprocessor ceiling)', numerator: 'C', denominator: 'C0', goal: 0.5 },
  // --peers: better-auth's `me` in each of its session modes (bench/peers).
  { name: 'F / better-auth (BA)', numerator: 'F', denominator: 'BA', goal: 4 },
  { name: 'F / BA-redis', numerator: 'F', denominator: 'BA-redis', goal: 4 },
  { name: 'F / BA-cookie', numerator: 'F', denominator: 'BA-cookie', goal: 4 },
];

/** Latency goals: the median over the rounds of a variant's p99, at most `maxMs`. */
export const LATENCY_GOALS = [{ name: 'C p99 at 10 connections', variant: 'C', maxMs: 5 }];

export type Rounds = Record<string, Measurement[]>;

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export interface RatioResult extends Goal {
  perRound: number[];
  min: number;
  median: number;
  max: number;
  met: boolean;
}

/** Ratios are taken round by round (A and B measured side by side), then summarised. */
export function ratios(rounds: Rounds): RatioResult[] {
  return GOALS.flatMap((goal) => {
    const top = rounds[goal.numerator] ?? [];
    const bottom = rounds[goal.denominator] ?? [];
    const perRound = top.slice(0, bottom.length).map((m, i) => m.requestsPerSecond / bottom[i]!.requestsPerSecond);
    if (perRound.length === 0) return [];
    const result = { ...goal, perRound, min: Math.min(...perRound), median: median(perRound), max: Math.max(...perRound) };
    return [{ ...result, met: result.median >= goal.goal }];
  });
}

const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number, digits = 0) => value.toFixed(digits).padStart(9);

export function formatTable(rounds: Rounds, descriptions: Record<string, string>, ratioResults: RatioResult[]): string {
  const lines = [`${pad('variant', 12)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'fails'.padStart(6)} ${'cpu µs'.padStart(7)}  what`];
  for (const [name, measurements] of Object.entries(rounds)) {
    const rps = median(measurements.map((m) => m.requestsPerSecond));
    const p50 = median(measurements.map((m) => m.p50));
    const p99 = median(measurements.map((m) => m.p99));
    const fails = measurements.reduce((sum, m) => sum + m.failures, 0);
    const cpus = measurements.flatMap((m) => (m.cpuMicros === undefined ? [] : [m.cpuMicros]));
    const cpu = cpus.length > 0 ? median(cpus).toFixed(0) : '-';
    lines.push(`${pad(name, 12)} ${num(rps)} ${num(p50, 1)} ${num(p99, 1)} ${String(fails).padStart(6)} ${cpu.padStart(7)}  ${descriptions[name] ?? ''}`);
  }
  lines.push('', `${pad('ratio', 30)} ${'min'.padStart(6)} ${'median'.padStart(7)} ${'max'.padStart(6)}   goal`);
  for (const ratio of ratioResults) {
    const mark = ratio.met ? 'met' : 'NOT met';
    lines.push(
      `${pad(ratio.name, 30)} ${ratio.min.toFixed(2).padStart(6)} ${ratio.median.toFixed(2).padStart(7)} ${ratio.max.toFixed(2).padStart(6)}   ≥ ${ratio.goal.toFixed(2)} ${mark}`,
    );
  }
  for (const goal of LATENCY_GOALS) {
    const measurements = rounds[goal.variant];
    if (!measurements?.length) continue;
    const p99s = measurements.map((m) => m.p99);
    const met = median(p99s) <= goal.maxMs ? 'met' : 'NOT met';
    lines.push(
      `${pad(`${goal.name} (ms)`, 30)} ${Math.min(...p99s).toFixed(1).padStart(6)} ${median(p99s).toFixed(1).padStart(7)} ${Math.max(...p99s).toFixed(1).padStart(6)}   ≤ ${goal.maxMs.toFixed(2)} ${met}`,
    );
  }
  return lines.join('\n');
}
