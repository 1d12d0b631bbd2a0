// Preloaded into the server by the pages scenario (node --import): writes the statements of the
// project page's file query, with their parameters, to BENCH_CAPTURE, so that the scenario can
// EXPLAIN ANALYZE exactly what the server ran. Not used outside the harness.
import { appendFileSync } from 'node:fs';
import pg from 'pg';

const target = process.env.BENCH_CAPTURE;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const text = typeof config === 'string' ? config : config?.text;
  if (target && typeof text === 'string' && text.includes('"requires_python"')) {
    appendFileSync(target, `${JSON.stringify({ text, values: Array.isArray(values) ? values : config?.values })}\n`);
  }
  return query.call(this, config, values, callback);
};
