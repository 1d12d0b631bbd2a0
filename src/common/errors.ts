/** Where in the request an error points (SPEC §1.3). */
export type ErrorSource = { pointer: string } | { parameter: string } | { header: string };

/**
 * A failure the client can understand. Services throw these; the exception filter maps them
 * to a JSON:API error document or to the engine protocol's form.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly source?: ErrorSource,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  get title(): string {
    return STATUS_TITLES[this.status] ?? 'Error';
  }
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Access denied',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  422: 'Unprocessable resource',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

const pointer = (path: string): ErrorSource => ({ pointer: path });
export const attributePointer = (name: string): ErrorSource => pointer(`/data/attributes/${name}`);
export const relationshipPointer = (name: string): ErrorSource => pointer(`/data/relationships/${name}`);

/** UPPER_SNAKE form of an attribute name for `<ATTRIBUTE>_<KIND>` codes. */
export function attributeCode(name: string, kind: string): string {
  return `${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_${kind}`;
}

export const Errors = {
  badRequest: (code: string, detail: string, source?: ErrorSource) => new DomainError(400, code, detail, source),
  badParameter: (parameter: string, detail: string, code = 'PARAMETER_INVALID') =>
    new DomainError(400, code, detail, { parameter }),
  notFound: (what = 'resource') => new DomainError(404, 'NOT_FOUND', `The requested ${what} was not found`),
  forbidden: (detail: string, code = 'FORBIDDEN') => new DomainError(403, code, detail),
  unprocessable: (code: string, detail: string, source?: ErrorSource) => new DomainError(422, code, detail, source),
  conflict: (code: string, detail: string, source?: ErrorSource) => new DomainError(409, code, detail, source),
};

/** True when a write failed on a unique index (PostgreSQL 23505), optionally a given one. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driverError = (error as { driverError?: { code?: string; constraint?: string } })?.driverError;
  return driverError?.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}

/** True when a write referred to a row that is gone (PostgreSQL 23503): a race with a delete. */
export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { driverError?: { code?: string } })?.driverError?.code === '23503';
}
