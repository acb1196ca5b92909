// Real clients of the change feed for tests: the `eventsource` package (what a browser's EventSource does, with a
// header or a ticket) and `socket.io-client`. Each records what it received, in order.
import { EventSource } from 'eventsource';
import { io, type Socket } from 'socket.io-client';
import type { Test } from 'tap';
import type { ChangeEvent } from '../../apps/backend/src/modules/events/index.js';
import { waitFor } from './wait.js';

/** An event as the client receives it: the module's ChangeEvent, as JSON. */
export type FeedEvent = ChangeEvent;

export interface FeedClient {
  /** Change events received, in order. */
  events: FeedEvent[];
  /** Control frames in order: ready, reset, close (with their data). */
  control: { type: string; data: Record<string, unknown> }[];
  /** Resolves with the position once the stream is live (after any catch-up). */
  ready: Promise<string>;
  /** The stream ended (closed by the server or failed). */
  closed: () => boolean;
  /** Waits until `n` change events arrived (or fails naming what was received). */
  waitForEvents(n: number, timeout?: number): Promise<FeedEvent[]>;
  close(): void;
}

function recorder(t: Test) {
  const events: FeedEvent[] = [];
  const control: FeedClient['control'] = [];
  let ended = false;
  let resolveReady!: (p: string) => void;
  const ready = new Promise<string>((r) => (resolveReady = r));
  return {
    events,
    control,
    ready,
    onEvent: (e: FeedEvent) => events.push(e),
    onControl: (type: string, data: Record<string, unknown>) => {
      control.push({ type, data });
      if (type === 'ready') resolveReady(String(data.position));
    },
    end: () => (ended = true),
    closed: () => ended,
    waitForEvents: (n: number, timeout = 10_000) =>
      waitFor(() => events.length >= n && events, {
        timeout,
        what: `${n} events (got ${events.length}: ${events.map((e) => `${e.topic}/${e.row_id}/${e.action}`).join(', ')})`,
      }).then((all) => {
        t.ok(true, `received ${all.length} events`);
        return all;
      }),
  };
}

/**
 * An SSE client on `baseUrl` (`http://127.0.0.1:<port>`): `auth` is an access token (sent as the Authorization
 * header) or `{ ticket }` (in the URL, as a browser does). No automatic reconnection: a test reconnects itself.
 */
export function sseClient(
  t: Test,
  baseUrl: string,
  auth: string | { ticket: string },
  o: { topics?: string; lastEventId?: string; lastEventIdHeader?: string } = {},
): FeedClient {
  const url = new URL('/api/v1/events/stream', baseUrl);
  if (typeof auth !== 'string') url.searchParams.set('ticket', auth.ticket);
  if (o.topics) url.searchParams.set('topics', o.topics);
  if (o.lastEventId) url.searchParams.set('last_event_id', o.lastEventId);
  const rec = recorder(t);
  const headers: Record<string, string> = {};
  if (typeof auth === 'string') headers.authorization = `Bearer ${auth}`;
  if (o.lastEventIdHeader) headers['last-event-id'] = o.lastEventIdHeader;
  const es = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...headers } }),
  });
  es.onmessage = (m) => rec.onEvent(JSON.parse(m.data) as FeedEvent);
  for (const type of ['ready', 'reset', 'close'])
    es.addEventListener(type, (m) => rec.onControl(type, JSON.parse((m as MessageEvent).data)));
  es.onerror = () => {
    // The server ended the stream (or refused it): record it, and do not let the client retry on its own.
    rec.end();
    es.close();
  };
  const client: FeedClient = { ...rec, close: () => es.close() };
  t.teardown(() => es.close());
  return client;
}

/** A Socket.IO client of namespace /events; `connected` resolves, or rejects with the handshake's error data. */
export function socketClient(
  t: Test,
  baseUrl: string,
  token: string,
  o: { topics?: string | string[]; lastEventId?: string; transports?: ('websocket' | 'polling')[] } = {},
): FeedClient & { socket: Socket; connected: Promise<void> } {
  const rec = recorder(t);
  const socket = io(`${baseUrl}/events`, {
    auth: {
      token,
      ...(o.topics ? { topics: o.topics } : {}),
      ...(o.lastEventId ? { last_event_id: o.lastEventId } : {}),
    },
    transports: o.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  socket.on('change', (e: FeedEvent) => rec.onEvent(e));
  for (const type of ['ready', 'reset', 'closing'])
    socket.on(type, (d: Record<string, unknown>) => rec.onControl(type, d));
  socket.on('disconnect', () => rec.end());
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err: Error & { data?: unknown }) => {
      rec.end();
      reject(Object.assign(err, { data: err.data }));
    });
  });
  connected.catch(() => {});
  t.teardown(() => socket.close());
  return { ...rec, socket, connected, close: () => socket.close() };
}
