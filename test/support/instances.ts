import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nothing listens on now (the instance binds it a moment later). */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Instance {
  /** `http://127.0.0.1:{port}` */
  origin: string;
  port: number;
  /** Everything the process wrote (JSON log lines). */
  output(): string;
  stop(): Promise<void>;
  /** Sends a signal (SIGKILL for a crash, SIGTERM for a shutdown). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * The built server (`node dist/src/main.js`, as `npm start` runs it; dist/ is built once by
 * `npm test` before the suites run) on a free port, with `env` on top of the test process's.
 */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'info', SWEEP_INTERVAL_SECONDS: '0', RATE_LIMIT_ENABLED: 'false', ...env, PORT: String(port) },
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const instance: Instance = {
    origin: `http://127.0.0.1:${port}`,
    port,
    output: () => output,
    kill: (signal) => child.kill(signal),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await until(
      `the instance on port ${port} to listen`,
      () => {
        if (child.exitCode !== null) throw new Error(`the instance exited with ${child.exitCode}:\n${output}`);
        return output.includes('Keyshelf listening on') ? true : undefined;
      },
      120_000,
    );
  } catch (error) {
    await instance.stop();
    throw error;
  }
  return instance;
}
