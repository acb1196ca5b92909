// Load shedding: 503 + Retry-After while the event loop lags, so an overloaded instance sheds work instead of
// queueing it. Measured like @fastify/under-pressure (mean delay per one-second window, 10 ms resolution), which
// this replaces because of how it starts: it samples from registration on, so the window that holds the boot
// (the synchronous schema compilation of app.ready()) has no sample at all, and it counts an empty window as an
// infinite delay: a freshly started server refused every request for a second or two. Here sampling starts once
// the app is ready, and a window without a sample counts as what it proves: the loop was blocked that long.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { serviceUnavailable } from './errors.js';

const RESOLUTION_MS = 10;

export interface LoadSheddingOptions {
  /** Mean event-loop delay (ms) over a window above which requests are refused until the next window. */
  maxEventLoopDelayMs: number;
  retryAfterSeconds: number;
  sampleIntervalMs?: number;
}

export interface EventLoopReading {
  /** Mean delay of the last complete window, in ms. */
  delayMs: number;
  /** Windows measured since the app became ready. */
  samples: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    eventLoopDelay(): EventLoopReading;
  }
}

export function loadShedding(app: FastifyInstance, o: LoadSheddingOptions) {
  const interval = o.sampleIntervalMs ?? 1_000;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const reading: EventLoopReading = { delayMs: 0, samples: 0 };
  let windowStart = 0;
  let timer: NodeJS.Timeout | undefined;

  const sample = () => {
    const now = performance.now();
    reading.delayMs = histogram.count
      ? Math.max(0, histogram.mean / 1e6 - RESOLUTION_MS)
      : Math.max(0, now - windowStart - RESOLUTION_MS);
    reading.samples++;
    windowStart = now;
    histogram.reset();
  };

  app.decorate('eventLoopDelay', () => ({ ...reading }));
  app.addHook('onReady', (done) => {
    histogram.enable();
    windowStart = performance.now();
    timer = setInterval(sample, interval).unref();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    clearInterval(timer);
    histogram.disable();
    done();
  });
  app.addHook('onRequest', (_request, _reply, done) => {
    if (reading.delayMs > o.maxEventLoopDelayMs) {
      done(serviceUnavailable('The server is overloaded; retry shortly', o.retryAfterSeconds));
      return;
    }
    done();
  });
}
