// Bench side for `npm run bench -- events`, in a process of its own (never the server's): N SSE clients of the
// change feed, the writer whose commits they time, and a bare LISTEN/NOTIFY round trip on the same PostgreSQL.
// Driven over IPC by scripts/bench/events.ts; answers one message per command.
//   { open: n }                   → { opened }     n streams live (each has had its `ready` frame)
//   { latency: samples }          → { ms: [...] }  per sample, send of the committing UPDATE → frame at each client
//   { bare: samples }             → { ms: [...] }  send of an UPDATE + NOTIFY transaction → notification at a
//                                                  LISTENing client (a bare round trip with the same durable commit)
//   { flood: events, batch }      → { seconds }    events written in transactions of `batch` (at most WINDOW ahead
//                                                  of the slowest client), until every client has them all
//   { close: true }               → { closed }
// Clients are plain HTTP with a minimal frame counter: a parsing library would make the client the bottleneck.
import http from 'node:http';
import pg from 'pg';

const API = process.env.BENCH_API_URL!;
const TOKEN = process.env.BENCH_TOKEN!;
const DATABASE_URL = process.env.DATABASE_URL!;
const PROJECT_ID = process.env.BENCH_PROJECT_ID!;
const MARK = '"row_id"'; // in every change frame, in no control frame
/** Events the writer may be ahead of the slowest client: about 0.6 MB of frames, below the 1 MiB stream buffer. */
const WINDOW = 2_500;

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic

interface Client {
  req: http.ClientRequest;
  count: number;
}

let clients: Client[] = [];
/** Called on every change frame any client receives: (client index, arrival time). */
let onFrame: (i: number, at: number) => void = () => {};
let onClose: (i: number, reason: string) => void = () => {};

function openClient(i: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = { count: 0 } as Client;
    client.req = http.get(
      `${API}/api/v1/events/stream`,
      { headers: { authorization: `Bearer ${TOKEN}` }, agent: false },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream ${i}: ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('close', () => onClose(i, 'the connection ended'));
        let tail = '';
        let live = false;
        res.on('data', (chunk: string) => {
          const at = now();
          const text = tail + chunk;
          if (!live && text.includes('event: ready')) {
            live = true;
            resolve(client);
          }
          // A mark starting at 0 lay wholly in the previous chunk's tail and was counted then.
          for (let k = text.indexOf(MARK, tail.length ? 1 : 0); k >= 0;) {
            client.count++;
            onFrame(i, at);
            k = text.indexOf(MARK, k + MARK.length);
          }
          // A `close` frame (slow_consumer, ...): the measurement fails rather than wait for frames to come.
          const close = /event: close\ndata: \{"reason":"([a-z_]+)"/.exec(text);
          if (close) onClose(i, close[1]!);
          tail = text.slice(-MARK.length);
        });
      },
    );
    client.req.on('error', reject);
  });
}

const db = new pg.Client({ connectionString: DATABASE_URL, application_name: 'bench-writer' });
const listener = new pg.Client({ connectionString: DATABASE_URL, application_name: 'bench-listener' });

/** Resolves when every client has received `more` change frames beyond what it has now; their arrival times. */
function allReach(more: number, timeoutMs: number): Promise<number[]> {
  const arrivals: number[] = [];
  const target = clients.map((c) => c.count + more);
  return new Promise((resolve, reject) => {
    const left = new Set(clients.map((_c, i) => i));
    const timer = setTimeout(
      () => reject(new Error(`${left.size} of ${clients.length} clients still short of ${more} more frames`)),
      timeoutMs,
    );
    onClose = (i, reason) => {
      clearTimeout(timer);
      reject(new Error(`client ${i}'s stream was closed by the API: ${reason}`));
    };
    onFrame = (i: number, at: number) => {
      if (!left.has(i) || clients[i]!.count < target[i]!) return;
      left.delete(i);
      arrivals.push(at);
      if (!left.size) {
        clearTimeout(timer);
        onFrame = () => {};
        onClose = () => {};
        resolve(arrivals);
      }
    };
  });
}

async function latency(samples: number): Promise<number[]> {
  const ms: number[] = [];
  for (let s = 0; s < samples; s++) {
    const arrived = allReach(1, 30_000);
    const sent = now();
    await db.query({
      name: 'bench-touch',
      text: 'UPDATE projects SET description = $1 WHERE id = $2',
      values: [`bench ${sent}`, PROJECT_ID],
    });
    for (const at of await arrived) ms.push(at - sent);
    await new Promise((r) => setTimeout(r, 5));
  }
  return ms;
}

async function bare(samples: number): Promise<number[]> {
  const ms: number[] = [];
  for (let s = 0; s < samples; s++) {
    const got = new Promise<number>((resolve) => listener.once('notification', () => resolve(now())));
    const sent = now();
    await db.query('UPDATE bench_touch SET n = n + 1 WHERE id = 1; NOTIFY bench_bare');
    ms.push((await got) - sent);
    await new Promise((r) => setTimeout(r, 5));
  }
  return ms;
}

/**
 * Writes `events` in transactions of `batch`, never more than WINDOW ahead of the slowest client (so no client
 * falls EVENTS_STREAM_BUFFER_BYTES behind and is dropped: a sustainable rate); seconds until every client has all.
 */
async function flood(events: number, batch: number): Promise<number> {
  const base = clients.map((c) => c.count);
  const slowest = () => Math.min(...clients.map((c, i) => c.count - base[i]!));
  const arrived = allReach(events, 300_000);
  let failed: unknown = null;
  arrived.catch((err: unknown) => (failed = err));
  const start = now();
  for (let written = 0; written < events; written += batch) {
    while (written - slowest() > WINDOW) {
      if (failed) throw failed;
      await new Promise((r) => setTimeout(r, 1));
    }
    await db.query({
      name: 'bench-flood',
      text: `INSERT INTO change_events (topic, row_id, action)
             SELECT 'projects', $1, 'update' FROM generate_series(1, $2)`,
      values: [PROJECT_ID, Math.min(batch, events - written)],
    });
  }
  const last = Math.max(...(await arrived));
  return (last - start) / 1000;
}

type Command =
  { open: number } | { latency: number } | { bare: number } | { flood: number; batch: number } | { close: true };

process.on('message', (m: Command) => {
  const run = async (): Promise<object> => {
    if ('open' in m) {
      for (let i = clients.length; i < m.open; i += 50)
        clients.push(
          ...(await Promise.all(Array.from({ length: Math.min(50, m.open - i) }, (_x, k) => openClient(i + k)))),
        );
      return { opened: clients.length };
    }
    if ('latency' in m) return { ms: await latency(m.latency) };
    if ('bare' in m) return { ms: await bare(m.bare) };
    if ('flood' in m) return { seconds: await flood(m.flood, m.batch) };
    for (const c of clients) c.req.destroy();
    clients = [];
    return { closed: true };
  };
  run().then(
    (r) => process.send!(r),
    (err: Error) => process.send!({ error: err.message }),
  );
});

await db.connect();
await listener.connect();
await listener.query('LISTEN bench_bare');
// The bare side commits a row too (one implicit transaction with its NOTIFY): both sides pay the same durable
// commit (WAL flush), so the difference is what the feed adds to the commit → listener round trip.
await db.query('CREATE TABLE IF NOT EXISTS bench_touch (id int PRIMARY KEY, n bigint NOT NULL)');
await db.query('INSERT INTO bench_touch VALUES (1, 0) ON CONFLICT DO NOTHING');
process.send!({ ready: 0 });
