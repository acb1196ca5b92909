// A real server process for the fault tests (`node --import tsx apps/backend/src/server.ts`, or any other entry,
// e.g. the compiled build): its log lines, waiting for a line, its port, and plain HTTP requests on fresh
// connections.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { REPO } from '../setup/paths.js';
import { NO_COVERAGE } from '../helpers/child-env.js';

export interface ServerProcess {
  child: ChildProcess;
  /** Every log line's message so far (pino writes JSON when stdout is not a terminal; other lines as they are). */
  lines: string[];
  /** Every JSON log line so far, parsed. */
  records: Record<string, unknown>[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  port(): number;
}

export const TSX_ENTRY = ['--import', 'tsx', path.join(REPO, 'apps/backend/src/server.ts')];

export function spawnServer(env: Record<string, string>, args: string[] = TSX_ENTRY): ServerProcess {
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    // Only what the test sets: no DATABASE_URL or .env of the developer's shell leaks in.
    // No coverage for this tsx process (test/helpers/child-env.ts says why).
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      ...NO_COVERAGE,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  // A chunk may end inside a line: keep the unfinished tail of each stream until its newline arrives.
  const pending = { stdout: '', stderr: '' };
  const onData = (stream: keyof typeof pending) => (buf: Buffer) => {
    const text = pending[stream] + buf.toString('utf8');
    const parts = text.split('\n');
    pending[stream] = parts.pop()!;
    for (const raw of parts.filter(Boolean)) {
      let line = raw;
      try {
        const record = JSON.parse(raw) as Record<string, unknown>;
        records.push(record);
        line = String(record.msg ?? raw);
      } catch {
        // not JSON: keep the raw line
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (!w.pattern.test(line)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.on('data', onData('stdout'));
  child.stderr!.on('data', onData('stderr'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let port = 0;
  const server: ServerProcess = {
    child,
    lines,
    records,
    exited,
    port: () => port,
    waitFor(pattern, timeoutMs = 90_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-15).join('\n')}`),
            ),
          timeoutMs,
        );
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then((code) =>
          reject(new Error(`server exited (${code}) before logging ${pattern}:\n${lines.slice(-15).join('\n')}`)),
        );
      });
    },
  };
  void server.waitFor(/listening on http:\/\/[^:]+:(\d+)/, 600_000).then(
    (l) => (port = Number(/:(\d+)\//.exec(l)![1])),
    () => {},
  );
  return server;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a new TCP connection (agent: false), so "new connections are refused" is observable. */
export function request(
  port: number,
  method: string,
  url: string,
  o: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...o.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
