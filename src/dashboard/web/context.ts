import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api';
import type { LiveFeed, LiveMode } from './live';

/** A question the page asks before a change (cancel, retry, retry all, purge). */
export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  /** Runs on confirmation; its result is shown as a notice. */
  action: () => Promise<string>;
  /** Runs after a successful action. */
  after?: () => void;
}

export interface Dashboard {
  api: Api;
  live: LiveFeed;
  mode: LiveMode;
  /** Changes when the panels should refetch: events arrived, a poll is due, an action ran, a key was entered. */
  tick: number;
  /** Changes when a new API key was entered (streams reopen). */
  session: number;
  openJob: (id: string | null) => void;
  confirm: (request: ConfirmRequest) => void;
  /** Asks for a (different) API key. */
  askForKey: (reason?: string) => void;
  refresh: () => void;
}

export const DashboardContext = createContext<Dashboard | null>(null);

export function useDashboard(): Dashboard {
  const value = useContext(DashboardContext);
  if (!value) throw new Error('useDashboard outside DashboardContext');
  return value;
}
