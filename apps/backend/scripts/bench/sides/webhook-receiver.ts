// A webhook receiver for `npm run bench -- jobs`: answers every POST with 204 at once, counts them and notes when
// the first and the last arrived (one clock for both senders). Its own process, so neither sender shares its
// event loop. Over IPC: {"reset":true} → {"count":0,…}, {"count":true} → {"count":n,"seconds":last-first}.
import http from 'node:http';
import { announce } from './common.js';

let count = 0;
let first = 0;
let last = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    last = performance.now();
    if (count++ === 0) first = last;
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;
process.on('message', (m: { reset?: boolean }) => {
  if (m.reset) count = 0;
  process.send!({ count, seconds: count > 1 ? (last - first) / 1000 : 0 });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(0, '127.0.0.1', () => announce((server.address() as { port: number }).port));
