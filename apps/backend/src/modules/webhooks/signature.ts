// Standard Webhooks signatures (https://www.standardwebhooks.com, the `standardwebhooks` package): HMAC-SHA256 of
// "<webhook-id>.<webhook-timestamp>.<body>", base64, as "v1,<signature>"; one per valid secret, space-separated
// (during a rotation both the new and the previous secret sign).
import { Webhook } from 'standardwebhooks';

export interface Signer {
  headers(messageId: string, body: string, at?: Date): Record<string, string>;
}

export function signer(secrets: string[]): Signer {
  const keys = secrets.map((s) => new Webhook(s));
  return {
    headers(messageId, body, at = new Date()) {
      return {
        'webhook-id': messageId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': keys.map((k) => k.sign(messageId, at, body)).join(' '),
      };
    },
  };
}
