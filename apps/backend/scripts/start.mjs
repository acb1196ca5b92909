// `npm start`: the compiled server (dist/server.js) under plain node, no TypeScript loader. A fresh clone has no
// dist/ yet, and a working tree may have changed since the last build: then it builds first (npm run build).
// Production deployments run `npm run build` when they are made; here the check costs a few milliseconds.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, buildState, DIST } from './build.mjs';

const state = buildState();
if (state !== 'fresh') {
  process.stderr.write(
    `npm start: the compiled server is ${state === 'missing' ? 'missing' : 'older than src/'}; building it\n`,
  );
  try {
    build();
  } catch (err) {
    process.stderr.write(`npm start: ${err.message}\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(path.join(DIST, 'server.js')).href);
