// The change feed's metrics (GET /metrics): open streams, why streams ended, the relay's lead and throughput.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventsService } from './service.js';

export function registerEventMetrics(register: Registry, service: EventsService) {
  new Gauge({
    name: 'acolhe_events_streams',
    help: 'Event streams (SSE and Socket.IO) open on this instance',
    registers: [register],
    collect() {
      this.set(service.status().streams);
    },
  });
  const seen = new Map<string, number>();
  new Counter({
    name: 'acolhe_events_stream_closes_total',
    help: 'Event streams ended, by reason (session_ended, access_changed, slow_consumer, shutdown, unavailable, disconnected)',
    labelNames: ['reason'] as const,
    registers: [register],
    collect() {
      for (const [reason, n] of Object.entries(service.status().closes)) {
        this.inc({ reason }, n - (seen.get(reason) ?? 0));
        seen.set(reason, n);
      }
    },
  });
  new Gauge({
    name: 'acolhe_events_relay_leading',
    help: '1 on the one instance whose relay reads the outbox and publishes it',
    registers: [register],
    collect() {
      this.set(service.status().leading ? 1 : 0);
    },
  });
  let relayed = 0;
  new Counter({
    name: 'acolhe_events_relayed_total',
    help: 'Events this instance relayed while it led',
    registers: [register],
    collect() {
      const now = service.status().relayed;
      this.inc(now - relayed);
      relayed = now;
    },
  });
}
