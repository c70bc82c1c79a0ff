// Checks a second-factor code for a user: a TOTP code (each time step accepted once, on every instance)
// or, where allowed, a single-use recovery code.
import type { Clock } from '../auth/tokens';
import type { DataCipher } from '../crypto/data-cipher';
import type { MfaRepository, TotpFactor } from './mfa.repository';
import { recoveryCodeHash } from './recovery-codes';
import { isTotpCode, totpStep } from './totp';

export type SecondFactorMethod = 'TOTP' | 'RECOVERY_CODE';

export type CodeCheck = { ok: true; method: SecondFactorMethod } | { ok: false; reason: string };

/** Longer than any code: refused before any work. */
const MAX_CODE_LENGTH = 64;

export const totpContext = (userId: string): string => `totp:${userId}`;

export class CodeVerifier {
  constructor(
    private readonly repository: MfaRepository,
    private readonly cipher: DataCipher,
    private readonly clock: Clock,
  ) {}

  /** The user's secret, decrypted; rewritten under the active key when it was under a retired one. */
  async secretOf(factor: TotpFactor): Promise<string> {
    const secret = this.cipher.decrypt(factor.secretCiphertext, totpContext(factor.userId));
    if (factor.confirmedAt && this.cipher.needsReencryption(factor.secretCiphertext)) {
      await this.repository.rewriteSecret(factor.userId, this.cipher.encrypt(secret, totpContext(factor.userId)));
    }
    return secret;
  }

  async check(userId: string, code: string, options: { allowRecoveryCode: boolean }): Promise<CodeCheck> {
    const factor = await this.repository.findTotp(userId);
    if (!factor?.confirmedAt) return { ok: false, reason: 'no second factor' };
    const typed = code.length <= MAX_CODE_LENGTH ? code.replace(/\s/g, '') : '';
    if (isTotpCode(typed)) {
      const step = await totpStep(await this.secretOf(factor), typed, this.clock());
      if (step === null) return { ok: false, reason: 'wrong TOTP code' };
      if (!(await this.repository.useTotpStep(userId, step))) return { ok: false, reason: 'TOTP code already used' };
      return { ok: true, method: 'TOTP' };
    }
    if (!options.allowRecoveryCode) return { ok: false, reason: 'not a TOTP code' };
    const hash = recoveryCodeHash(typed);
    if (!hash) return { ok: false, reason: 'malformed code' };
    if (!(await this.repository.useRecoveryCode(userId, hash))) return { ok: false, reason: 'wrong or used recovery code' };
    return { ok: true, method: 'RECOVERY_CODE' };
  }
}
