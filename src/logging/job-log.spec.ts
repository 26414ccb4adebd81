import { jobFields, recipientDomain, withoutMailboxes } from './job-log';

describe('job log fields', () => {
  it('numbers attempts from 1', () => {
    expect(jobFields({ id: 'j1', type: 'send_email', retryCount: 2 })).toEqual({
      job_id: 'j1',
      job_type: 'send_email',
      attempt: 3,
    });
  });

  it('shows a recipient only as its domain', () => {
    expect(recipientDomain({ to: 'Alice.Smith@Example.COM', subject: 'x' })).toBe('example.com');
    expect(recipientDomain({ url: 'https://hooks.example.com' })).toBeUndefined();
    expect(recipientDomain(null)).toBeUndefined();
  });

  it('reduces addresses quoted in an error to their domain', () => {
    expect(
      withoutMailboxes('550 5.1.1 <alice.smith@example.com>: Recipient address rejected'),
    ).toBe('550 5.1.1 <*@example.com>: Recipient address rejected');
    expect(withoutMailboxes('RCPT TO:bob+tag@mail.example.org failed; retry')).toBe(
      'RCPT TO:*@mail.example.org failed; retry',
    );
    expect(withoutMailboxes('connect ECONNREFUSED 127.0.0.1:25')).toBe(
      'connect ECONNREFUSED 127.0.0.1:25',
    );
  });
});
