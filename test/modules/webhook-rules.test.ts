// The webhooks' pure rules: which addresses are refused, the default retry schedule and its jitter, the secrets'
// encryption at rest, and the signature format (a Standard Webhooks test vector).
import t from 'tap';
import { Webhook } from 'standardwebhooks';
import { forbiddenAddress } from '../../apps/backend/src/modules/webhooks/destination.js';
import { JITTER, nextAttemptAt, parseRetrySchedule } from '../../apps/backend/src/modules/webhooks/retry-schedule.js';
import { newSigningSecret, secretBox } from '../../apps/backend/src/modules/webhooks/secrets.js';
import { signer } from '../../apps/backend/src/modules/webhooks/signature.js';
import { ConfigSchema, loadConfig } from '../../apps/backend/src/config.js';

t.test('forbidden addresses: loopback, private, link-local, metadata, special purpose; public ones pass', async (t) => {
  const refused: Record<string, RegExp> = {
    '127.0.0.1': /loopback/,
    '127.255.1.2': /loopback/,
    '10.0.0.1': /private/,
    '172.16.0.1': /private/,
    '172.31.255.255': /private/,
    '192.168.1.1': /private/,
    '169.254.169.254': /link-local \(cloud metadata\)/,
    '100.64.0.1': /carrier-grade NAT/,
    '0.0.0.0': /"this" network/,
    '224.0.0.1': /multicast/,
    '255.255.255.255': /reserved/,
    '198.18.0.1': /benchmarking/,
    '::1': /loopback/,
    '::': /unspecified/,
    'fe80::1': /link-local/,
    'fd00:ec2::254': /unique local/,
    'fc00::1': /unique local/,
    'ff02::1': /multicast/,
    '::ffff:127.0.0.1': /loopback/,
    '::ffff:7f00:1': /loopback/,
    '::ffff:169.254.169.254': /link-local/,
    '64:ff9b::a9fe:a9fe': /link-local/,
    '2002:c0a8:0101::1': /private/,
    '2001:db8::1': /documentation/,
  };
  for (const [address, why] of Object.entries(refused)) t.match(forbiddenAddress(address), why, address);
  for (const address of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])
    t.equal(forbiddenAddress(address), null, `${address} is allowed`);
  t.equal(forbiddenAddress('example.org'), 'not an IP address');
});

t.test('private destinations: allowed by default only in development (a local receiver on npm start)', async (t) => {
  t.equal(loadConfig({ NODE_ENV: 'development' }).WEBHOOK_ALLOW_PRIVATE, true);
  t.equal(loadConfig({ NODE_ENV: 'test' }).WEBHOOK_ALLOW_PRIVATE, false);
  t.equal(loadConfig({ NODE_ENV: 'development', WEBHOOK_ALLOW_PRIVATE: 'false' }).WEBHOOK_ALLOW_PRIVATE, false);
  t.equal(loadConfig({ NODE_ENV: 'test', WEBHOOK_ALLOW_PRIVATE: 'true' }).WEBHOOK_ALLOW_PRIVATE, true);
});

t.test('the default retry schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', async (t) => {
  const dflt = ConfigSchema.properties.WEBHOOK_RETRY_SCHEDULE.default as string;
  const schedule = parseRetrySchedule(dflt);
  const s = 1_000;
  const m = 60 * s;
  const h = 60 * m;
  t.same(schedule, [5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h]);
  t.equal(schedule.length + 1, 8, 'eight attempts in all, the first immediate');
  const now = 1_000_000;
  // After the k-th failed attempt, the k-th delay, within ±20 %.
  for (const [k, delay] of schedule.entries()) {
    t.equal(
      nextAttemptAt(schedule, k + 1, now, 0)!.getTime(),
      now + delay * (1 - JITTER),
      `attempt ${k + 2}, earliest`,
    );
    t.equal(nextAttemptAt(schedule, k + 1, now, 0.5)!.getTime(), now + delay, `attempt ${k + 2}, middle`);
    t.ok(nextAttemptAt(schedule, k + 1, now, 0.999999)!.getTime() < now + delay * (1 + JITTER), 'latest');
  }
  t.equal(nextAttemptAt(schedule, 8, now), null, 'after the eighth attempt: given up');
  t.same(parseRetrySchedule('250ms, 1.5s,2m'), [250, 1500, 120_000]);
  for (const bad of ['', '5', '5d', '-1s', '0s', 'soon', '8d'])
    t.throws(() => parseRetrySchedule(bad), { message: /WEBHOOK_RETRY_SCHEDULE must be/ }, JSON.stringify(bad));
});

t.test('signing secrets are sealed with WEBHOOK_SECRET_KEY; another key cannot open them', async (t) => {
  const secret = newSigningSecret();
  t.match(secret, /^whsec_/);
  t.equal(Buffer.from(secret.slice(6), 'base64').length, 32);
  const box = secretBox('k'.repeat(40));
  const sealed = box.seal(secret);
  t.notMatch(sealed, secret.slice(6));
  t.not(box.seal(secret), sealed, 'a fresh nonce each time');
  t.equal(box.open(sealed), secret);
  t.throws(() => secretBox('j'.repeat(40)).open(sealed), { status: 503, code: 'webhooks_unavailable' });
  const [v, iv, data, tag] = sealed.split('.');
  const tampered = [v, iv, Buffer.from(data!, 'base64url').fill(0).toString('base64url'), tag].join('.');
  t.throws(() => box.open(tampered), { code: 'webhooks_unavailable' }, 'tampering is detected (GCM)');
  t.throws(() => secretBox(undefined).seal(secret), {
    status: 503,
    message: /WEBHOOK_SECRET_KEY/,
  });
});

t.test(
  'signatures: the Standard Webhooks format, checked against the reference verifier and a known vector',
  async (t) => {
    // Test vector of the Standard Webhooks reference libraries.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const at = new Date(1614265330 * 1000);
    const body = '{"test": 2432232314}';
    const headers = signer([secret]).headers(id, body, at);
    t.same(headers, {
      'webhook-id': id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
    const two = signer([newSigningSecret(), secret]).headers(id, body, new Date());
    t.equal(two['webhook-signature']!.split(' ').length, 2);
    t.ok(new Webhook(secret).verify(body, two), 'either signature verifies');
  },
);
