// Shared by the test scripts: arguments and loading esbuild from where
// `npm ci` put it (the build tree).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function options(spec) {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in spec)) throw new Error(`unknown argument ${argv[i]}`);
    out[key] = argv[++i];
  }
  for (const [k, v] of Object.entries(spec)) if (out[k] === undefined) out[k] = v;
  return out;
}

export function requireFrom(nodeModules) {
  return createRequire(join(resolve(nodeModules ?? join(webDir, 'node_modules')), 'x.js'));
}
