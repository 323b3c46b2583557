// Runs tests/unit/*.test.ts under node's test runner: each file bundled by
// esbuild (the view's modules with it) into --out, then `node --test`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { options, requireFrom, webDir } from './common.mjs';

const o = options({ 'node-modules': undefined, out: join(webDir, 'dist-unit') });
const { buildSync } = requireFrom(o['node-modules'])('esbuild');
rmSync(o.out, { recursive: true, force: true });
mkdirSync(o.out, { recursive: true });
const dir = join(webDir, 'tests/unit');
const files = readdirSync(dir).filter((f) => f.endsWith('.test.ts'));
const outputs = [];
for (const f of files) {
  const outfile = join(o.out, f.replace(/\.ts$/, '.mjs'));
  buildSync({
    entryPoints: [join(dir, f)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    nodePaths: o['node-modules'] ? [o['node-modules']] : [],
    logLevel: 'warning',
  });
  outputs.push(outfile);
}
const r = spawnSync(process.execPath, ['--test', ...outputs], { stdio: 'inherit' });
process.exit(r.status ?? 1);
