// DATA_ENCRYPTION_KEY and DATA_ENCRYPTION_OLD_KEYS (issue 13): the keys secrets are encrypted with at rest.
import { parseDataKey, type DataKey, type DataKeys } from '../crypto/data-cipher';
import type { Env } from './env.schema';

/** Undefined when DATA_ENCRYPTION_KEY is unset (a dev key is made under DATA_DIR; production refuses that). */
export function loadDataKeys(env: Pick<Env, 'DATA_ENCRYPTION_KEY' | 'DATA_ENCRYPTION_OLD_KEYS'>, problems: string[]): DataKeys | undefined {
  const old: DataKey[] = [];
  (env.DATA_ENCRYPTION_OLD_KEYS ?? '').split(',').map((text) => text.trim()).filter(Boolean).forEach((text, index) => {
    try {
      old.push(parseDataKey(text));
    } catch (error) {
      problems.push(`DATA_ENCRYPTION_OLD_KEYS entry ${index + 1} ${(error as Error).message}`);
    }
  });
  if (env.DATA_ENCRYPTION_KEY === undefined) {
    if (old.length > 0) problems.push('DATA_ENCRYPTION_OLD_KEYS is set but DATA_ENCRYPTION_KEY is not: set the new key in DATA_ENCRYPTION_KEY');
    return undefined;
  }
  try {
    const active = parseDataKey(env.DATA_ENCRYPTION_KEY);
    return { active, old: old.filter((key) => key.id !== active.id) };
  } catch (error) {
    problems.push(`DATA_ENCRYPTION_KEY ${(error as Error).message}`);
    return undefined;
  }
}
