/**
 * Routes whose request body is the raw upload, whatever its Content-Type: no body parser may
 * read it first (the signed upload URLs, SPEC §3.5; the generic registry's file PUT, §6.3).
 * Matched on the path as sent, case-insensitively as routing is.
 */
const RAW_BODY_ROUTES: readonly RegExp[] = [
  /^\/storage\//i,
  /^\/v1\/accounts\/[^/?#]+\/engines\/generic\/[^/?#]+\/[^/?#]+\/[^/?#]+\/?(?:[?#]|$)/i,
];

export function takesRawBody(url: string): boolean {
  return RAW_BODY_ROUTES.some((route) => route.test(url));
}
