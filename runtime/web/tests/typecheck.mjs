// `tsc --noEmit` over src/ and tests/unit/ with the packages of the build
// tree: a tsconfig in --out that extends ours and points module
// resolution there.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { options, webDir } from './common.mjs';

const o = options({ 'node-modules': join(webDir, 'node_modules'), out: join(webDir, 'dist-typecheck') });
const nm = resolve(o['node-modules']);
mkdirSync(o.out, { recursive: true });
const config = join(o.out, 'tsconfig.json');
writeFileSync(
  config,
  JSON.stringify({
    extends: join(webDir, 'tsconfig.json'),
    compilerOptions: { baseUrl: nm, paths: { '*': [`${nm}/*`] }, typeRoots: [join(nm, '@types')] },
    include: [join(webDir, 'src/**/*.ts'), join(webDir, 'tests/unit/**/*.ts')],
  }),
);
const r = spawnSync(process.execPath, [join(nm, 'typescript/bin/tsc'), '--noEmit', '-p', config], { stdio: 'inherit' });
if (r.status === 0) console.log('typecheck: no errors');
process.exit(r.status ?? 1);
