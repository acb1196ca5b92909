// Signing secrets: made here (Standard Webhooks form, whsec_ + base64 of 32 random bytes), shown to the client
// once, stored encrypted. Not hashed: the server must sign with them. AES-256-GCM under a key derived from
// WEBHOOK_SECRET_KEY (HKDF-SHA256), so a copy of the database or of a backup holds no usable secret; the key
// lives outside the database (configuration; in development a generated file under DATA_DIR).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../../platform/errors.js';

const VERSION = 'v1';
const AAD = Buffer.from('acolhe webhook signing secret');

export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface SecretBox {
  seal(secret: string): string;
  open(sealed: string): string;
}

/** The box for WEBHOOK_SECRET_KEY; without a key every use is a 503 naming the variable. */
export function secretBox(key: string | undefined): SecretBox {
  if (!key) {
    const unavailable = (): never => {
      throw new AppError(
        503,
        'webhooks_unavailable',
        'Webhooks need WEBHOOK_SECRET_KEY (the key their signing secrets are encrypted with): ask the operator to set it',
      );
    };
    return { seal: unavailable, open: unavailable };
  }
  const aes = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'acolhe webhook secrets v1', 32));
  return {
    seal(secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', aes, iv).setAAD(AAD);
      const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return [VERSION, iv, data, cipher.getAuthTag()]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, data, tag] = sealed.split('.');
      try {
        if (version !== VERSION || !iv || !data || !tag) throw new Error('unknown format');
        const decipher = createDecipheriv('aes-256-gcm', aes, Buffer.from(iv, 'base64url'))
          .setAAD(AAD)
          .setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new AppError(
          503,
          'webhooks_unavailable',
          'A webhook signing secret cannot be decrypted: WEBHOOK_SECRET_KEY is not the key it was stored with',
        );
      }
    },
  };
}
