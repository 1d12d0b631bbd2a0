import { parseCredentials } from '../auth/credentials.js';
import { AccountAliases, addressKey, budgetOf } from './request-key.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('rate-limit keys (SPEC §8.4)', () => {
  it.each([
    [undefined, 'standard'],
    ['Bearer admin_abc', 'staff'],
    ['Bearer dev_abc', 'staff'],
    ['Bearer ro_abc', 'staff'],
    ['Bearer prod_abc', 'staff'],
    ['Bearer user_abc', 'standard'],
    ['Bearer lic_abc', 'standard'],
    ['Bearer something-else', 'standard'],
    [basic('token', 'prod_abc'), 'staff'],
    [basic('__token__', 'admin_abc'), 'staff'],
    [basic('admin_abc', ''), 'staff'],
    [basic('license', 'ABCD-EFGH'), 'standard'],
    ['License ABCD-EFGH', 'standard'],
    [basic('someone@example.com', 'admin_password'), 'standard'],
    ['Digest admin_abc', 'standard'],
  ])('%s draws on the %s budget', (header, budget) => {
    expect(budgetOf(parseCredentials(header))).toBe(budget);
  });

  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['::1', '::/64'],
    [undefined, 'unknown'],
    ['not an address', 'unknown'],
  ])('%s is counted as %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it('knows a segment only once it has resolved, in any letter case', () => {
    const aliases = new AccountAliases();
    expect(aliases.idOf('Acme')).toBeUndefined();
    aliases.learn('Acme', 'a0d5d3a6-93c4-4f0e-9a53-1b1f0f2b7c11');
    expect(aliases.idOf('acme')).toBe('a0d5d3a6-93c4-4f0e-9a53-1b1f0f2b7c11');
    expect(aliases.idOf('ACME')).toBe('a0d5d3a6-93c4-4f0e-9a53-1b1f0f2b7c11');
  });
});
