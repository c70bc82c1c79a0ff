// Input rules for register (SPEC §4), checked before any hashing. Lengths count Unicode code points;
// no composition rules (NIST SP 800-63B), but the most common passwords are refused.
import { z } from 'zod';
import { BadUserInputError } from '../errors';
import { COMMON_PASSWORD_COUNT, isCommonPassword } from './common-passwords';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const EMAIL_MAX = 254;

export const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
};

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** The password policy, shared by register and changePassword. */
export const passwordSchema = z
  .string()
  .refine((value) => codePoints(value) >= PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .refine((value) => codePoints(value) <= PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`)
  .refine(
    (value) => codePoints(value) > PASSWORD_MAX || !isCommonPassword(value),
    `is one of the ${COMMON_PASSWORD_COUNT.toLocaleString('en')} most common passwords: choose another`,
  );

/** C0, DEL and C1 controls: PostgreSQL refuses NUL outright, and none belongs in an email or a name. */
const CONTROL_CHARACTER = /\p{Cc}/u;
const noControlCharacters = (value: string): boolean => !CONTROL_CHARACTER.test(value);
const NO_CONTROL_MESSAGE = 'must not contain control characters';

const emailSchema = z
  .string()
  .transform(normalizeEmail)
  .pipe(
    z
      .string()
      .refine(noControlCharacters, NO_CONTROL_MESSAGE)
      .max(EMAIL_MAX, `must be at most ${EMAIL_MAX} characters`)
      .pipe(z.email('must be a valid email address')),
  );

/** Whether register would accept this email: login refuses any other without a database read or a hash. */
export const isRegistrableEmail = (email: string): boolean => emailSchema.safeParse(email).success;

/** The normalised email, or BAD_USER_INPUT on `email` naming what is wrong with it. */
export function parseEmail(email: string): string {
  const result = emailSchema.safeParse(email);
  if (result.success) return result.data;
  throw new BadUserInputError([{ field: 'email', message: result.error.issues[0]?.message ?? 'must be a valid email address' }]);
}

const registerSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  name: z
    .string()
    .transform((value) => value.trim())
    .refine(noControlCharacters, NO_CONTROL_MESSAGE)
    .refine((value) => codePoints(value) >= 2, 'must be at least 2 characters')
    .refine((value) => codePoints(value) <= 100, 'must be at most 100 characters'),
});

export type RegisterData = z.output<typeof registerSchema>;

export function parseRegisterInput(input: { email: string; password: string; name: string }): RegisterData {
  const result = registerSchema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
  // One message per field is enough for a form to show.
  throw new BadUserInputError(fields.filter((field, index) => fields.findIndex((other) => other.field === field.field) === index));
}
