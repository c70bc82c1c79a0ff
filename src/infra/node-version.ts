// The Node.js versions Portcullis runs on: 24 LTS (recommended) and 22 LTS from 22.18, as package.json's
// "engines" says (test/unit/node-version.test.ts keeps the two in step). main.ts imports this first, so
// an older Node stops with one line before any dependency that needs a newer one is loaded.

/** The oldest Node.js that runs Portcullis: @graphql-tools/utils 13 requires 22.18. */
export const MINIMUM_NODE_VERSION = '22.18.0';

/** Null when `version` (like process.versions.node) is supported, else the one line to print. */
export function unsupportedNodeMessage(version: string, minimum = MINIMUM_NODE_VERSION): string | null {
  const have = version.split('.').map(Number);
  const need = minimum.split('.').map(Number);
  for (let i = 0; i < need.length; i += 1) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a > b) return null;
    if (a < b) {
      return `Portcullis needs Node.js ${minimum} or newer (24 LTS recommended, 22 LTS supported); this is Node.js ${version}.`;
    }
  }
  return null;
}

const problem = unsupportedNodeMessage(process.versions.node);
if (problem) {
  console.error(problem);
  process.exit(1);
}
