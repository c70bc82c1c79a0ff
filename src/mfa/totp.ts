// TOTP per RFC 6238 as authenticator apps speak it: SHA-1, 6 digits, 30 s steps, ±1 step accepted.
import { generate, generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

export const TOTP_PERIOD_SECONDS = 30;
/** ±1 step: a code shown just before or after the server's current step still works (clock drift, typing time). */
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
const CODE = /^\d{6}$/;

export const newTotpSecret = (): string => generateSecret({ length: 20 }); // 160 bits, RFC 4226's recommendation

export const isTotpCode = (code: string): boolean => CODE.test(code);

export function totpUri(secret: string, issuer: string, account: string): string {
  return generateURI({ issuer, label: account, secret });
}

export function qrCodeSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The time step a code belongs to (within ±1 of `epoch`'s), or null when it matches none. */
export async function totpStep(secret: string, code: string, epoch: number): Promise<number | null> {
  if (!isTotpCode(code)) return null;
  const result = await verify({ secret, token: code, epoch, epochTolerance: TOLERANCE_SECONDS });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** The code for `epoch` (tests and tools). */
export const totpCode = (secret: string, epoch: number): Promise<string> => generate({ secret, epoch });
