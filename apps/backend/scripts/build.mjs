// `npm run build`: the server's TypeScript compiled to JavaScript in dist/ (tsc -p tsconfig.build.json), with the
// files it reads at run time beside its modules (migrations, the common-password list) and a stamp that
// `npm start` compares with src/. Plain JavaScript: it runs before anything is compiled, with no loader.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BACKEND = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SRC = path.join(BACKEND, 'src');
export const DIST = path.join(BACKEND, 'dist');
const TSCONFIG = path.join(BACKEND, 'tsconfig.build.json');
const STAMP = path.join(DIST, '.build-stamp');
// dist/ mirrors src/ file for file, so paths computed from import.meta.url (config.ts REPO_ROOT, the migrations
// directory, common-passwords.txt) resolve the same from both.
const INPUTS = [SRC, TSCONFIG, path.join(BACKEND, '../../tsconfig.json')];

/** Newest modification time (ms) of the build's inputs; 0 when src/ is absent (a deployment of dist/ alone). */
function newestInput() {
  if (!fs.existsSync(SRC)) return 0;
  let newest = 0;
  for (const input of INPUTS) {
    const files = fs.statSync(input).isDirectory()
      ? fs.readdirSync(input, { recursive: true }).map((f) => path.join(input, String(f)))
      : [input];
    for (const f of files) newest = Math.max(newest, fs.statSync(f).mtimeMs);
  }
  return newest;
}

/** 'fresh' when dist/ was built after the last change to its inputs; otherwise 'missing' or 'stale'. */
export function buildState() {
  if (!fs.existsSync(STAMP) || !fs.existsSync(path.join(DIST, 'server.js'))) return 'missing';
  return fs.statSync(STAMP).mtimeMs >= newestInput() ? 'fresh' : 'stale';
}

export function build(log = (line) => process.stderr.write(`${line}\n`)) {
  const started = new Date();
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new Error(
      'cannot build: TypeScript (a devDependency) is not installed here; run `npm run build` where it is and ship dist/',
    );
  }
  fs.rmSync(DIST, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', TSCONFIG], { stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status ?? result.signal})`);
  fs.cpSync(SRC, DIST, { recursive: true, filter: (f) => !f.endsWith('.ts') });
  // The stamp carries the time the build started: a source edited while tsc ran makes the build stale.
  fs.writeFileSync(STAMP, `${started.toISOString()}\n`);
  fs.utimesSync(STAMP, started, started);
  log(
    `built ${path.relative(process.cwd(), DIST) || 'dist'} in ${((Date.now() - started.getTime()) / 1000).toFixed(1)} s`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    build();
  } catch (err) {
    process.stderr.write(`build: ${err.message}\n`);
    process.exit(1);
  }
}
