// `npm run bench`: artifact upload and download of a 100 MiB file, each beside a baseline run on
// the same machine in the same run (SPEC §10):
//  - upload (curl PUT to the signed URL; the generic registry's PUT, raw and as a form; twine's
//    protocol, a multipart POST with the digests twine declares) vs
//    `sha256sum` + `cp` of the same file;
//  - 16 concurrent downloads (the signed URL; the generic registry's GET) vs nginx `sendfile`
//    serving the same file;
// with the server's resident memory sampled from /proc during each phase. Each measure runs
// three times, alternating with its baseline; medians (and the largest memory growth) count.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { benchDatabase, record } from './lib.mjs';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const SIZE = 100 * MiB;
const CONCURRENCY = 16;
const ROUNDS = 3;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const PORT = 39181;
const NGINX_PORT = 39182;

const seconds = async (work) => {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
};

async function rssMiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** Runs `work` while sampling the process's RSS every 20 ms; returns seconds and the growth. */
async function measured(pid, work) {
  const before = await rssMiB(pid);
  let peak = before;
  const timer = setInterval(() => rssMiB(pid).then((v) => (peak = Math.max(peak, v)), () => {}), 20);
  const elapsed = await seconds(work);
  clearInterval(timer);
  return { elapsed, growth: peak - before };
}

async function waitFor(url) {
  for (let i = 0; i < 120; i += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer`);
}

async function api(base, token, method, path, body, extra = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    redirect: 'manual',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.api+json', ...extra },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return { res, json: res.status === 204 ? null : await res.json() };
}

const curlMany = (urls) => Promise.all(urls.map((url) => run('curl', ['-sSf', '-o', '/dev/null', url])));

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'keyshelf-bench-'));
  const file = join(dir, 'artifact.bin');
  await new Promise((resolve, reject) => {
    const out = createWriteStream(file);
    for (let i = 0; i < SIZE / MiB; i += 1) out.write(randomBytes(MiB));
    out.end(resolve);
    out.on('error', reject);
  });

  const digest = async (algorithm) => {
    const hash = createHash(algorithm);
    for await (const chunk of createReadStream(file)) hash.update(chunk);
    return hash.digest('hex');
  };
  const [fileSha256, fileMd5] = [await digest('sha256'), await digest('md5')];
  await run('npm', ['run', 'build', '--silent']);
  const database = await benchDatabase();
  const server = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, DATABASE_URL: database.url, DATA_DIR: join(dir, 'data'), PORT: String(PORT), RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'warn', SIGNED_URL_TTL_SECONDS: '600' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let nginx;
  try {
    await waitFor(`http://127.0.0.1:${PORT}/health/ready`);
    const token = (await readFile(join(dir, 'data', 'admin-token'), 'utf8')).trim();
    const base = `http://127.0.0.1:${PORT}/v1/accounts/default`;
    const rel = (type, id) => ({ data: { type, id } });
    await api(base, token, 'POST', '/products', { data: { type: 'products', attributes: { name: 'Bench', code: 'bench', distributionStrategy: 'OPEN' } } });
    await api(base, token, 'POST', '/releases', { data: { type: 'releases', attributes: { version: '1.0.0', channel: 'stable', status: 'PUBLISHED' }, relationships: { product: rel('products', 'bench') } } });
    // Each measure runs ROUNDS times, alternating with its baseline; medians are reported.
    const generic = `${base}/engines/generic/bench`;
    const uploadKinds = {
      'curl PUT': async (round) => {
        const created = await api(base, token, 'POST', '/artifacts', { data: { type: 'artifacts', attributes: { filename: `artifact-${round}.bin`, filesize: SIZE }, relationships: { release: rel('releases', '1.0.0') } } }, { Prefer: 'no-redirect' });
        return ['-X', 'PUT', '--upload-file', file, created.res.headers.get('location')];
      },
      'generic PUT': async (round) => ['--user', `bench:${token}`, '--upload-file', file, `${generic}/1.0.0/raw-${round}.bin?product=bench`],
      'generic PUT, form': async (round) => ['--user', `bench:${token}`, '-X', 'PUT', '-F', `file=@${file}`, `${generic}/1.0.0/form-${round}.bin?product=bench`],
      'twine upload': async (round) => [
        '--user', `__token__:${token}`,
        ...Object.entries({ ':action': 'file_upload', protocol_version: '1', metadata_version: '2.1', name: 'bench-sdist', version: `1.0.${round}`, filetype: 'sdist', pyversion: 'source', sha256_digest: fileSha256, md5_digest: fileMd5 })
          .flatMap(([name, value]) => ['-F', `${name}=${value}`]),
        '-F', `content=@${file};filename=bench_sdist-1.0.${round}.tar.gz`,
        `${base}/products/bench/engines/pypi`,
      ],
    };
    const uploads = Object.fromEntries(Object.keys(uploadKinds).map((kind) => [kind, []]));
    const baselineUploads = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [kind, args] of Object.entries(uploadKinds)) {
        const curlArgs = ['-sSf', '-o', '/dev/null', ...(await args(round))];
        // The server streams to disk while hashing (and fsyncs); the baseline hashes and copies.
        uploads[kind].push(await measured(server.pid, () => run('curl', curlArgs)));
      }
      baselineUploads.push(
        await seconds(async () => {
          await run('sha256sum', [file]);
          await run('cp', [file, join(dir, 'copy.bin')]);
        }),
      );
    }

    await writeFile(
      join(dir, 'nginx.conf'),
      `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log; worker_processes 1;
       events {} http { access_log off; sendfile on; tcp_nopush on; client_body_temp_path ${dir};
       proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
       server { listen 127.0.0.1:${NGINX_PORT}; root ${dir}; } }`,
    );
    nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf')], { stdio: 'inherit' });
    await waitFor(`http://127.0.0.1:${NGINX_PORT}/nginx.conf`);
    // Downloads: 16 at once through the signed URL, and the same file from nginx sendfile.
    const download = await api(base, token, 'GET', '/artifacts/artifact-0.bin', null, { Prefer: 'no-redirect' });
    const downloadUrl = download.res.headers.get('location');
    const downloadKinds = { 'signed URL': ['-sSf', '-o', '/dev/null', downloadUrl], 'generic GET': ['-sSf', '-o', '/dev/null', '--user', `bench:${token}`, `${generic}/1.0.0/raw-0.bin`] };
    const downloads = Object.fromEntries(Object.keys(downloadKinds).map((kind) => [kind, []]));
    const baselineDownloads = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [kind, args] of Object.entries(downloadKinds)) {
        downloads[kind].push(await measured(server.pid, () => Promise.all(Array.from({ length: CONCURRENCY }, () => run('curl', args)))));
      }
      baselineDownloads.push(await seconds(() => curlMany(Array(CONCURRENCY).fill(`http://127.0.0.1:${NGINX_PORT}/artifact.bin`))));
    }
    const summary = (samples) => ({ elapsed: median(samples.map((u) => u.elapsed)), growth: Math.max(...samples.map((u) => u.growth)) });
    const baselineUpload = median(baselineUploads);
    const baselineDownload = median(baselineDownloads);

    const mibps = (bytes, s) => bytes / MiB / s;
    const rows = [
      ...Object.entries(uploads).map(([kind, samples]) => {
        const upload = summary(samples);
        return {
          measure: `upload 100 MiB (${kind})`,
          keyshelf: `${mibps(SIZE, upload.elapsed).toFixed(0)} MiB/s`,
          baseline: `${mibps(SIZE, baselineUpload).toFixed(0)} MiB/s (sha256sum + cp)`,
          ratio: baselineUpload / upload.elapsed,
          target: 0.5,
          memory: upload.growth,
        };
      }),
      ...Object.entries(downloads).map(([kind, samples]) => {
        const served = summary(samples);
        return {
          measure: `download 100 MiB × ${CONCURRENCY} concurrent (${kind})`,
          keyshelf: `${mibps(SIZE * CONCURRENCY, served.elapsed).toFixed(0)} MiB/s`,
          baseline: `${mibps(SIZE * CONCURRENCY, baselineDownload).toFixed(0)} MiB/s (nginx sendfile)`,
          ratio: baselineDownload / served.elapsed,
          target: 0.5,
          memory: served.growth,
        };
      }),
    ];
    let ok = true;
    for (const row of rows) {
      const pass = row.ratio >= row.target && row.memory <= 64;
      ok &&= pass;
      console.log(
        `${row.measure}: ${row.keyshelf} vs ${row.baseline} → ${(row.ratio * 100).toFixed(0)} % of baseline (target ≥ ${row.target * 100} %), ` +
          `server memory growth ${row.memory.toFixed(1)} MiB (target ≤ 64) ${pass ? 'PASS' : 'FAIL'}`,
      );
    }
    await record('transfer', {
      sizeMiB: SIZE / MiB,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      bars: rows.map((row) => ({ label: row.measure, keyshelf: row.keyshelf, baseline: row.baseline, value: row.ratio, target: row.target, memoryGrowthMiB: row.memory, pass: row.ratio >= row.target && row.memory <= 64 })),
    });
    process.exitCode = ok ? 0 : 1;
  } finally {
    nginx?.kill('SIGTERM');
    server.kill('SIGTERM');
    await new Promise((resolve) => server.on('exit', resolve));
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
