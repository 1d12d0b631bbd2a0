import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
/** Debian's interpreter, which has `build`; the first `python3` on PATH may not (STACK-NOTES). */
export const PYTHON = '/usr/bin/python3';

export interface Run {
  code: number;
  output: string;
}

/** Runs a client and keeps its exit code and output; a missing tool fails the suite, it never skips. */
export async function run(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') throw new Error(`${command} is not installed (.ci/run installs twine python3-build python3-venv)`);
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** Fails the suite, with the reason, when twine, `python3 -m build` or venv are not usable. */
export async function assertPythonClients(): Promise<void> {
  for (const [command, args] of [
    [PYTHON, ['-m', 'build', '--version']],
    ['twine', ['--version']],
    [PYTHON, ['-c', 'import venv, ensurepip']],
  ] as const) {
    const check = await run(command, [...args]);
    if (check.code !== 0) throw new Error(`${command} ${args.join(' ')} is not usable (.ci/run installs twine python3-build python3-venv):\n${check.output}`);
  }
}

/**
 * A small project built as a vendor would: `python3 -m build` (wheel and sdist), offline.
 * `data` is shipped as package data (`<module>/data.bin`), to make the files as large as wanted.
 */
export async function buildProject(dir: string, name: string, version: string, options: { value: string; requiresPython?: string; data?: Buffer }): Promise<string[]> {
  const module = name.replace(/-/g, '_');
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, module), { recursive: true });
  await writeFile(
    join(dir, 'pyproject.toml'),
    [
      '[build-system]',
      'requires = ["setuptools>=61"]',
      'build-backend = "setuptools.build_meta"',
      '',
      '[project]',
      `name = "${name}"`,
      `version = "${version}"`,
      'description = "A package published to Keyshelf"',
      `requires-python = "${options.requiresPython ?? '>=3.7'}"`,
      '',
      ...(options.data ? ['[tool.setuptools.package-data]', `${module} = ["*.bin"]`, ''] : []),
    ].join('\n'),
  );
  await writeFile(join(dir, module, '__init__.py'), `VALUE = "${options.value}"\n`);
  if (options.data) await writeFile(join(dir, module, 'data.bin'), options.data);
  const built = await run(PYTHON, ['-m', 'build', '--no-isolation', '--sdist', '--wheel', '--outdir', join(dir, 'dist'), dir], { cwd: dir });
  if (built.code !== 0) throw new Error(`python3 -m build failed:\n${built.output}`);
  return (await readdir(join(dir, 'dist'))).sort().map((file) => join(dir, 'dist', file));
}

/** A fresh virtual environment, and pip run in it as SPEC §10 asks: isolated from this machine's configuration. */
export async function createVenv(dir: string): Promise<{ pip: (args: string[]) => Promise<Run>; python: (args: string[]) => Promise<Run> }> {
  const created = await run(PYTHON, ['-m', 'venv', dir]);
  if (created.code !== 0) throw new Error(`python3 -m venv failed:\n${created.output}`);
  return {
    pip: (args) =>
      run(join(dir, 'bin', 'pip'), ['--isolated', '--disable-pip-version-check', '--no-cache-dir', '--no-input', '--retries', '0', '--timeout', '20', ...args], { env: { PIP_CONFIG_FILE: '/dev/null' } }),
    python: (args) => run(join(dir, 'bin', 'python'), args),
  };
}
