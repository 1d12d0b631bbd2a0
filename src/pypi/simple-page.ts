import { createHash } from 'node:crypto';
import { PYPI_JSON, type PageType } from './negotiation.js';
import { boolean, dateTime, integer, string, type Schema } from '../openapi/schema.js';

/** One file of a project page, as the page query returns it. */
export interface PageFile {
  filename: string;
  /** Absolute URL of the file, without the hash fragment. */
  url: string;
  sha256: string;
  size: number;
  uploadTime: Date;
  requiresPython: string | null;
  /** sha256 of the file's core metadata, when it is served at `<url>.metadata`. */
  metadataSha256: string | null;
  yanked: boolean;
  /** The PEP 440 version of the file's release, when it has one. */
  version: string | null;
}

export interface RenderedPage {
  type: PageType;
  body: Buffer;
  /** Strong, over the bytes: any change to the page changes it. */
  etag: string;
}

const API_VERSION = '1.1';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SPECIAL = /[&<>"']/;
/** HTML-escaped; most names and URLs have nothing to escape, and are returned as they are. */
const escape = (text: string) => (SPECIAL.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]) : text);

/** The page's bytes, with the given ETag or else one over the bytes (hashing a large page costs milliseconds). */
function rendered(type: PageType, text: string, etag?: string): RenderedPage {
  const body = Buffer.from(text, 'utf8');
  return { type, body, etag: etag ?? `"${createHash('sha256').update(body).digest('base64url')}"` };
}

function html(title: string, lines: string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    `    <meta name="pypi:repository-version" content="${API_VERSION}">`,
    `    <title>${escape(title)}</title>`,
    '  </head>',
    '  <body>',
    `    <h1>${escape(title)}</h1>`,
    ...lines.map((line) => `    ${line}<br>`),
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

const META: Schema = { type: 'object', required: ['api-version'], properties: { 'api-version': string({ examples: ['1.1'] }) } };

/** The JSON pages' shapes (PEP 691), for the OpenAPI document. */
export const PYPI_INDEX_SCHEMA: Schema = {
  type: 'object',
  required: ['meta', 'projects'],
  properties: { meta: META, projects: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: string({ examples: ['app'] }) } } } },
};
export const PYPI_PROJECT_SCHEMA: Schema = {
  type: 'object',
  required: ['meta', 'name', 'versions', 'files'],
  properties: {
    meta: META,
    name: string({ examples: ['app'] }),
    versions: { type: 'array', items: string({ examples: ['1.0.0'] }) },
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['filename', 'url', 'hashes', 'size', 'upload-time', 'yanked'],
        properties: {
          filename: string({ examples: ['app-1.0.0-py3-none-any.whl'] }),
          url: string({ description: 'Absolute URL of the file (the artifact’s vanity URL)' }),
          hashes: { type: 'object', required: ['sha256'], properties: { sha256: string({ pattern: '^[0-9a-f]{64}$', examples: ['0'.repeat(64)] }) } },
          'requires-python': string({ examples: ['>=3.8'] }),
          size: integer({ minimum: 0 }),
          'upload-time': dateTime(),
          yanked: boolean(),
          'core-metadata': { type: 'object', properties: { sha256: string() } },
        },
      },
    },
  },
};

/** The index of projects (PEP 503 / 691): names are the normalized keys, linked relative to the index. */
export function renderIndex(type: PageType, projects: string[]): RenderedPage {
  if (type === PYPI_JSON) return rendered(type, JSON.stringify({ meta: { 'api-version': API_VERSION }, projects: projects.map((name) => ({ name })) }));
  return rendered(type, html('Simple index', projects.map((name) => `<a href="${escape(encodeURIComponent(name))}/">${escape(name)}</a>`)));
}

/**
 * A project page (PEP 503, 592, 629, 658/714, 691, 700), linear in its own files. HTML carries
 * `data-core-metadata` and the older `data-dist-info-metadata`; JSON only `core-metadata` (pip
 * 22.3–23.1 crash on a `dist-info-metadata` key).
 */
export function renderProject(type: PageType, name: string, files: PageFile[], etag?: string): RenderedPage {
  if (type === PYPI_JSON) {
    const versions = [...new Set(files.map((f) => f.version).filter((v) => v !== null))];
    const entries = files.map((f) => ({
      filename: f.filename,
      url: f.url,
      hashes: { sha256: f.sha256 },
      ...(f.requiresPython ? { 'requires-python': f.requiresPython } : {}),
      size: f.size,
      'upload-time': f.uploadTime.toISOString(),
      yanked: f.yanked,
      ...(f.metadataSha256 ? { 'core-metadata': { sha256: f.metadataSha256 } } : {}),
    }));
    return rendered(type, JSON.stringify({ meta: { 'api-version': API_VERSION }, name, versions, files: entries }), etag);
  }
  const anchors = files.map((f) => {
    const attributes = [`href="${escape(`${f.url}#sha256=${f.sha256}`)}"`];
    if (f.requiresPython) attributes.push(`data-requires-python="${escape(f.requiresPython)}"`);
    if (f.metadataSha256) attributes.push(`data-core-metadata="sha256=${f.metadataSha256}"`, `data-dist-info-metadata="sha256=${f.metadataSha256}"`);
    if (f.yanked) attributes.push('data-yanked=""');
    return `<a ${attributes.join(' ')}>${escape(f.filename)}</a>`;
  });
  return rendered(type, html(`Links for ${name}`, anchors), etag);
}
