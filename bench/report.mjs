// `node bench/report.mjs [bench/results/<date>.json]`: the results as Markdown tables (the
// figures docs/performance.md quotes), one row per bar of SPEC §10, then the measures.
import { readdir, readFile } from 'node:fs/promises';

const file = process.argv[2] ?? `bench/results/${(await readdir('bench/results')).filter((f) => f.endsWith('.json')).sort().pop()}`;
const results = JSON.parse(await readFile(file, 'utf8'));
const lines = [`Results: \`${file}\``, ''];
const fmt = (bar) => (bar.unit && bar.unit !== '%' ? `${bar.value.toFixed(1)} ${bar.unit}` : `${(bar.value * 100).toFixed(0)} %`);
const goal = (bar) => (bar.unit && bar.unit !== '%' ? `≤ ${bar.target} ${bar.unit}` : `≥ ${(bar.target * 100).toFixed(0)} %`);
lines.push('| scenario | bar | measured | target | |', '|---|---|---|---|---|');
for (const [scenario, result] of Object.entries(results)) {
  for (const bar of result.bars ?? []) {
    const extra = bar.memoryGrowthMiB !== undefined ? ` (${bar.keyshelf} vs ${bar.baseline}; memory +${bar.memoryGrowthMiB.toFixed(1)} MiB)` : '';
    lines.push(`| ${scenario} | ${bar.label}${extra} | ${fmt(bar)} | ${goal(bar)} | ${bar.pass ? 'met' : '**not met**'} |`);
  }
}
lines.push('', '| scenario | measure | req/s (median) | rounds | p50 / p95 / p99 ms | CPU ms / request | errors | server RSS peak |', '|---|---|---|---|---|---|---|---|');
for (const [scenario, result] of Object.entries(results)) {
  for (const [name, m] of Object.entries(result.load ?? {})) {
    const l = m.latencyMs;
    lines.push(`| ${scenario} | ${name} | ${m.rps.toFixed(0)} | ${m.rounds.join(', ')} | ${[l.p50, l.p95, l.p99].map((v) => v.toFixed(1)).join(' / ')} | ${m.cpuMsPerRequest?.toFixed(3) ?? '–'} | ${m.errors} | ${m.serverRssMiB ? `${m.serverRssMiB.peak.toFixed(0)} MiB` : '–'} |`);
  }
}
for (const [scenario, result] of Object.entries(results)) {
  if (result.cold) {
    lines.push('', `Cold renders (${scenario}), median of the samples:`, '');
    for (const [name, c] of Object.entries(result.cold)) lines.push(`- ${name}: ${c.ms.toFixed(1)} ms (${c.samples.join(', ')})`);
  }
  if (result.notes) {
    lines.push('', `Measured in \`${scenario}\` (no bar):`, '');
    for (const note of result.notes) lines.push(`- ${note}`);
  }
  lines.push('', `Machine during \`${scenario}\`: ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, PostgreSQL ${result.machine.postgres}, load average ${result.machine.loadavg.join(' / ')} (1/5/15 min) at the end.`);
}
console.log(lines.join('\n'));
