// Bundles the view for psd: src/main.ts (and the CSS it imports) and
// src/boot.ts (the first requests, api.ts) into content-hashed files, index.html pointing at them, and a gzip copy of
// each, all in --out. Then, with --cpp FILE, writes the C++ table that
// embeds them in psd (runtime/api/web_assets.h).
//
//   node build.mjs --out DIR [--node-modules DIR] [--cpp FILE] [--dev]
//
// --node-modules: where `npm ci` put the packages (the build tree), when
// not beside this file. No network: esbuild and the packages are local.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

function args() {
  const a = { out: null, nodeModules: null, cpp: null, dev: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const need = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--out') a.out = resolve(need());
    else if (k === '--node-modules') a.nodeModules = resolve(need());
    else if (k === '--cpp') a.cpp = resolve(need());
    else if (k === '--dev') a.dev = true;
    else throw new Error(`unknown argument ${k}`);
  }
  if (!a.out) throw new Error('usage: node build.mjs --out DIR [--node-modules DIR] [--cpp FILE] [--dev]');
  return a;
}

// JavaScript as application/javascript, not text/javascript: psd's HTTP
// library compresses text/* bodies itself (and would compress the gzip
// copy again), so the large file goes out precompressed under a type it
// leaves alone, the small text/* ones compressed by the library
// (runtime/api/web_assets.cc).
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

async function main() {
  const a = args();
  // esbuild from where npm ci put it.
  const require = createRequire(join(a.nodeModules ?? join(here, 'node_modules'), 'x.js'));
  const { build } = require('esbuild');
  rmSync(a.out, { recursive: true, force: true });
  mkdirSync(a.out, { recursive: true });
  const result = await build({
    entryPoints: { app: join(here, 'src/main.ts'), 'app-boot': join(here, 'src/boot.ts') },
    bundle: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: !a.dev,
    keepNames: a.dev,
    sourcemap: false,
    // ECharts (Apache-2.0) and zrender (BSD-3-Clause) ask for their
    // notices to travel with them: kept, once each, at the end.
    legalComments: 'eof',
    outdir: a.out,
    entryNames: '[name]-[hash]',
    assetNames: 'asset-[hash]',
    metafile: true,
    nodePaths: a.nodeModules ? [a.nodeModules] : [],
    absWorkingDir: here,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => resolve(here, p));
  const js = outputs.find((p) => /\/app-[A-Z0-9]+\.js$/.test(p));
  const boot = outputs.find((p) => /\/app-boot-[A-Z0-9]+\.js$/.test(p));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (!js || !boot || !css) throw new Error('the bundle lacks its main script, its boot script or its style');
  const base = (p) => p.slice(a.out.length + 1);
  const html = readFileSync(join(here, 'src/index.html'), 'utf8').replace('{{JS}}', `/${base(js)}`).replace('{{BOOT}}', `/${base(boot)}`).replace('{{CSS}}', `/${base(css)}`);
  writeFileSync(join(a.out, 'index.html'), html);
  // The licenses of what the bundle holds, served as /licenses.txt.
  const nm = a.nodeModules ?? join(here, 'node_modules');
  const notices = [];
  for (const [pkg, files] of [['echarts', ['LICENSE', 'NOTICE']], ['zrender', ['LICENSE']], ['tslib', ['LICENSE.txt']]]) {
    for (const f of files) notices.push(`==== ${pkg}/${f}\n\n${readFileSync(join(nm, pkg, f), 'utf8')}`);
  }
  writeFileSync(join(a.out, 'licenses.txt'), `The PacketScope web view bundles these packages from npm.\n\n${notices.join('\n')}`);

  // The table: every file with its type, a gzip copy, and whether its name
  // is content-hashed (cached for good) or not (index.html: revalidated).
  const files = readdirSync(a.out).filter((f) => !f.endsWith('.gz')).sort();
  const manifest = [];
  let gzTotal = 0;
  for (const f of files) {
    const body = readFileSync(join(a.out, f));
    const gz = gzipSync(body, { level: constants.Z_BEST_COMPRESSION });
    writeFileSync(join(a.out, `${f}.gz`), gz);
    gzTotal += gz.length;
    const ext = f.slice(f.lastIndexOf('.'));
    manifest.push({
      path: f === 'index.html' ? '/' : `/${f}`,
      file: f,
      type: TYPES[ext] ?? 'application/octet-stream',
      immutable: f.startsWith('app-'),
      bytes: body.length,
      gzip_bytes: gz.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
  }
  writeFileSync(join(a.out, 'manifest.json'), JSON.stringify({ files: manifest, gzip_total: gzTotal }, null, 2));
  if (a.cpp) writeCpp(a.cpp, a.out, manifest);
  process.stdout.write(`web view: ${manifest.map((m) => `${m.file} ${m.bytes} B (${m.gzip_bytes} B gzip)`).join(', ')}; ${gzTotal} B gzip in all\n`);
}

// Bytes as a C++ array initializer, 24 to a line.
function bytesInitializer(buf) {
  const lines = [];
  for (let i = 0; i < buf.length; i += 24) lines.push(Array.from(buf.subarray(i, i + 24), (b) => String(b)).join(','));
  return lines.join(',\n');
}

function cString(s) {
  return JSON.stringify(s); // the paths and types are ASCII
}

function writeCpp(file, out, manifest) {
  const parts = [
    '// Generated by runtime/web/build.mjs from the bundled web view; do not edit.',
    '#include "api/web_assets.h"',
    '',
    'namespace psr::api {',
    'namespace {',
  ];
  manifest.forEach((m, i) => {
    const body = readFileSync(join(out, m.file));
    const gz = readFileSync(join(out, `${m.file}.gz`));
    parts.push(`const unsigned char body_${i}[] = {\n${bytesInitializer(body)}};`);
    parts.push(`const unsigned char gzip_${i}[] = {\n${bytesInitializer(gz)}};`);
  });
  parts.push('const WebAsset assets[] = {');
  manifest.forEach((m, i) => {
    parts.push(
      `  {${cString(m.path)}, ${cString(m.type)}, ` +
        `{reinterpret_cast<const char *>(body_${i}), sizeof body_${i}}, ` +
        `{reinterpret_cast<const char *>(gzip_${i}), sizeof gzip_${i}}, ${m.immutable}},`,
    );
  });
  parts.push('};', '} // namespace', '', 'const WebAsset *web_assets_begin() { return assets; }', 'const WebAsset *web_assets_end() { return assets + sizeof assets / sizeof assets[0]; }', '', '} // namespace psr::api', '');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, parts.join('\n'));
}

main().catch((e) => {
  process.stderr.write(`build.mjs: ${e.message ?? e}\n`);
  process.exit(1);
});
