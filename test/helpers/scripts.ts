// Runs a script of apps/backend/scripts as the operator does (a child process under tsx), with a clean
// environment: only PATH, HOME, NODE_ENV=test and what the test passes. Asynchronous, so the test's own event
// loop (its app, its Redis client) keeps running meanwhile.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { REPO } from '../setup/paths.js';
import { NO_COVERAGE } from './child-env.js';

export function runScript(name: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(REPO, 'apps/backend/scripts', name), ...args],
      {
        cwd: REPO,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          NODE_ENV: 'test',
          ...NO_COVERAGE,
          ...env,
        },
        encoding: 'utf8',
        timeout: 180_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}
