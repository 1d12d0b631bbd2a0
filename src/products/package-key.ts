import { attributePointer, Errors } from '../common/errors.js';
import { isUuid } from '../common/ids.js';
import type { EngineKey } from '../database/entities/package.entity.js';

/** PEP 503: lowercase, runs of `-`, `_` and `.` become one `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** A valid PEP 508 project name. */
const PYPI_NAME = /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;

export function isPypiName(name: string): boolean {
  return name.length <= 255 && PYPI_NAME.test(name);
}

/** Letters, digits, `.`, `-`, `_` (Gitea's generic registry), not `.` or `..`. */
const GENERIC_KEY = /^[A-Za-z0-9._-]{1,255}$/;

/**
 * The key as stored: checked against the engine's naming rules, and PEP 503 normalized for
 * pypi (SPEC §3.2). Never UUID-shaped, since paths take an id or a key.
 */
export function packageKey(key: string, engine: EngineKey | null): string {
  const invalid = (detail: string) => Errors.unprocessable('KEY_INVALID', detail, attributePointer('key'));
  if (isUuid(key)) throw invalid('key must not look like a UUID');
  if (engine === 'pypi') {
    if (!isPypiName(key)) throw invalid('key must be a valid Python project name (letters, digits, ".", "-", "_")');
    return normalizePypiName(key);
  }
  if (!GENERIC_KEY.test(key) || key === '.' || key === '..') {
    throw invalid('key must be 1-255 letters, digits, ".", "-" or "_"');
  }
  return key;
}

/** A name as an engine stores it, for lookups that must not refuse it (PEP 503 form for pypi). */
export function engineKeyForm(engine: EngineKey, name: string): string {
  return engine === 'pypi' ? normalizePypiName(name) : name;
}
