import { DomainError } from './errors.js';

/** How deep a JSON body may nest; metadata objects are small documents, not trees. */
export const MAX_JSON_DEPTH = 32;

function unsafeText(text: string): string | null {
  if (text.includes('\u0000')) return 'NUL characters are not allowed';
  if (!text.isWellFormed()) return 'unpaired UTF-16 surrogates are not allowed';
  return null;
}

/**
 * Rejects what PostgreSQL cannot store or what would exhaust the stack: NUL characters and
 * unpaired surrogates in strings (keys too), and nesting deeper than MAX_JSON_DEPTH. Walks
 * iteratively, so a hostile body cannot overflow the stack here either.
 */
export function checkJsonValue(root: unknown): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = unsafeText(value);
      if (problem) return problem;
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= MAX_JSON_DEPTH) return `the body nests deeper than ${MAX_JSON_DEPTH} levels`;
      for (const [key, child] of Object.entries(value)) {
        const problem = unsafeText(key);
        if (problem) return problem;
        stack.push({ value: child, depth: depth + 1 });
      }
    }
  }
  return null;
}

/** A path or query with NUL or broken characters is malformed: 400 before any lookup. */
export function checkUrl(url: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    throw new DomainError(400, 'URL_INVALID', 'The URL is not validly percent-encoded');
  }
  const problem = unsafeText(decoded);
  if (problem) throw new DomainError(400, 'URL_INVALID', `The URL is malformed: ${problem}`);
}
