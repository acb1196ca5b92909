// No personal data in the logs (issue 16): a full walk through her record — create, update, read sensitive,
// search by name, look up by CPF and NIS, refused writes, consent, export — at the most verbose levels, and not
// one log line holds her CPF, NIS, name or phone, in any of the forms they travelled in.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';
import { cpf } from './case-fixtures.js';

for (const level of ['debug', 'trace']) {
  t.test(`LOG_LEVEL=${level}: no CPF, NIS, name or phone of a beneficiary in the logs`, async (t) => {
    const ctx = await buildTestApp(t, { env: { LOG_LEVEL: level } });
    const u = await admin(ctx);
    const digits = cpf(271_828_182);
    const formatted = digits.replace(/^(\d{3})(\d{3})(\d{3})(\d{2})$/, '$1.$2.$3-$4');
    const her = {
      full_name: 'Genoveva Pitangueira Albuquerque',
      social_name: 'Vevé Pitangueira',
      cpf: formatted,
      nis: '16180339887',
      phone: '+5571991234567',
    };
    const newPhone = '+5571997654321';
    const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
      ctx.app.inject({ method, url: `/api/v1${url}`, headers: u.headers, payload });

    const created = await call('POST', '/beneficiaries', her);
    t.equal(created.statusCode, 201);
    const id = created.json().id as string;
    t.equal((await call('PATCH', `/beneficiaries/${id}`, { phone: newPhone })).statusCode, 200, 'update');
    t.equal((await call('GET', `/beneficiaries/${id}`)).json().cpf, digits, 'read sensitive');
    t.equal((await call('GET', `/beneficiaries?q=${encodeURIComponent('Genoveva Pitangeira')}`)).statusCode, 200);
    t.equal((await call('GET', `/beneficiaries?q=${encodeURIComponent(formatted)}`)).json().data.length, 1, 'CPF');
    t.equal((await call('GET', `/beneficiaries?q=${her.nis}`)).json().data.length, 1, 'NIS lookup');
    const duplicate = await call('POST', '/beneficiaries', { full_name: 'Outra Pessoa', cpf: digits });
    t.equal(duplicate.statusCode, 409, 'a duplicate CPF (the driver message holds it)');
    t.equal((await call('POST', '/beneficiaries', { ...her, cpf: '123.456.789-00' })).statusCode, 422);
    t.equal((await call('POST', '/beneficiaries', { ...her, phone: 'not a phone' })).statusCode, 400);
    t.equal(
      (
        await call('POST', `/beneficiaries/${id}/consents`, {
          purpose_code: 'messaging_contact',
          granted: true,
          method: 'phone',
        })
      ).statusCode,
      201,
    );
    t.equal((await call('GET', `/beneficiaries/${id}/export`)).statusCode, 200, 'export');

    const logs = ctx.logs();
    const lines = logs.map((l) => JSON.stringify(l));
    // One access line per request (platform/logger.ts): the walk's 11 requests were all logged, and checked below.
    const walk = logs.filter(
      (l) => l.msg === 'request completed' && String(l.route).startsWith('/api/v1/beneficiaries'),
    );
    t.equal(walk.length, 11, 'every request of the walk was logged');
    t.equal(ctx.app.log.level, level, `the app logs at ${level}: anything written there is checked too`);
    const forbidden = [
      digits,
      formatted,
      her.nis,
      her.full_name,
      'Genoveva',
      'Pitangueira',
      'Albuquerque',
      her.social_name,
      her.phone,
      her.phone.slice(1),
      newPhone,
      newPhone.slice(1),
    ];
    for (const value of forbidden) {
      const leaks = lines.filter((l) => l.includes(value) || l.includes(encodeURIComponent(value)));
      t.same(leaks, [], `"${value}" appears in no log line`);
    }
  });
}
