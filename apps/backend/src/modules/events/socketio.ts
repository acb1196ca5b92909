// Socket.IO, as the original system's clients use it: namespace /events on the API's own HTTP server, the access
// token in the handshake's `auth`, the same topics, resume and guarantees as SSE (the same Subscription).
// Client → server: nothing after the handshake. Server → client: `change` (an event), `ready`, `reset`, and
// `closing` ({ reason }) before the server disconnects it.
import type { FastifyInstance } from 'fastify';
import { Server, type Socket } from 'socket.io';
import type { Principal } from '../../platform/auth.js';
import { toAppError, unauthorized } from '../../platform/errors.js';
import { parsePosition, type Position } from './position.js';
import type { EventsService } from './service.js';
import type { Sink } from './subscription.js';
import type { Topic } from './topics.js';

export const NAMESPACE = '/events';

interface Handshake {
  token?: unknown;
  last_event_id?: unknown;
  topics?: unknown;
}

interface SocketData {
  principal: Principal;
  topics: Topic[] | null;
  from: Position | null;
}

/** Bytes waiting for this client: packets not yet handed to the transport, and the WebSocket's own buffer. */
function pendingBytes(socket: Socket): number {
  const conn = socket.conn as unknown as {
    writeBuffer: { data?: unknown }[];
    transport: { socket?: { bufferedAmount?: number } };
  };
  let bytes = conn.transport.socket?.bufferedAmount ?? 0;
  for (const p of conn.writeBuffer) bytes += typeof p.data === 'string' ? p.data.length : 0;
  return bytes;
}

function socketSink(socket: Socket): Sink {
  return {
    pending: () => pendingBytes(socket),
    drained: () =>
      new Promise((resolve) => {
        if (!pendingBytes(socket) || socket.disconnected) return resolve();
        socket.conn.once('drain', () => resolve());
        socket.once('disconnect', () => resolve());
      }),
    send: (e) => socket.emit('change', e.event),
    ready: (position) => socket.emit('ready', { position }),
    reset: (position) => socket.emit('reset', { position, reason: 'retention' }),
    heartbeat: () => {}, // Engine.IO's own ping keeps the connection alive
    end: (reason) => {
      socket.emit('closing', { reason });
      socket.disconnect(true); // after the buffered packets are flushed
    },
  };
}

export function attachSocketIo(app: FastifyInstance, service: EventsService) {
  const origins = app.config.corsOrigins;
  const io = new Server(app.server, {
    serveClient: false,
    // Clients send nothing but the handshake.
    maxHttpBufferSize: 16_384,
    ...(origins.length ? { cors: { origin: origins } } : {}),
  });
  // Only /events answers; the default namespace refuses.
  io.of('/').use((_socket, next) => next(new Error(`connect to the ${NAMESPACE} namespace`)));
  const nsp = io.of(NAMESPACE);

  nsp.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as Handshake;
    const admit = async () => {
      if (typeof auth.token !== 'string') throw unauthorized('auth.token (an access token) is required');
      const principal = await app.authenticateToken(auth.token);
      const from =
        auth.last_event_id === undefined || auth.last_event_id === null
          ? null
          : parsePosition(String(auth.last_event_id), 'auth.last_event_id');
      const topics = service.topicsFor(
        principal,
        Array.isArray(auth.topics) ? auth.topics.join(',') : (auth.topics as string | undefined),
        'auth.topics',
      );
      service.admit(principal);
      socket.data = { principal, topics, from } satisfies SocketData;
    };
    admit().then(
      () => next(),
      (err: unknown) => {
        const problem = toAppError(err);
        if (problem.status >= 500) app.log.error({ err }, 'socket.io handshake failed');
        next(Object.assign(new Error(problem.message), { data: { code: problem.code, status: problem.status } }));
      },
    );
  });

  nsp.on('connection', (socket) => {
    const { principal, topics, from } = socket.data as SocketData;
    try {
      const sub = service.subscribe(principal, { topics, from }, socketSink(socket));
      socket.on('disconnect', () => sub.close('disconnected'));
    } catch (err) {
      // A limit reached between the handshake and now.
      const problem = toAppError(err);
      socket.emit('closing', { reason: problem.code });
      socket.disconnect(true);
    }
  });

  return {
    /** Ends every Engine.IO connection (streams were closed with the hub); leaves the HTTP server to Fastify. */
    close() {
      io.engine.close();
    },
  };
}
