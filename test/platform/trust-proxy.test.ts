// TRUST_PROXY: which peer's X-Forwarded-For names the client. The client address (request.ip) is what the
// login throttle counts, what a session records and what the request log shows. Off by default: the TCP peer is
// the client and X-Forwarded-For is never believed.
import t from 'tap';
import { ConfigError, loadConfig } from '../../apps/backend/src/config.js';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { userWith } from '../helpers/auth.js';

const PROXY = '10.0.0.5';
const STRANGER = '192.0.2.9';
const ALICE = '203.0.113.7';
const BOB = '203.0.113.8';

/** A login from `peer` (the TCP address) claiming `forwardedFor`; the session's IP and the logged address. */
async function loginFrom(ctx: TestContext, email: string, password: string, peer: string, forwardedFor?: string) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: peer,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    payload: { email, password },
  });
  // The request's access line (one per request) carries the client address.
  const logged = ctx.logs().find((l) => l.reqId === res.headers['x-request-id'] && l.msg === 'request completed') as
    { remote_address: string } | undefined;
  return { res, loggedAddress: logged?.remote_address };
}

async function sessionIp(ctx: TestContext, accessToken: string): Promise<string> {
  const res = await ctx.app.inject({
    method: 'GET',
    url: '/api/v1/auth/sessions',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return (res.json().data as { ip: string; current: boolean }[]).find((s) => s.current)!.ip;
}

/** Fails logins (unknown e-mails) from one client until the per-address limit answers 429. */
async function exhaustAddressLimit(ctx: TestContext, peer: string, forwardedFor: string) {
  for (let i = 0; i < 100; i++) {
    const { res } = await loginFrom(ctx, `nobody-${i}@acolhe.test`, 'wrong-password', peer, forwardedFor);
    if (res.statusCode === 429) return i;
  }
  throw new Error('the per-address login limit never answered 429');
}

t.test('TRUST_PROXY values: off, a hop count, addresses and CIDRs; anything else names the variable', async (t) => {
  t.equal(loadConfig({}).trustProxy, false, 'off by default');
  t.equal(loadConfig({ TRUST_PROXY: '0' }).trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.10,::1, fd00::/8' }).trustProxy, [
    '10.0.0.0/8',
    '192.168.1.10',
    '::1',
    'fd00::/8',
  ]);
  for (const bad of ['yes', '10.0.0.0/33', '10.0.0.1/8/9', '300.1.1.1', 'fd00::/129', 'true'])
    t.throws(
      () => loadConfig({ TRUST_PROXY: bad }),
      new ConfigError(
        `Invalid configuration: TRUST_PROXY must be a hop count or comma-separated proxy addresses/CIDRs (got ${JSON.stringify(bad.split(',')[0]!.trim())})`,
      ),
      bad,
    );
});

t.test('without TRUST_PROXY the peer is the client: X-Forwarded-For is never believed', async (t) => {
  const ctx = await buildTestApp(t, { env: { LOGIN_MAX_ATTEMPTS: '2' } });
  const u = await userWith(ctx, []);
  const { res, loggedAddress } = await loginFrom(ctx, u.email, u.password, PROXY, ALICE);
  t.equal(res.statusCode, 200);
  t.equal(await sessionIp(ctx, res.json().access_token), PROXY, 'the session records the peer');
  t.equal(loggedAddress, PROXY, 'the log shows the peer');

  // Behind a load balancer every client is the balancer: one client's failures lock out everyone.
  await exhaustAddressLimit(ctx, PROXY, ALICE);
  const bob = await loginFrom(ctx, u.email, u.password, PROXY, BOB);
  t.equal(bob.res.statusCode, 429, 'another client behind the same proxy is refused too');
});

t.test('TRUST_PROXY with addresses: X-Forwarded-For from a trusted proxy names the client', async (t) => {
  const ctx = await buildTestApp(t, { env: { LOGIN_MAX_ATTEMPTS: '2', TRUST_PROXY: '10.0.0.0/8' } });
  const u = await userWith(ctx, []);

  const viaProxy = await loginFrom(ctx, u.email, u.password, PROXY, ALICE);
  t.equal(viaProxy.res.statusCode, 200);
  t.equal(await sessionIp(ctx, viaProxy.res.json().access_token), ALICE, 'the session records the real client');
  t.equal(viaProxy.loggedAddress, ALICE, 'the log shows the real client');

  const direct = await loginFrom(ctx, u.email, u.password, STRANGER, ALICE);
  t.equal(direct.res.statusCode, 200);
  t.equal(await sessionIp(ctx, direct.res.json().access_token), STRANGER, 'an untrusted peer is not believed');
  t.equal(direct.loggedAddress, STRANGER);

  // The throttle counts per real client: Alice's failures do not lock Bob out.
  await exhaustAddressLimit(ctx, PROXY, ALICE);
  t.equal((await loginFrom(ctx, 'nobody-x@acolhe.test', 'x', PROXY, ALICE)).res.statusCode, 429, 'Alice is limited');
  t.equal((await loginFrom(ctx, u.email, u.password, PROXY, BOB)).res.statusCode, 200, 'Bob is not');
});

t.test('TRUST_PROXY as a hop count trusts that many hops, and no more', async (t) => {
  const ctx = await buildTestApp(t, { env: { TRUST_PROXY: '1' } });
  const u = await userWith(ctx, []);
  // A client may send its own X-Forwarded-For; the one proxy appends the address it saw.
  const { res, loggedAddress } = await loginFrom(ctx, u.email, u.password, PROXY, `1.2.3.4, ${ALICE}`);
  t.equal(res.statusCode, 200);
  t.equal(await sessionIp(ctx, res.json().access_token), ALICE, 'the address the proxy saw, not the forged one');
  t.equal(loggedAddress, ALICE);
});
