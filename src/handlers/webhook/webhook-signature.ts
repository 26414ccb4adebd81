import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the receiver checks
 * `webhook-signature` against the HMAC-SHA256, keyed with the secret, of
 * `<webhook-id>.<webhook-timestamp>.<body>`.
 */

export const SECRET_PREFIX = 'whsec_';

/** The HMAC key inside a `whsec_<base64>` secret (validated at start-up). */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/** The `webhook-signature` header value: `v1,<base64 HMAC-SHA256>`. */
export function signWebhook(key: Buffer, id: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64');
  return `v1,${mac}`;
}
