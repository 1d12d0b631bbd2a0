import { DomainError } from '../common/errors.js';
import { isPypiName, normalizePypiName } from '../products/package-key.js';
import { isPep440, semverOfPep440 } from './pep440.js';

export type DistributionKind = 'wheel' | 'sdist';

/** What a distribution's filename says about it. */
export interface Distribution {
  filename: string;
  kind: DistributionKind;
  /** The project name as the filename spells it. */
  name: string;
  version: string;
  /** The release's SemVer (SPEC §6.1 mapping). */
  semver: string;
}

const invalid = (detail: string) => new DomainError(400, 'FILENAME_INVALID', detail, { parameter: 'content' });

const SDIST_EXTENSIONS = ['.tar.gz', '.zip'];
/** Wheel tags: letters, digits, `_` and `.` (compressed tag sets); a build tag starts with a digit. */
const TAG = /^[A-Za-z0-9_.]+$/;

/**
 * Reads a wheel (`{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`) or sdist
 * (`{name}-{version}.tar.gz` or `.zip`) filename. Sdists of older setuptools keep `-` in the
 * name (`feas-hello-0.1.0.tar.gz`) and PEP 440 allows it in versions (`1.0-1` is `1.0.post1`):
 * the version is what follows the `-` that makes the name the project's (`project`), or, when
 * the project is not known yet (the file sent before the fields), the first `-` followed by a
 * valid PEP 440 version.
 */
export function parseDistribution(filename: string, project?: string): Distribution {
  if (filename.length === 0 || filename.length > 255 || /[/\\\u0000-\u001f\u007f]/.test(filename)) {
    throw invalid('The filename must be 1 to 255 characters without "/", "\\" or control characters');
  }
  if (filename.endsWith('.whl')) return parseWheel(filename);
  const extension = SDIST_EXTENSIONS.find((ext) => filename.toLowerCase().endsWith(ext));
  if (!extension) throw invalid('Invalid file extension: use .whl, .tar.gz or .zip');
  const stem = filename.slice(0, -extension.length);
  const splits = [...stem.matchAll(/-/g)].map((m) => m.index);
  if (splits.length === 0) throw invalid(`Invalid sdist filename ${filename}: expected {name}-{version}${extension}`);
  const at =
    (project !== undefined
      ? splits.find((i) => normalizePypiName(stem.slice(0, i)) === normalizePypiName(project))
      : splits.find((i) => isPypiName(stem.slice(0, i)) && isPep440(stem.slice(i + 1)))) ?? splits[splits.length - 1];
  return distribution(filename, 'sdist', stem.slice(0, at), stem.slice(at + 1));
}

function parseWheel(filename: string): Distribution {
  const parts = filename.slice(0, -'.whl'.length).split('-');
  if ((parts.length !== 5 && parts.length !== 6) || !parts.slice(2).every((tag) => TAG.test(tag)) || (parts.length === 6 && !/^\d/.test(parts[2]))) {
    throw invalid(`Invalid wheel filename ${filename}: expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`);
  }
  return distribution(filename, 'wheel', parts[0], parts[1]);
}

function distribution(filename: string, kind: DistributionKind, name: string, version: string): Distribution {
  if (!isPypiName(name)) throw invalid(`Invalid ${kind} filename ${filename}: "${name}" is not a valid project name`);
  return { filename, kind, name, version, semver: semverOfPep440(version) };
}

/** The filename must name the form's project and version (SPEC §6.1), in any spelling of them. */
export function assertSameProject(dist: Distribution, name: string, semver: string): void {
  if (normalizePypiName(dist.name) !== normalizePypiName(name)) {
    throw invalid(`The filename ${dist.filename} does not match the project name ${name}`);
  }
  if (dist.semver !== semver) throw invalid(`The filename ${dist.filename} does not match the version given in the form`);
}
