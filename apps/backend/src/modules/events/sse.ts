// Server-sent events: the stream's frames on a hijacked HTTP response. `id:` is the position, so EventSource
// resumes by itself (Last-Event-ID) when it reconnects.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Position } from './position.js';
import type { Sink, Subscription } from './subscription.js';

/** A stream that did not close within this after its last frame is cut. */
const END_GRACE_MS = 5_000;

const frame = (event: string, id: Position | null, data: object) =>
  `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function sseSink(res: ServerResponse): Sink {
  return {
    pending: () => res.writableLength,
    drained: () =>
      res.writableLength === 0 || res.destroyed
        ? Promise.resolve()
        : new Promise((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          }),
    send: (e) => res.write(e.sse),
    ready: (position) => res.write(frame('ready', position, { position })),
    reset: (position) => res.write(frame('reset', position, { position, reason: 'retention' })),
    heartbeat: () => res.write(': heartbeat\n\n'),
    end: (reason) => {
      res.end(frame('close', null, { reason }));
      setTimeout(() => res.destroy(), END_GRACE_MS).unref();
    },
  };
}

/** Answers 200 text/event-stream and hands the connection to a subscription. */
export function openEventStream(reply: FastifyReply, subscribe: (sink: Sink) => Subscription) {
  const res = reply.raw;
  reply.hijack();
  const socket = reply.request.raw.socket;
  socket.setTimeout(0); // the server's idle timeout does not apply: heartbeats keep it busy
  socket.setNoDelay(true);
  res.writeHead(200, {
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no', // proxies (nginx) must not buffer the stream
    connection: 'close', // never reused: when the stream ends, so does the connection (no wait at shutdown)
  });
  res.write('retry: 2000\n\n');
  const sub = subscribe(sseSink(res));
  res.on('close', () => sub.close('disconnected'));
}
