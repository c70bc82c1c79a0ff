// What loadConfig refuses an environment for: its ConfigError's problems, each one fix-it line.
import { ConfigError, loadConfig } from '../../src/config/config';

/** The problems of an environment loadConfig must refuse; fails the test when it is accepted or fails otherwise. */
export function configProblems(env: Record<string, string | undefined>): string[] {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(caught)}`);
  for (const problem of caught.problems) expect(problem).not.toContain('\n');
  return caught.problems;
}
