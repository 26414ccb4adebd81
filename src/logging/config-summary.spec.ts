import { loadEnv } from '../config/env';
import { addressOf, configSummary } from './config-summary';

describe('configSummary', () => {
  it('names the addresses without their credentials and counts keys without showing them', () => {
    const apiKey = 'api-key-aaaaaaaaaaaaaaaa';
    const adminKey = 'admin-key-bbbbbbbbbbbbbbbb';
    const env = loadEnv({
      REDIS_URL: 'redis://queue:s3cret-redis@cache.internal:6380/2',
      EMAIL_TRANSPORT: 'smtp',
      SMTP_URL: 'smtps://mailer:s3cret-smtp@smtp.example.com:465',
      API_KEYS: apiKey,
      ADMIN_API_KEYS: adminKey,
      QUEUE_PREFIX: 'mail',
      WORKER_CONCURRENCY: '25',
    });
    const summary = configSummary(env, 'worker');
    expect(summary).toMatchObject({
      role: 'worker',
      redis: 'redis://cache.internal:6380/2',
      smtp: 'smtps://smtp.example.com:465',
      queue_prefix: 'mail',
      concurrency: 25,
      api_keys: 1,
      admin_api_keys: 1,
      metrics_port: 9464,
    });
    const text = JSON.stringify(summary);
    for (const secret of ['s3cret-redis', 's3cret-smtp', 'queue:', 'mailer', apiKey, adminKey]) {
      expect(text).not.toContain(secret);
    }
  });

  it('leaves out what the API process does not use', () => {
    const summary = configSummary(loadEnv({ WORKER_ENABLED: 'false' }), 'api');
    expect(summary).toMatchObject({ role: 'api', worker: false, redis: 'redis://127.0.0.1:6379' });
    expect(summary).not.toHaveProperty('smtp');
    expect(summary).not.toHaveProperty('metrics_port');
  });

  it('addressOf never echoes an unparsable URL', () => {
    expect(addressOf('not a url :pw@')).toBe('(invalid URL)');
  });
});
