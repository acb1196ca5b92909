// test/modules/beneficiaries.test.ts again, its app through PgBouncer in transaction mode (test/helpers/pgbouncer.ts).
import t from 'tap';
import { throughPooler } from '../helpers/pgbouncer.js';

throughPooler(t, 'test/modules/beneficiaries.test.ts');
