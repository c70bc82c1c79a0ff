// The 10,000 most common passwords (NIST SP 800-63B §3.1.1.2: refuse "commonly used" passwords).
// Source: the `passwords-common` dictionary of @zxcvbn-ts/language-common (ranked most common
// first, built from public breach corpora), its first 10,000 entries. Loaded once, at start-up.
import { dictionary } from '@zxcvbn-ts/language-common';

export const COMMON_PASSWORD_COUNT = 10_000;

const common: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].slice(0, COMMON_PASSWORD_COUNT).map((password) => password.toLowerCase()),
);

/** Case-insensitive: "Password1" is as guessable as "password1", which attackers try first. */
export const isCommonPassword = (password: string): boolean => common.has(password.toLowerCase());
