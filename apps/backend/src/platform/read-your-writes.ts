// Read-your-writes across API instances: after a signed-in caller's write, the primary's WAL position is kept
// in Redis under the caller's session (`readfence:<sessionId>`, only ever raised); a routed read of that
// session goes to a replica that has replayed at least that far, else to the primary. Nothing is kept
// without replicas. Without Redis, or while it is away, routed reads stay on the primary: a fence that
// cannot be read is never assumed absent (docs/runbooks/read-replicas.md).
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Executor } from './db.js';
import { keys } from './redis.js';
import type { Lsn } from './replicas.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Where this request's list, search, report and export reads run (pass it to the repository as the
     * executor): a replica that has the caller's last write, else the primary.
     */
    reader(request: FastifyRequest): Promise<Executor>;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Raises the stored position, never lowers it (two writes of one session finishing out of order). Positions
// are stored as 16 hex digits, so comparing the strings compares the positions.
const RAISE_FENCE = `local cur = redis.call('GET', KEYS[1])
if (not cur) or cur < ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

const toKey = (lsn: Lsn) => lsn.toString(16).toUpperCase().padStart(16, '0');
/** The fence could not be read (Redis away): a position no replica has, so the read goes to the primary. */
const UNKNOWN: Lsn = 2n ** 64n - 1n;

async function readYourWrites(app: FastifyInstance) {
  const { db, redis } = app;
  const replicas = db.replicas;
  if (!replicas) {
    app.decorate('reader', async () => db.pool);
    return;
  }
  if (!redis)
    app.log.warn(
      'DATABASE_REPLICA_URLS is set but Redis is not: read-your-writes needs Redis, reads stay on the primary',
    );
  const ttl = String(replicas.fenceTtlMs);

  app.decorate('reader', async (request: FastifyRequest): Promise<Executor> => {
    const session = request.principal?.sessionId;
    // No usable replica: no Redis round trip. No session: nothing this caller wrote to wait for.
    if (!replicas.anyUsable() || !session) return db.reader(null);
    if (!redis) return db.reader(UNKNOWN);
    try {
      const stored = await redis.get(keys.readFence(session));
      return db.reader(stored ? BigInt(`0x${stored}`) : null);
    } catch {
      return db.reader(UNKNOWN);
    }
  });

  // Before the answer leaves: the caller's next request (on any instance) must find the fence.
  app.addHook('onSend', async (request, _reply, payload) => {
    const session = request.principal?.sessionId;
    if (!session || SAFE_METHODS.has(request.method) || !redis) return payload;
    try {
      const lsn = await db.walPosition();
      await redis.eval(RAISE_FENCE, 1, keys.readFence(session), toKey(lsn), ttl);
    } catch (err) {
      request.log.warn({ err: { message: (err as Error).message } }, 'read-your-writes position not recorded');
    }
    return payload;
  });
}

export default fp(readYourWrites, { name: 'read-your-writes', dependencies: ['db', 'redis', 'auth-guard'] });
