// The shared PostgreSQL and Redis of this test run (started by test/setup/before.ts).
import fs from 'node:fs';
import { STATE_FILE, type ServicesState } from '../setup/paths.js';

let state: ServicesState | undefined;

export function services(): ServicesState {
  if (!state) {
    if (!fs.existsSync(STATE_FILE)) throw new Error('test services are not running: run the tests with `npm test`');
    state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as ServicesState;
  }
  return state;
}
