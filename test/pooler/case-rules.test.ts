// test/modules/case-rules.test.ts again, its app through PgBouncer in transaction mode (test/helpers/pgbouncer.ts):
// the enrolment races (an archive or a closing racing an enrolment or a seat) hold when transactions share servers.
import t from 'tap';
import { throughPooler } from '../helpers/pgbouncer.js';

throughPooler(t, 'test/modules/case-rules.test.ts');
