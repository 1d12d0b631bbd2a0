import { Foundation1763852000000 } from './1763852000000-Foundation.js';
import { Catalog1763855000000 } from './1763855000000-Catalog.js';
import { Distribution1763858000000 } from './1763858000000-Distribution.js';
import { Upgrades1764700000000 } from './1764700000000-Upgrades.js';
import { PackageFilenames1764800000000 } from './1764800000000-PackageFilenames.js';
import { PypiIndex1764900000000 } from './1764900000000-PypiIndex.js';
import { ChangeSerials1765000000000 } from './1765000000000-ChangeSerials.js';
import { DownloadsKeepSerials1765100000000 } from './1765100000000-DownloadsKeepSerials.js';

/** Every migration, oldest first. Landed migrations are never edited; add a new one. */
export const MIGRATIONS = [
  Foundation1763852000000,
  Catalog1763855000000,
  Distribution1763858000000,
  Upgrades1764700000000,
  PackageFilenames1764800000000,
  PypiIndex1764900000000,
  ChangeSerials1765000000000,
  DownloadsKeepSerials1765100000000,
];
