// The bundle's size against the target (docs/performance.md): under 600
// KiB gzipped, everything the page loads added up.
import { readFileSync } from 'node:fs';

const LIMIT = 600 * 1024;
const m = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const f of m.files) console.log(`${f.path}: ${f.bytes} B, ${f.gzip_bytes} B gzip`);
console.log(`total gzip: ${m.gzip_total} B (${(m.gzip_total / 1024).toFixed(1)} KiB; limit ${LIMIT / 1024} KiB)`);
if (m.gzip_total >= LIMIT) {
  console.error('the bundle is over its size target');
  process.exit(1);
}
