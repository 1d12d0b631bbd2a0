import { accountPath, resource, timestamp, toOne, type ResourceObject } from '../common/jsonapi.js';
import type { Artifact } from '../database/entities/artifact.entity.js';
import { ARTIFACT_STATUSES } from '../database/entities/artifact.entity.js';
import { integer, metadata, nullable, oneOf, string, dateTime, toOne as toOneShape, type ResourceShape } from '../openapi/schema.js';

export function serializeArtifact(artifact: Artifact): ResourceObject {
  const base = accountPath(artifact.accountId);
  return resource(
    artifact.accountId,
    'artifacts',
    artifact.id,
    {
      filename: artifact.filename,
      filetype: artifact.filetype,
      filesize: artifact.filesize === null ? null : Number(artifact.filesize),
      platform: artifact.platform,
      arch: artifact.arch,
      checksum: artifact.checksum,
      signature: artifact.signature,
      status: artifact.status,
      sha256: artifact.sha256,
      downloads: Number(artifact.downloads),
      metadata: artifact.metadata,
      created: timestamp(artifact.createdAt),
      updated: timestamp(artifact.updatedAt),
    },
    { release: toOne('releases', artifact.releaseId, `${base}/releases/${artifact.releaseId}`) },
  );
}

/** What serializeArtifact writes (SPEC §3.5). */
export const ARTIFACT_SHAPE: ResourceShape = {
  type: 'artifacts',
  name: 'Artifact',
  description: 'A file of a release',
  attributes: {
    filename: string({ maxLength: 255, examples: ['app-1.0.0.tar.gz'] }),
    filetype: nullable(string({ examples: ['gz'] })),
    filesize: nullable(integer({ minimum: 0, examples: [1024] })),
    platform: nullable(string({ examples: ['linux'] })),
    arch: nullable(string({ examples: ['x86_64'] })),
    checksum: nullable(string({ description: 'The declared sha256/sha512 (hex or base64), verified when the bytes arrive' })),
    signature: nullable(string({ maxLength: 4096 })),
    status: oneOf(ARTIFACT_STATUSES, { description: 'Read-only' }),
    sha256: nullable(string({ pattern: '^[0-9a-f]{64}$', description: 'Read-only: computed by the server from the bytes', examples: ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'] })),
    downloads: integer({ minimum: 0, description: 'Read-only' }),
    metadata: metadata(),
    created: dateTime(),
    updated: dateTime(),
  },
  relationships: { release: toOneShape('releases') },
};
