// What is running: the version (apps/backend/package.json), the git commit and the build time. The commit comes
// from GIT_COMMIT when the deployment sets it, else from git in the checkout; the build time from BUILD_TIME, else
// from the stamp `npm run build` leaves beside the compiled code (dist/.build-stamp). Unknown is null, never
// a guess. Read once.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';

export interface BuildInfo {
  version: string;
  git_commit: string | null;
  build_time: string | null;
}

const CODE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BACKEND = path.resolve(CODE_ROOT, '..');

function gitCommit(given: string | undefined): string | null {
  if (given) return given.toLowerCase();
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: BACKEND, timeout: 2_000, stdio: 'pipe' });
    return out.toString().trim() || null;
  } catch {
    return null; // no git, or not a checkout (a container with dist/ only)
  }
}

function buildTime(given: string | undefined): string | null {
  const stamp = path.join(CODE_ROOT, '.build-stamp');
  const raw = given || (fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').trim() : '');
  const t = raw ? new Date(raw) : null;
  return t && !Number.isNaN(t.getTime()) ? t.toISOString() : null;
}

let info: BuildInfo | null = null;
export function buildInfo(config: Pick<Config, 'GIT_COMMIT' | 'BUILD_TIME'>): BuildInfo {
  info ??= {
    version: (JSON.parse(fs.readFileSync(path.join(BACKEND, 'package.json'), 'utf8')) as { version: string }).version,
    git_commit: gitCommit(config.GIT_COMMIT),
    build_time: buildTime(config.BUILD_TIME),
  };
  return info;
}
