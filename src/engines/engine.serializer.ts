import { accountPath, resource, timestamp, toMany, type ResourceObject } from '../common/jsonapi.js';
import type { Engine } from '../database/entities/engine.entity.js';
import { dateTime, oneOf, toMany as toManyShape, type ResourceShape } from '../openapi/schema.js';

const NAMES = { pypi: 'PyPI', tauri: 'Tauri', generic: 'Generic' } as const;

export function serializeEngine(engine: Engine): ResourceObject {
  return resource(
    engine.accountId,
    'engines',
    engine.id,
    { key: engine.key, name: NAMES[engine.key], created: timestamp(engine.createdAt), updated: timestamp(engine.updatedAt) },
    { packages: toMany(`${accountPath(engine.accountId)}/packages?engine=${engine.key}`) },
  );
}

export const ENGINE_SHAPE: ResourceShape = {
  type: 'engines',
  name: 'Engine',
  description: 'A distribution engine with at least one visible package (read-only, derived)',
  attributes: { key: oneOf(Object.keys(NAMES)), name: oneOf(Object.values(NAMES)), created: dateTime(), updated: dateTime() },
  relationships: { packages: toManyShape() },
};
