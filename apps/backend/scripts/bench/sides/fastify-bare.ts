// A bare Fastify + pg server: no plugins, no hooks, no schemas, no logger. The same routes and statements as the
// Express baseline; /hello is the ceiling /health/live is measured against.
import Fastify from 'fastify';
import { toPage } from '../../../src/platform/pagination.js';
import { announce, createPool, cursorOf, env, ID, PAGE_SIZE, statements } from './common.js';

const pool = createPool();
const sql = await statements(env('BENCH_ACTOR_ID'), pool);
const app = Fastify({ logger: false });

app.get('/hello', async () => ({ status: 'ok' }));
app.get('/select-1', async () => (await pool.query({ name: 'bench-select-1', text: 'SELECT 1 AS one' })).rows[0]);
app.get<{ Querystring: { cursor?: string } }>('/beneficiaries', async (req) => {
  const { rows } = await pool.query(sql.page(cursorOf(req.query.cursor)));
  return toPage(rows as { sort_value: string; id: string }[], PAGE_SIZE, (r) => [r.sort_value, r.id]);
});
for (const [path, statement] of [
  ['/beneficiaries/:id', sql.point],
  ['/beneficiaries/:id/sensitive', sql.sensitive],
] as const) {
  app.get<{ Params: { id: string } }>(path, async (req, reply) => {
    if (!ID.test(req.params.id)) return reply.code(400).send({ error: 'bad id' });
    const { rows } = await pool.query(statement(req.params.id));
    if (!rows[0]) return reply.code(404).send({ error: 'not found' });
    return rows[0];
  });
}

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
announce((app.server.address() as { port: number }).port);
process.on('SIGTERM', () => void app.close().then(() => pool.end().then(() => process.exit(0))));
