import { Errors } from '../common/errors.js';
import { channelSet } from '../releases/release-queries.js';
import { parseConstraint, type VersionConstraint } from './upgrade-constraint.js';

/** `channel` and `constraint`, checked (SPEC §5); a missing channel means the current release's. */
export interface UpgradeOptions {
  channels: string[] | null;
  constraint: VersionConstraint | null;
}

/**
 * Single-valued query parameters among `known`. An unknown one is a 400 on JSON:API routes; an
 * engine route passes `ignoreUnknown`, since updater URLs are templates the app may extend.
 */
export function readParameters<K extends string>(raw: Record<string, unknown>, known: readonly K[], ignoreUnknown = false): Partial<Record<K, string>> {
  const result: Partial<Record<K, string>> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!(known as readonly string[]).includes(key)) {
      if (ignoreUnknown) continue;
      throw Errors.badParameter(key, `${key} is not a supported parameter here`, 'PARAMETER_UNPERMITTED');
    }
    if (typeof value !== 'string') throw Errors.badParameter(key, `${key} takes a single value`);
    result[key as K] = value;
  }
  return result;
}

export function required(parameters: Partial<Record<string, string>>, name: string): string {
  const value = parameters[name];
  if (value === undefined || value === '') throw Errors.badParameter(name, `${name} is required`, 'PARAMETER_MISSING');
  return value;
}

export function upgradeOptions(parameters: { channel?: string; constraint?: string }): UpgradeOptions {
  return {
    channels: parameters.channel === undefined ? null : channelSet(parameters.channel),
    constraint: parameters.constraint === undefined ? null : parseConstraint(parameters.constraint),
  };
}
