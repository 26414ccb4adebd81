import type { ConfirmRequest, Dashboard } from '../context';
import type { Job } from '../types';

export interface JobAction {
  label: 'Cancel' | 'Retry';
  danger: boolean;
  request: ConfirmRequest;
}

/** What can be done to a job in its state: cancel while pending or processing, retry once failed or cancelled. */
export function jobActions(
  job: Job,
  dashboard: Pick<Dashboard, 'api'>,
  after?: () => void,
): JobAction[] {
  const { api } = dashboard;
  const id = job.job_id;
  if (job.status === 'pending' || job.status === 'processing') {
    return [
      {
        label: 'Cancel',
        danger: true,
        request: {
          title: 'Cancel job',
          message:
            job.status === 'processing'
              ? `Job ${id} is running: abort its attempt and end it cancelled?`
              : `Cancel job ${id}? It will not run.`,
          confirmLabel: 'Cancel job',
          action: async () => {
            const result = await api.cancel(id);
            return result.cancel_requested
              ? `Cancellation of ${id} requested: its attempt is being aborted.`
              : `Job ${id} cancelled.`;
          },
          after,
        },
      },
    ];
  }
  if (job.status === 'failed' || job.status === 'cancelled') {
    return [
      {
        label: 'Retry',
        danger: false,
        request: {
          title: 'Retry job',
          message: `Run job ${id} again, with a full retry budget?`,
          confirmLabel: 'Retry job',
          action: async () => {
            await api.retry(id);
            return `Job ${id} queued again.`;
          },
          after,
        },
      },
    ];
  }
  return [];
}
