import { Account } from './account.entity.js';
import { ArtifactMetadata } from './artifact-metadata.entity.js';
import { Artifact } from './artifact.entity.js';
import { Engine } from './engine.entity.js';
import { Entitlement } from './entitlement.entity.js';
import { EventLog } from './event-log.entity.js';
import { License } from './license.entity.js';
import { Package } from './package.entity.js';
import { Policy } from './policy.entity.js';
import { Product } from './product.entity.js';
import { ReleaseConstraint } from './release-constraint.entity.js';
import { Release } from './release.entity.js';
import { Token } from './token.entity.js';
import { User } from './user.entity.js';

export { Account, Artifact, ArtifactMetadata, Engine, Entitlement, EventLog, License, Package, Policy, Product, Release, ReleaseConstraint, Token, User };
export const ENTITIES = [Account, User, Token, EventLog, Product, Package, Engine, Entitlement, Policy, License, Release, ReleaseConstraint, Artifact, ArtifactMetadata];
