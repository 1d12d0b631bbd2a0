import { Foundation1763852000000 } from './1763852000000-Foundation.js';
import { Catalog1763855000000 } from './1763855000000-Catalog.js';

/** Every migration, oldest first. Landed migrations are never edited; add a new one. */
export const MIGRATIONS = [Foundation1763852000000, Catalog1763855000000];
