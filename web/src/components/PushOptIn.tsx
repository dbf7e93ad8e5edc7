// Web push opt-in: registers the console's service worker (/sw.js), subscribes this browser with the
// server's VAPID key and hands the subscription to the server; opting out removes it on both sides.
import { useEffect, useState } from 'react';
import { api, ApiError, describe } from '../api';

type State = 'checking' | 'unsupported' | 'off' | 'on' | 'working';

/** The VAPID key as pushManager.subscribe wants it (base64url text to bytes). */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

const supported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

/** Why a step failed, in terms the user can act on. */
function explain(err: unknown): string {
  if (err instanceof ApiError && err.code === 'ENDPOINT_NOT_PUBLIC')
    return `The server refused this browser's push service: ${err.message}. Push works only through a push service on a public address.`;
  if (err instanceof ApiError) return `The server refused the subscription: ${describe(err)}`;
  if (err instanceof DOMException && err.name === 'NotAllowedError')
    return 'Notifications are blocked for this site: allow them in the browser settings, then try again.';
  if (err instanceof DOMException && err.name === 'AbortError')
    return `The browser could not reach its push service (${err.message}). Push needs the browser to be online.`;
  return describe(err);
}

export function PushOptIn() {
  const [state, setState] = useState<State>('checking');
  const [reg, setReg] = useState<ServiceWorkerRegistration | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!supported()) {
      setState('unsupported');
      return;
    }
    let gone = false;
    navigator.serviceWorker
      .register('/sw.js', { scope: '/' })
      .then(async (r) => {
        const sub = await r.pushManager.getSubscription();
        if (gone) return;
        setReg(r);
        setState(sub ? 'on' : 'off');
      })
      .catch((err: unknown) => {
        if (gone) return;
        setState('unsupported');
        setError(`The service worker did not register: ${describe(err)}`);
      });
    return () => {
      gone = true;
    };
  }, []);

  const turnOn = async () => {
    if (!reg) return;
    setState('working');
    setError(null);
    let sub: PushSubscription | null = null;
    try {
      if (Notification.permission !== 'granted' && (await Notification.requestPermission()) !== 'granted')
        throw new DOMException('permission refused', 'NotAllowedError');
      const { publicKey } = await api<{ publicKey: string }>('/push/public-key');
      sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
      await api('/push/subscriptions', { method: 'POST', body: sub.toJSON() });
      setState('on');
    } catch (err) {
      // A subscription the server did not take would never be used: drop it so the states agree.
      await sub?.unsubscribe().catch(() => undefined);
      setError(explain(err));
      setState('off');
    }
  };

  const turnOff = async () => {
    if (!reg) return;
    setState('working');
    setError(null);
    try {
      const sub = await reg.pushManager.getSubscription();
      if (sub) {
        // Unknown to the server (404) is the state we want anyway.
        await api('/push/subscriptions', { method: 'DELETE', body: { endpoint: sub.endpoint } }).catch((err: unknown) => {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        });
        await sub.unsubscribe();
      }
      setState('off');
    } catch (err) {
      setError(explain(err));
      setState('on');
    }
  };

  return (
    <div className="push">
      {state === 'checking' && <p className="notice">Checking this browser...</p>}
      {state === 'unsupported' && !error && (
        <p className="notice">
          This browser cannot receive web push here (it needs service workers and the Push API, over HTTPS or on localhost).
        </p>
      )}
      {(state === 'off' || state === 'on' || state === 'working') && (
        <>
          <p className="notice" role="status">
            {state === 'on' ? 'Push is on for this browser.' : state === 'off' ? 'Push is off for this browser.' : 'Working...'}
          </p>
          {state === 'on' ? (
            <button type="button" onClick={() => void turnOff()}>
              Turn off push
            </button>
          ) : (
            <button type="button" onClick={() => void turnOn()} disabled={state === 'working'}>
              Turn on push
            </button>
          )}
        </>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  );
}
