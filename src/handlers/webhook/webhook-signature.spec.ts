import { Webhook } from 'standardwebhooks';
import { signingKey, signWebhook } from './webhook-signature';

describe('signWebhook', () => {
  // The example from the Standard Webhooks specification's test vectors.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const body = '{"test": 2432232314}';

  it('matches the specification’s test vector', () => {
    expect(signWebhook(signingKey(secret), id, timestamp, body)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('verifies with the standardwebhooks library, and fails once anything changes', () => {
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(signingKey(secret), id, timestamp, body),
    };
    const receiver = new Webhook(secret);
    // The library checks the timestamp against its clock: pin it.
    jest.useFakeTimers({ now: timestamp * 1000 });
    try {
      expect(receiver.verify(body, headers)).toEqual({ test: 2432232314 });
      expect(() => receiver.verify(`${body} `, headers)).toThrow();
      expect(() => receiver.verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow();
      expect(() =>
        new Webhook('whsec_' + Buffer.alloc(24, 1).toString('base64')).verify(body, headers),
      ).toThrow();
    } finally {
      jest.useRealTimers();
    }
  });
});
