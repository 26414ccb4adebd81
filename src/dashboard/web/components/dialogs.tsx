import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api';
import type { ConfirmRequest } from '../context';
import { useDashboard } from '../context';

/** Asks for the API key; it goes to sessionStorage (this tab only), never into a URL. */
export function KeyPrompt(props: {
  reason: string;
  onSave: (key: string) => void;
  onCancel?: () => void;
}) {
  const [key, setKey] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <div class="backdrop" role="dialog" aria-modal="true" aria-labelledby="key-title">
      <form
        class="dialog"
        aria-labelledby="key-title"
        data-testid="key-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) props.onSave(key.trim());
        }}
      >
        <h2 id="key-title">API key</h2>
        <p>{props.reason}</p>
        <p class="hint">
          Kept for this browser tab only (sessionStorage) and sent as a header with each request.
        </p>
        <label>
          Key{' '}
          <input
            ref={input}
            type="password"
            name="api-key"
            autocomplete="off"
            spellcheck={false}
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        <div class="buttons">
          {props.onCancel && (
            <button type="button" onClick={props.onCancel}>
              Cancel
            </button>
          )}
          <button type="submit" class="primary" disabled={!key.trim()}>
            Use this key
          </button>
        </div>
      </form>
    </div>
  );
}

/** The page's own confirmation (no window.confirm): runs the action, shows its error in place. */
export function ConfirmDialog(props: {
  request: ConfirmRequest;
  onDone(message: string | null): void;
}) {
  const { askForKey } = useDashboard();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), []);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      props.onDone(await props.request.action());
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  const forbidden = error instanceof ApiError && error.status === 403;
  return (
    <div class="backdrop">
      <div
        class="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        data-testid="confirm"
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onDone(null);
        }}
      >
        <h2 id="confirm-title">{props.request.title}</h2>
        <p>{props.request.message}</p>
        {error !== null && (
          <p class="error" role="alert" data-testid="confirm-error">
            {describeError(error)}
          </p>
        )}
        <div class="buttons">
          {forbidden && (
            <button
              type="button"
              onClick={() => {
                props.onDone(null);
                askForKey('Enter an admin API key (ADMIN_API_KEYS).');
              }}
            >
              Change key
            </button>
          )}
          <button type="button" data-testid="confirm-no" onClick={() => props.onDone(null)}>
            Cancel
          </button>
          <button
            ref={yes}
            type="button"
            class="primary danger"
            data-testid="confirm-yes"
            disabled={busy}
            onClick={() => void run()}
          >
            {props.request.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
