// Sending one webhook request without server-side request forgery: destinations on loopback, private,
// link-local, metadata and other special-purpose addresses are refused (unless WEBHOOK_ALLOW_PRIVATE), and
// the check is made on the address actually connected to (after DNS, on the socket), so a name that resolves
// to a public address when the subscription is saved and to 127.0.0.1 later (DNS rebinding) gains nothing.
// No redirect is followed, at most BODY_CAP bytes of the answer are read, connecting and the whole exchange
// have their own time limits.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { LookupFunction, Socket } from 'node:net';

/** Bytes of an answer read (to reuse the connection); a longer one is cut off. Nothing of it is stored. */
const BODY_CAP = 16 * 1024;

const IPV4_BLOCKED: [string, number, string][] = [
  ['0.0.0.0', 8, '"this" network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const IPV6_BLOCKED: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];
const blocked = new Map<string, net.BlockList>();
for (const [family, list] of [
  ['ipv4', IPV4_BLOCKED],
  ['ipv6', IPV6_BLOCKED],
] as const)
  for (const [address, prefix, why] of list) {
    if (!blocked.has(why)) blocked.set(why, new net.BlockList());
    blocked.get(why)!.addSubnet(address, prefix, family);
  }

/** IPv4 carried in an IPv6 address (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), else null. */
function embeddedIpv4(address: string): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const words = expandIpv6(address);
  if (!words) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return v4(words[6]!, words[7]!);
  if (words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0))
    return v4(words[6]!, words[7]!);
  if (words[0] === 0x2002) return v4(words[1]!, words[2]!);
  return null;
}

function expandIpv6(address: string): number[] | null {
  if (net.isIPv6(address) === false) return null;
  let text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const h = part(head);
  const t = part(tail);
  return tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** Why an address may not be a webhook destination, or null when it may. */
export function forbiddenAddress(address: string): string | null {
  const family = net.isIP(address);
  if (!family) return 'not an IP address';
  const v4 = family === 6 ? embeddedIpv4(address) : address;
  for (const [why, list] of blocked) {
    if (v4 && list.check(v4, 'ipv4')) return why;
    if (family === 6 && list.check(address, 'ipv6')) return why;
  }
  return null;
}

export class DestinationRefused extends Error {
  constructor(
    message: string,
    readonly code = 'destination_refused',
  ) {
    super(message);
  }
}

/** A dns.lookup that only ever hands out allowed addresses (unless private ones are allowed). */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const usable = allowPrivate ? addresses : addresses.filter((a) => !forbiddenAddress(a.address));
      if (!usable.length) {
        const why = forbiddenAddress(addresses[0]!.address);
        return callback(new DestinationRefused(`${hostname} resolves to a ${why} address`), '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

export interface DestinationOptions {
  allowPrivate: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
}

/** Checks a URL a client gives (on saving a subscription): scheme, no credentials, and where it resolves to. */
export async function checkDestination(
  url: string,
  o: Pick<DestinationOptions, 'allowPrivate'>,
): Promise<string | null> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http or https URL';
  if (u.username || u.password) return 'must not carry credentials (requests are authenticated by their signature)';
  if (u.hash) return 'must not have a #fragment';
  if (o.allowPrivate) return null;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(host)) {
    const why = forbiddenAddress(host);
    return why ? `points to a ${why} address` : null;
  }
  try {
    const addresses = await dns.promises.lookup(host, { all: true });
    const why = addresses.map((a) => forbiddenAddress(a.address)).find(Boolean);
    return why && addresses.every((a) => forbiddenAddress(a.address)) ? `resolves to a ${why} address` : null;
  } catch {
    return 'does not resolve (unknown host name)';
  }
}

export interface SendResult {
  ok: boolean;
  status: number | null;
  /** Why it failed, for the delivery record (never the answer's body). */
  error: string | null;
}

export function createSender(o: DestinationOptions) {
  const lookup = guardedLookup(o.allowPrivate);
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
  };

  function send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    return new Promise((resolve) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return resolve({ ok: false, status: null, error: 'invalid URL' });
      }
      const literal = u.hostname.replace(/^\[(.*)\]$/, '$1');
      const why = !o.allowPrivate && net.isIP(literal) ? forbiddenAddress(literal) : null;
      if (why) return resolve({ ok: false, status: null, error: `refused: ${why} address` });

      let settled = false;
      const done = (r: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(totalTimer);
        resolve(r);
      };
      const client = u.protocol === 'https:' ? https : http;
      const req = client.request(u, {
        method: 'POST',
        agent: agents[u.protocol as 'http:' | 'https:'],
        lookup,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Acolhe-Webhooks/1',
          ...headers,
        },
      });
      const fail = (error: string) => {
        req.destroy();
        done({ ok: false, status: null, error });
      };
      const connectTimer = setTimeout(() => fail(`connect timeout (${o.connectTimeoutMs} ms)`), o.connectTimeoutMs);
      const totalTimer = setTimeout(() => fail(`timeout (${o.timeoutMs} ms)`), o.timeoutMs);
      const verify = (socket: Socket) => {
        clearTimeout(connectTimer);
        const address = socket.remoteAddress ?? '';
        const refused = o.allowPrivate ? null : forbiddenAddress(address);
        if (refused) fail(`refused: connected to a ${refused} address`);
      };
      req.on('socket', (socket: Socket) => {
        if (socket.connecting) socket.once('connect', () => verify(socket));
        else verify(socket);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof DestinationRefused)
          return done({ ok: false, status: null, error: `refused: ${err.message}` });
        done({ ok: false, status: null, error: err.code ?? err.message });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > BODY_CAP) res.destroy();
        });
        const finish = () => {
          const ok = status >= 200 && status < 300;
          const error = ok
            ? null
            : status >= 300 && status < 400
              ? `HTTP ${status}: redirects are not followed`
              : `HTTP ${status}`;
          done({ ok, status, error });
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      req.end(body);
    });
  }

  return {
    send,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
