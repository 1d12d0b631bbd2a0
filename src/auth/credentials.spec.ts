import { parseCredentials } from './credentials.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('parseCredentials (SPEC §1.5)', () => {
  it.each([
    ['no header', undefined, { scheme: 'none' }],
    ['blank header', '  ', { scheme: 'none' }],
    ['Bearer', 'Bearer admin_abc', { scheme: 'token', token: 'admin_abc' }],
    ['bearer, any case', 'bearer admin_abc', { scheme: 'token', token: 'admin_abc' }],
    ['Basic license:KEY', basic('license', 'KEY-1'), { scheme: 'license-key', key: 'KEY-1' }],
    ['Basic token:T', basic('token', 'dev_x'), { scheme: 'token', token: 'dev_x' }],
    ['Basic __token__:T', basic('__token__', 'dev_x'), { scheme: 'token', token: 'dev_x' }],
    ['Basic T: (empty pass)', basic('dev_x', ''), { scheme: 'token', token: 'dev_x' }],
    ['Basic T without colon', `Basic ${Buffer.from('dev_x').toString('base64')}`, { scheme: 'token', token: 'dev_x' }],
    ['Basic email:password', basic('a@b.co', 'pw:with:colons'), { scheme: 'password', email: 'a@b.co', password: 'pw:with:colons' }],
    ['Basic name:token (GitLab style)', basic('deploy', 'dev_x'), { scheme: 'token', token: 'dev_x' }],
    ['License KEY', 'License KEY-2', { scheme: 'license-key', key: 'KEY-2' }],
  ])('%s', (_, header, expected) => {
    expect(parseCredentials(header)).toEqual(expected);
  });

  it.each([
    ['an unknown scheme', 'Digest abc'],
    ['a scheme without a value', 'Bearer'],
    ['Basic that is not base64', 'Basic !!!'],
    ['Basic with nothing in it', basic('', '')],
  ])('refuses %s', (_, header) => {
    expect(parseCredentials(header).scheme).toBe('malformed');
  });
});
