import { accountPath, resource, timestamp, toMany, type ResourceObject } from '../common/jsonapi.js';
import type { Engine } from '../database/entities/engine.entity.js';

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
