// Security headers: helmet decides them (the policy @fastify/helmet would apply), once at start; every
// response then gets them in one call. Running helmet's middleware per request (11 raw setHeader calls)
// cost about a fifth of the throughput of a small request (npm run bench -- platform).
import helmet, { type HelmetOptions } from 'helmet';

export function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let synchronous = false;
  helmet(options)({} as never, res as never, () => void (synchronous = true));
  // helmet's policy is static (no CSP nonces here); a future version that defers would leave us headerless.
  if (!synchronous || Object.keys(headers).length === 0)
    throw new Error('helmet did not produce its headers synchronously');
  return Object.freeze(headers);
}
