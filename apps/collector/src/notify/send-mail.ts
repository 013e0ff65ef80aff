import { isIP } from 'node:net';
import type { OutboundPolicy } from '@peregrine/outbound';
import nodemailer from 'nodemailer';
import type { MailMessage } from './messages.js';

/** An SMTP answer the server gave (`code` is its reply code): 5xx is permanent, the rest retried. */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
  ) {
    super(message);
    this.name = 'MailDeliveryError';
  }
}

export interface SendMailOptions {
  policy: OutboundPolicy;
  timeoutMs: number;
  /** Extra trusted CA certificates (tests; production uses NODE_EXTRA_CA_CERTS). */
  ca?: readonly string[] | undefined;
}

/** The address the policy lets us reach for `host` (every resolved address is checked). */
function resolveChecked(policy: OutboundPolicy, host: string): Promise<string> {
  if (isIP(host)) {
    policy.checkAddress(host, host);
    return Promise.resolve(host);
  }
  return new Promise((resolve, reject) => {
    policy.lookup(host, {}, (err, address) => {
      if (err) reject(err);
      else resolve(String(address));
    });
  });
}

/**
 * Sends one mail over SMTP: STARTTLS required (`starttls`), implicit TLS (`tls`) or plain
 * (`none`). The server's name goes through the outbound policy like every HTTP channel; the
 * connection is opened to the checked address, with the name kept for TLS verification.
 */
export async function sendMail(message: MailMessage, options: SendMailOptions): Promise<void> {
  const c = message.config;
  const address = await resolveChecked(options.policy, c.host);
  const transport = nodemailer.createTransport({
    host: address,
    port: c.port,
    secure: c.security === 'tls',
    requireTLS: c.security === 'starttls',
    ignoreTLS: c.security === 'none',
    ...(c.username ? { auth: { user: c.username, pass: message.password ?? '' } } : {}),
    tls: {
      servername: isIP(c.host) ? undefined : c.host,
      ...(options.ca?.length ? { ca: [...options.ca] } : {}),
    },
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  try {
    await transport.sendMail({
      from: c.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  } catch (err) {
    const e = err as { responseCode?: number; message?: string };
    throw new MailDeliveryError(`SMTP: ${e.message ?? String(err)}`, e.responseCode ?? null);
  } finally {
    transport.close();
  }
}
