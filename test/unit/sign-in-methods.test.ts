// The last-way-in rule (SPEC §11, §12): what would remain after a removal must still sign the user in.
import { leavesNoWayIn } from '../../src/users/sign-in-methods';

describe('leavesNoWayIn', () => {
  it.each([
    [{ password: true, passkeys: 0, linkedAccounts: 0 }, false],
    [{ password: false, passkeys: 1, linkedAccounts: 0 }, false],
    [{ password: false, passkeys: 0, linkedAccounts: 1 }, false],
    [{ password: false, passkeys: 0, linkedAccounts: 0 }, true],
  ])('for %o answers %s', (remaining, expected) => {
    expect(leavesNoWayIn(remaining)).toBe(expected);
  });
});
