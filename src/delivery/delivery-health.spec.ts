import { Logger } from '@nestjs/common';
import { DeliveryHealth, PROBLEM_LOG_INTERVAL_MS } from './delivery-health';

describe('DeliveryHealth', () => {
  let now: number;
  let health: DeliveryHealth;
  let errors: jest.SpyInstance;
  let logs: jest.SpyInstance;

  beforeEach(() => {
    now = 1_000_000;
    health = new DeliveryHealth(() => now);
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('starts healthy, with no problem', () => {
    expect(health.healthy).toBe(true);
    expect(health.problems()).toEqual([]);
  });

  it('keeps the last configuration error per transport, with when it started and how often', () => {
    health.configurationError('smtp', 'mail.example.com:587', 'SMTP 535: bad credentials');
    now += 500;
    health.configurationError('smtp', 'mail.example.com:587', 'SMTP 535: bad credentials');
    expect(health.healthy).toBe(false);
    expect(health.problems()).toEqual([
      {
        transport: 'smtp',
        target: 'mail.example.com:587',
        message: 'SMTP 535: bad credentials',
        since: 1_000_000,
        lastSeen: 1_000_500,
        failures: 2,
      },
    ]);
  });

  it('the next success clears it, and says so in the log', () => {
    health.configurationError('smtp', 'mail.example.com:587', 'SMTP ETLS: untrusted');
    health.delivered('smtp');
    expect(health.healthy).toBe(true);
    expect(health.problems()).toEqual([]);
    expect(logs).toHaveBeenCalledWith(
      'smtp delivery to mail.example.com:587 works again after 1 failure(s)',
    );
  });

  it('a success of another transport leaves it in place', () => {
    health.configurationError('smtp', 'mail.example.com:587', 'SMTP ETLS: untrusted');
    health.delivered('webhook');
    expect(health.problems()).toHaveLength(1);
    expect(logs).not.toHaveBeenCalled();
  });

  it('logs an error naming the server when a problem starts or changes, then once a minute', () => {
    const target = 'mail.example.com:587';
    health.configurationError('smtp', target, 'SMTP 535: bad credentials');
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0][0]).toBe(
      'smtp delivery to mail.example.com:587 fails on configuration, jobs are retried until it is fixed: SMTP 535: bad credentials',
    );

    now += 1000;
    health.configurationError('smtp', target, 'SMTP 535: bad credentials');
    expect(errors).toHaveBeenCalledTimes(1); // the same problem, too soon

    now += 1000;
    health.configurationError('smtp', target, 'SMTP ETLS: untrusted certificate');
    expect(errors).toHaveBeenCalledTimes(2); // a different problem
    expect(errors.mock.calls[1][0]).toContain('(3 failures so far): SMTP ETLS: untrusted');

    now += PROBLEM_LOG_INTERVAL_MS;
    health.configurationError('smtp', target, 'SMTP ETLS: untrusted certificate');
    expect(errors).toHaveBeenCalledTimes(3); // still there a minute later
    expect(health.problems()[0]).toMatchObject({ since: 1_000_000, failures: 4 });
  });

  it('a problem after a recovery starts afresh', () => {
    health.configurationError('smtp', 'h:25', 'first');
    health.delivered('smtp');
    now += 10;
    health.configurationError('smtp', 'h:25', 'first');
    expect(health.problems()[0]).toMatchObject({ since: now, failures: 1 });
    expect(errors).toHaveBeenCalledTimes(2);
  });
});
