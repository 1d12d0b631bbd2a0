import { Foundation1763852000000 } from './1763852000000-Foundation.js';

/** Every migration, oldest first. Landed migrations are never edited; add a new one. */
export const MIGRATIONS = [Foundation1763852000000];
