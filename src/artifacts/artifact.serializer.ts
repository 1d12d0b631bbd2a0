import { accountPath, resource, timestamp, toOne, type ResourceObject } from '../common/jsonapi.js';
import type { Artifact } from '../database/entities/artifact.entity.js';

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
