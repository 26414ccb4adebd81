import { recipientOf } from '../queue/index-members';
import type { ClaimedJob } from '../queue/job.types';

/** The fields on every log line about one attempt of a job. */
export interface JobLogFields {
  job_id: string;
  job_type: string;
  /** 1 for the first attempt. */
  attempt: number;
}

export function jobFields(job: Pick<ClaimedJob, 'id' | 'type' | 'retryCount'>): JobLogFields {
  return { job_id: job.id, job_type: job.type, attempt: job.retryCount + 1 };
}

/**
 * A job's recipient as logs may show it: its domain only (the local part names a
 * person). Undefined when the job has no recipient.
 */
export function recipientDomain(payload: unknown): string | undefined {
  const address = recipientOf(payload);
  if (address === undefined) return undefined;
  const at = address.lastIndexOf('@');
  return at === -1 ? undefined : address.slice(at + 1).toLowerCase();
}

/** E-mail addresses in `text` (an SMTP reply quotes the recipient) reduced to their domain. */
export function withoutMailboxes(text: string): string {
  return text.replace(/[^\s<>"'(),;:[\]@]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g, '*@$1');
}
