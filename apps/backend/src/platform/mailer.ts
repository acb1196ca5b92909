// Outgoing mail behind a small interface. MAILER=log (development and tests; config.ts refuses it in
// production) writes the reset link, token included, to the log; MAILER=none sends nothing and says so
// without the token. No other log line ever holds a reset token.
import fp from 'fastify-plugin';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

export interface Mailer {
  /** Returns whether a message was handed to a transport. */
  sendPasswordReset(to: { userId: string; email: string }, link: string): Promise<boolean>;
}

export function createMailer(config: Config, log: FastifyBaseLogger): Mailer {
  if (config.MAILER === 'log') {
    return {
      async sendPasswordReset(to, link) {
        log.info({ mail: 'password-reset', user_id: to.userId, link }, 'development mailer: password reset link');
        return true;
      },
    };
  }
  return {
    async sendPasswordReset(to) {
      log.warn({ mail: 'password-reset', user_id: to.userId }, 'no mailer configured: password reset e-mail not sent');
      return false;
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer;
  }
}

/** The `mailer` platform plugin: the transport MAILER names, or the one given (tests record mails). */
export default fp(
  async function mailerPlugin(app: FastifyInstance, o: { mailer?: Mailer }) {
    app.decorate('mailer', o.mailer ?? createMailer(app.config, app.log));
  },
  { name: 'mailer', decorators: { fastify: ['config'] } },
);
