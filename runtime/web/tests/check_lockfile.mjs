// The lockfile pins every package to an exact version from the npm
// registry: no `resolved` URL elsewhere (a git host, a tarball URL, a
// mirror), an integrity hash on each, and package.json with exact
// versions only (no ^ or ~ ranges).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const lockPath = process.argv[2];
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const pkg = JSON.parse(readFileSync(join(dirname(lockPath), 'package.json'), 'utf8'));
const problems = [];
for (const [name, entry] of Object.entries(lock.packages ?? {})) {
  if (name === '') continue;
  if (entry.link) {
    problems.push(`${name}: a link, not a registry package`);
    continue;
  }
  if (!entry.resolved?.startsWith('https://registry.npmjs.org/')) problems.push(`${name}: resolved from ${entry.resolved}`);
  if (!entry.integrity?.startsWith('sha512-')) problems.push(`${name}: no sha512 integrity`);
}
for (const field of ['dependencies', 'devDependencies']) {
  for (const [name, version] of Object.entries(pkg[field] ?? {}))
    if (!/^\d+\.\d+\.\d+$/.test(version)) problems.push(`package.json ${field}.${name}: "${version}" is not an exact version`);
}
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`1 test: 0 passed, 1 failed`);
  process.exit(1);
}
console.log(`lockfile: ${Object.keys(lock.packages).length - 1} packages, all from registry.npmjs.org with integrity hashes`);
