import type { Request, Response } from 'express';
import type { Account } from '../database/entities/account.entity.js';
import type { Bearer } from '../auth/bearer.js';
import type { ChangeSerials } from '../database/change-serials.js';

/** What the pipeline learns about a request, attached to the Express request object. */
export interface RequestState {
  requestId: string;
  account?: Account;
  /** The account's change serials, read with the account; in-process caches are checked against them. */
  serials?: ChangeSerials;
  bearer?: Bearer;
  /** Set by the auth guard when Basic email:password was sent to a route that accepts it. */
  passwordLogin?: { email: string; password: string };
  startedAt: bigint;
  /** Engine routes answer errors in their own protocol's form (SPEC §1.3). */
  errorStyle?: 'jsonapi' | 'json' | 'text';
  /** The 401 challenge, when a route's clients need another than its error style implies (SPEC §1.5). */
  challenge?: 'Basic' | 'Bearer';
  /** Set by the rate limiter: told of each error answer, so failed authentications count double (SPEC §8.4). */
  rateLimit?: { onErrorAnswer(error: { status: number; code: string }, res: Response): void };
}

export type KeyshelfRequest = Request & { keyshelf: RequestState };

export function stateOf(req: Request): RequestState {
  return (req as KeyshelfRequest).keyshelf;
}
