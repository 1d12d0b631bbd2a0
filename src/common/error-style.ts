import type { NextFunction, Request, Response } from 'express';
import { type RequestState, stateOf } from './request-context.js';

export type ErrorStyle = NonNullable<RequestState['errorStyle']>;

/**
 * Sets each engine's error style from the raw path, before routing: the router's own refusals
 * (a path segment that cannot be percent-decoded, say) happen before any route middleware runs,
 * and must still answer in the protocol's form (SPEC §1.3).
 */
export function errorStyleByPath(styles: readonly (readonly [RegExp, ErrorStyle])[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const path = req.originalUrl.split('?')[0];
    const style = styles.find(([pattern]) => pattern.test(path))?.[1];
    if (style) stateOf(req).errorStyle = style;
    next();
  };
}
