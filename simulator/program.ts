// What the two commands share: knowing whether their file is the program node was started with.

import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

/** True when the module at `moduleUrl` (its import.meta.url) is the program, also through npm's bin link. */
export function isProgram(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(fs.realpathSync(script)).href === moduleUrl;
  } catch {
    return false;
  }
}
