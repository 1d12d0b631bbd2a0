import type { NextFunction, Request, Response } from 'express';
import { type RequestState, stateOf } from './request-context.js';

export type ErrorStyle = NonNullable<RequestState['errorStyle']>;

/** A path pattern and its error style; `methods`, when given, narrows it to the requests it says. */
export type ErrorStyleRule = readonly [pattern: RegExp, style: ErrorStyle, methods?: (method: string) => boolean];

/** The error style of a request by its method and raw path (no query); undefined for JSON:API. */
export function errorStyleFor(rules: readonly ErrorStyleRule[], method: string, path: string): ErrorStyle | undefined {
  return rules.find(([pattern, , methods]) => pattern.test(path) && (!methods || methods(method.toUpperCase())))?.[1];
}

/**
 * Sets each engine's error style from the raw path, before routing: the router's own refusals
 * (a path segment that cannot be percent-decoded, say) happen before any route middleware runs,
 * and must still answer in the protocol's form (SPEC §1.3).
 */
export function errorStyleByPath(rules: readonly ErrorStyleRule[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const style = errorStyleFor(rules, req.method, req.originalUrl.split('?')[0]);
    if (style) stateOf(req).errorStyle = style;
    next();
  };
}
