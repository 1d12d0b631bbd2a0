import { zipSync } from 'fflate';
import { readCoreMetadata } from './core-metadata.js';
import { METADATA_LIMIT, WheelMetadataReader } from './wheel-metadata.js';

/** Feeds a zip in small chunks, as an upload arrives. */
function read(zip: Uint8Array, chunk = 1000): Buffer {
  const reader = new WheelMetadataReader();
  for (let at = 0; at < zip.length; at += chunk) reader.push(Buffer.from(zip.subarray(at, at + chunk)));
  return reader.finish();
}

describe('a wheel METADATA read while streaming', () => {
  const metadata = 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Python: >=3.8\n\nlong description\n';

  it.each([0, 6] as const)('finds METADATA among other entries (level %d), whatever the chunking', (level) => {
    const zip = zipSync({ 'demo/__init__.py': Buffer.alloc(100_000, 1), 'demo-1.0.dist-info/METADATA': Buffer.from(metadata), 'demo-1.0.dist-info/RECORD': Buffer.from('x') }, { level });
    for (const chunk of [1, 7, 4096, zip.length]) expect(read(zip, chunk).toString()).toBe(metadata);
  });

  it('reads entries whose sizes follow their data (data descriptors, as Python writes to a pipe)', () => {
    // zipfile.ZipFile over a non-seekable stream: every local header has flag bit 3 and zero sizes.
    const streamed = Buffer.from(
      'UEsDBBQACAAIAE2BgV0AAAAAAAAAAAAAAAAQAAAAZGVtby9fX2luaXRfXy5weatQsFUw5KoYJYkgAVBLBwgiJ6eNDAAAACwBAABQSwMEFAAIAAgAAAAhAAAAAAAAAAAAAAAAABsAAABkZW1vLTEuMC5kaXN0LWluZm8vTUVUQURBVEHzTS1JTEksSdQNSy0qzszPs1Iw0jPk8kvMTbVSSEnNzeeCixvqGXBxAQBQSwcIMCbksyoAAAAvAAAAUEsDBBQACAAIAAAAIQAAAAAAAAAAAAAAAAAZAAAAZGVtby0xLjAuZGlzdC1pbmZvL1JFQ09SRCsqGgXEAgBQSwcI87WDLwcAAAAsAQAAUEsBAhQDFAAIAAgATYGBXSInp40MAAAALAEAABAAAAAAAAAAAAAAAIABAAAAAGRlbW8vX19pbml0X18ucHlQSwECFAMUAAgACAAAACEAMCbksyoAAAAvAAAAGwAAAAAAAAAAAAAAgAFKAAAAZGVtby0xLjAuZGlzdC1pbmZvL01FVEFEQVRBUEsBAhQDFAAIAAgAAAAhAPO1gy8HAAAALAEAABkAAAAAAAAAAAAAAIABvQAAAGRlbW8tMS4wLmRpc3QtaW5mby9SRUNPUkRQSwUGAAAAAAMAAwDOAAAACwEAAAAA',
      'base64',
    );
    expect(streamed.readUInt16LE(6) & 8).toBe(8);
    for (const chunk of [3, 64, streamed.length]) expect(read(streamed, chunk).toString()).toBe('Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n');
  });

  it('refuses a wheel without METADATA, with two, a zip bomb, and something that is no zip', () => {
    expect(() => read(zipSync({ 'demo/__init__.py': Buffer.from('') }))).toThrow(/no \.dist-info\/METADATA/);
    expect(() => read(zipSync({ 'a-1.dist-info/METADATA': Buffer.from(metadata), 'b-1.dist-info/METADATA': Buffer.from(metadata) }))).toThrow(/more than one/);
    const bomb = zipSync({ 'demo-1.0.dist-info/METADATA': Buffer.alloc(METADATA_LIMIT * 4, 0x41) }, { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => read(bomb)).toThrow(/inflates beyond/);
    expect(() => read(Buffer.from('PK\u0003\u0004 this is not a zip at all'))).toThrow(/zip|METADATA/);
    expect(() => read(Buffer.from('plain text'))).toThrow(/no \.dist-info\/METADATA/);
  });

  it('keeps no more than METADATA_LIMIT compressed bytes of METADATA', () => {
    const stored = zipSync({ 'demo-1.0.dist-info/METADATA': Buffer.alloc(METADATA_LIMIT + 1, 0x41) }, { level: 0 });
    expect(() => read(stored, 65536)).toThrow(/larger than/);
  });

  it('reads the fields the index needs from the METADATA headers', () => {
    expect(readCoreMetadata(Buffer.from(metadata))).toEqual({ name: 'demo', version: '1.0', requiresPython: '>=3.8' });
    expect(readCoreMetadata(Buffer.from('Name: a\nSummary: x\n  continued\nName: b\n'))).toEqual({ name: 'a', version: null, requiresPython: null });
  });
});
