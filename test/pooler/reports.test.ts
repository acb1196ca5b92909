// test/modules/reports.test.ts again, its app through PgBouncer in transaction mode (test/helpers/pgbouncer.ts):
// the refresh's transaction-level lock and timeout, and exports streamed through a cursor, hold behind a pooler.
import t from 'tap';
import { throughPooler } from '../helpers/pgbouncer.js';

throughPooler(t, 'test/modules/reports.test.ts');
