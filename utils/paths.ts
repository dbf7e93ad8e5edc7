// Where the project's own files are, whether the code runs from its TypeScript sources (tsx) or from
// the compiled copy in dist/: the nearest folder above this file that holds package.json.
import { existsSync } from 'node:fs';
import path from 'node:path';

function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PROJECT_ROOT = projectRoot(__dirname);

/** A file of the project by its path from the root (prompts/explain.v1.md), the same from src or dist. */
export function projectFile(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}
