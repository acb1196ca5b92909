// Cursors: one encoding, typed decoding by shape, and one answer to a cursor this API did not make, on
// every list (users included).
import t from 'tap';
import { decodeCursor, encodeCursor } from '../../apps/backend/src/platform/pagination.js';
import { buildTestApp } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';

const badCursor = { status: 400, errors: [{ path: 'querystring.cursor' }] };

t.test('decodeCursor returns typed values of the shape asked for, and refuses anything else', async (t) => {
  t.equal(decodeCursor(undefined, ['id']), null, 'no cursor: first page');
  t.same(decodeCursor(encodeCursor(['42']), ['id']), ['42']);
  t.same(decodeCursor(encodeCursor([0.5, '7']), ['number', 'id']), [0.5, '7']);
  t.same(decodeCursor(encodeCursor(['Ana', '7']), ['text', 'id']), ['Ana', '7']);
  const at = '2026-01-02T03:04:05.000000Z';
  t.same(decodeCursor(encodeCursor([at, '7']), ['timestamp', 'id']), [at, '7']);
  const refused: [string, Parameters<typeof decodeCursor>[1]][] = [
    ['not base64 json', ['id']],
    [encodeCursor(['42', '43']), ['id']], // wrong arity
    [encodeCursor([42]), ['id']], // an id is a string of digits
    [encodeCursor(['4x2']), ['id']],
    [encodeCursor([null]), ['id']],
    [encodeCursor(['0.5', '7']), ['number', 'id']],
    [encodeCursor(['yesterday', '7']), ['timestamp', 'id']],
    [Buffer.from('{"a":1}').toString('base64url'), ['id']],
  ];
  for (const [cursor, shape] of refused)
    t.throws(() => decodeCursor(cursor, shape), badCursor, `${cursor} as ${shape.join(',')}`);
});

t.test('every list answers a forged cursor with the same 400, users included', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  const forged = encodeCursor(['not-an-id']);
  for (const path of ['/users', '/projects', '/workshops', '/enrollments', '/audit', '/beneficiaries']) {
    const res = await ctx.app.inject({ method: 'GET', url: `/api/v1${path}?cursor=${forged}`, headers: boss.headers });
    t.equal(res.statusCode, 400, `${path}: 400`);
    t.match(res.json(), {
      code: 'bad_request',
      detail: 'The cursor is malformed',
      errors: [{ path: 'querystring.cursor' }],
    });
  }
});
