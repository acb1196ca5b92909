// Baseline: the stack this project replaces, Express 5 + pg, running the API's statements with no auth, no
// validation library, no logging. Routes: /beneficiaries/:id, /beneficiaries/:id/sensitive (writes the audit
// row), /beneficiaries?cursor= (keyset page), /hello.
import express from 'express';
import { toPage } from '../../../src/platform/pagination.js';
import { announce, createPool, cursorOf, env, ID, PAGE_SIZE, statements } from './common.js';

const pool = createPool();
const sql = await statements(env('BENCH_ACTOR_ID'), pool);
const app = express();

app.get('/hello', (_req, res) => {
  res.json({ status: 'ok' });
});
app.get('/select-1', async (_req, res) => {
  res.json((await pool.query({ name: 'bench-select-1', text: 'SELECT 1 AS one' })).rows[0]);
});
app.get('/beneficiaries', async (req, res) => {
  const after = cursorOf(typeof req.query.cursor === 'string' ? req.query.cursor : undefined);
  const { rows } = await pool.query(sql.page(after));
  const page = toPage(rows as { sort_value: string; id: string }[], PAGE_SIZE, (r) => [r.sort_value, r.id]);
  res.json(page);
});
for (const [path, statement] of [
  ['/beneficiaries/:id', sql.point],
  ['/beneficiaries/:id/sensitive', sql.sensitive],
] as const) {
  app.get(path, async (req, res) => {
    const id = String(req.params.id);
    if (!ID.test(id)) return void res.status(400).json({ error: 'bad id' });
    const { rows } = await pool.query(statement(id));
    if (!rows[0]) return void res.status(404).json({ error: 'not found' });
    res.json(rows[0]);
  });
}

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  announce((server.address() as { port: number }).port);
});
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
