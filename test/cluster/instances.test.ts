// Three API processes on one PostgreSQL and one Redis: a session signed in on one is honoured by all, and
// ending it on one ends it on every instance at the next request.
import t from 'tap';
import { signIn, startInstances } from '../helpers/instances.js';

t.test('three instances share sessions and revocation', async (t) => {
  const { instances } = await startInstances(t, 3);
  t.equal(instances.length, 3);
  t.equal(new Set(instances.map((i) => i.port)).size, 3, 'three processes on three ports');

  const session = await signIn(instances[0]!);
  for (const [n, i] of instances.entries()) {
    const me = await i.request('GET', '/api/v1/auth/me', { headers: session.headers });
    t.equal(me.status, 200, `instance ${n + 1} accepts the token`);
  }

  const out = await instances[1]!.request('POST', '/api/v1/auth/logout', { headers: session.headers });
  t.equal(out.status, 204, 'signed out through instance 2');
  for (const [n, i] of instances.entries()) {
    const me = await i.request('GET', '/api/v1/auth/me', { headers: session.headers });
    t.equal(me.status, 401, `instance ${n + 1} refuses the ended session on the next request`);
  }

  t.equal(await instances[2]!.stop('SIGKILL'), null, 'a killed instance exits by signal');
  const me = await instances[0]!.request('GET', '/health/ready');
  t.equal(me.status, 200, 'the others keep serving');
});
