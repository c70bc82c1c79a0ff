// How a client IP becomes a per-IP rate-limit key: IPv4 as it is, IPv6 by its /64.
import { clientKey } from '../../src/auth/rate-limit';

describe('clientKey', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('keys %s as %s', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });

  it('keeps braces out of the key, so user input can never choose a Redis Cluster hash tag', () => {
    expect(clientKey('{evil}')).toBe('evil');
  });
});
