import { DomainError } from '../common/errors.js';
import { isPypiName } from '../products/package-key.js';
import { assertSameProject, parseDistribution, type Distribution } from './distribution.js';
import { isSpecifierSet, semverOfPep440 } from './pep440.js';
import { string, type Schema } from '../openapi/schema.js';

/**
 * The form fields of twine's legacy upload API that the index reads (SPEC §6.1). Everything else
 * twine sends (summary, description, classifiers, …) is ignored unread, however large.
 */
const READ_FIELDS = [
  'name',
  'version',
  'filetype',
  ':action',
  'protocol_version',
  'sha256_digest',
  'md5_digest',
  'blake2_256_digest',
  'requires_python',
] as const;
type FieldName = (typeof READ_FIELDS)[number];

/** The upload form as the OpenAPI document shows it (twine's legacy API, SPEC §6.1). */
export const UPLOAD_FORM_SCHEMA: Schema = {
  type: 'object',
  required: ['content', 'name', 'version'],
  properties: {
    content: { type: 'string', format: 'binary', description: 'The wheel or sdist' },
    name: string({ description: 'The project name' }),
    version: string({ description: 'The PEP 440 version' }),
    ':action': string({ enum: ['file_upload'] }),
    protocol_version: string({ enum: ['1'] }),
    filetype: string({ enum: ['bdist_wheel', 'sdist'], description: 'Inferred from the filename when absent' }),
    sha256_digest: string({ description: 'Must match when given' }),
    md5_digest: string({ description: 'Must match when given' }),
    blake2_256_digest: string({ description: 'Must match when given' }),
    requires_python: string(),
  },
  additionalProperties: { description: 'Other core-metadata fields (summary, description, classifiers, …) are accepted and ignored' },
};

const DIGESTS = { sha256_digest: 64, md5_digest: 32, blake2_256_digest: 64 } as const;
const FILETYPES: Record<string, Distribution['kind']> = { bdist_wheel: 'wheel', sdist: 'sdist' };

const bad = (parameter: string, detail: string, code = 'PARAMETER_INVALID') => new DomainError(400, code, detail, { parameter });

/** The fields as they arrive, checked as soon as they can be and once more when the form ends. */
export class UploadForm {
  private readonly fields = new Map<FieldName, string>();
  private problem: DomainError | null = null;

  add(name: string, value: string, truncated: boolean): void {
    if (!(READ_FIELDS as readonly string[]).includes(name) || this.problem) return;
    const field = name as FieldName;
    if (truncated) this.problem = bad(field, `The ${field} field is too long`);
    else if (this.fields.has(field) && this.fields.get(field) !== value) this.problem = bad(field, `The ${field} field was given twice with different values`);
    else this.fields.set(field, value);
  }

  /** Something the form says that cannot be read as the protocol asks (a limit, a broken part). */
  refuse(problem: DomainError): void {
    this.problem ??= problem;
  }

  get(name: FieldName): string | undefined {
    return this.fields.get(name);
  }

  /** The digest fields present now (a digest is computed only when it will be compared). */
  declares(name: keyof typeof DIGESTS): boolean {
    return this.fields.has(name);
  }

  /**
   * Everything the fields received so far allow checking against the file (before its bytes are
   * read, when twine sends the fields first); with `complete`, the form has ended and required
   * fields must be there.
   */
  check(dist: Distribution, complete: boolean): void {
    if (this.problem) throw this.problem;
    const action = this.get(':action');
    if (action !== undefined && action !== 'file_upload') throw bad(':action', `Unknown :action ${action}: only file_upload is supported`);
    const protocol = this.get('protocol_version');
    if (protocol !== undefined && protocol !== '1') throw bad('protocol_version', `Unknown protocol_version ${protocol}: only 1 is supported`);
    const filetype = this.get('filetype');
    if (filetype !== undefined && FILETYPES[filetype] !== dist.kind) {
      throw bad('filetype', FILETYPES[filetype] ? `The filetype ${filetype} does not match the file ${dist.filename}` : `Unknown filetype ${filetype}: use bdist_wheel or sdist`);
    }
    for (const [field, length] of Object.entries(DIGESTS)) {
      const value = this.get(field as FieldName);
      if (value !== undefined && !new RegExp(`^[0-9a-fA-F]{${length}}$`).test(value)) throw bad(field, `The ${field} field must be ${length} hexadecimal digits`);
    }
    const requiresPython = this.get('requires_python');
    if (requiresPython && !isSpecifierSet(requiresPython)) throw bad('requires_python', `requires_python ${requiresPython} is not a valid version specifier`);

    const name = this.get('name');
    const version = this.get('version');
    if (complete && name === undefined) throw bad('name', 'The name field is missing', 'NAME_MISSING');
    if (complete && version === undefined) throw bad('version', 'The version field is missing', 'VERSION_MISSING');
    if (name !== undefined && !isPypiName(name)) throw bad('name', `${name} is not a valid project name`);
    if (name !== undefined && version !== undefined) {
      assertSameProject(dist.kind === 'sdist' ? parseDistribution(dist.filename, name) : dist, name, semverOfPep440(version));
    }
  }

  /** A declared digest that the bytes do not match (SPEC §6.1: every supplied digest MUST match). */
  assertDigests(computed: { sha256: string; md5: string | null; blake2: string | null }): void {
    const pairs: [keyof typeof DIGESTS, string | null][] = [
      ['sha256_digest', computed.sha256],
      ['md5_digest', computed.md5],
      ['blake2_256_digest', computed.blake2],
    ];
    for (const [field, actual] of pairs) {
      const declared = this.get(field)?.toLowerCase();
      if (declared === undefined) continue;
      if (actual === null) throw bad(field, `The ${field} field must come before the content part`);
      if (declared !== actual) throw bad(field, `The ${field} does not match the uploaded file`, 'DIGEST_MISMATCH');
    }
  }
}
