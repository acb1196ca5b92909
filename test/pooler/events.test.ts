// test/modules/events.test.ts again, its app through PgBouncer in transaction mode (test/helpers/pgbouncer.ts):
// the outbox is written by triggers in the pooled writing transactions, and the relay leads, LISTENs and reads on
// its own session from DIRECT_DATABASE_URL (PostgreSQL itself), which a transaction pooler could not carry.
import t from 'tap';
import { throughPooler } from '../helpers/pgbouncer.js';

throughPooler(t, 'test/modules/events.test.ts');
