// Sign-in with a password or a one-time code (sent to the account's notifications), and the password
// change a generated first password requires.
import { useState, type FormEvent } from 'react';
import { session, useSession, SessionError } from '../session';

function message(err: unknown): string {
  if (err instanceof SessionError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export function SignIn() {
  const { endedBecause } = useSession();
  const [mode, setMode] = useState<'password' | 'code'>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [codeSent, setCodeSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = (work: () => Promise<unknown>) => (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    work()
      .catch((err: unknown) => setError(message(err)))
      .finally(() => setBusy(false));
  };

  return (
    <div className="signin">
      <h1>Station-operations copilot</h1>
      {endedBecause && <p className="notice">{endedBecause}</p>}
      {mode === 'password' ? (
        <form onSubmit={run(() => session.signIn(email, password))} aria-label="Sign in">
          <label>
            Email
            <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label>
            Password
            <input
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
          <button type="button" className="link" onClick={() => setMode('code')}>
            Sign in with a one-time code instead
          </button>
        </form>
      ) : (
        <form
          onSubmit={run(async () => {
            if (!codeSent) setCodeSent(await session.requestCode(email));
            else await session.signInWithCode(email, code.trim());
          })}
          aria-label="Sign in with a one-time code"
        >
          <label>
            Email
            <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          {codeSent && (
            <>
              <p className="notice">{codeSent}</p>
              <label>
                One-time code
                <input inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
              </label>
            </>
          )}
          <button type="submit" disabled={busy}>
            {codeSent ? 'Sign in' : 'Send me a code'}
          </button>
          <button
            type="button"
            className="link"
            onClick={() => {
              setMode('password');
              setCodeSent(null);
            }}
          >
            Sign in with a password instead
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  );
}

export function ChangePassword() {
  const { user } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next !== again) return setError('The two new passwords differ.');
    try {
      await session.changePassword(current, next);
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <div className="signin">
      <h1>Choose your password</h1>
      <p>{user?.email} signed in with a generated password. Choose your own to go on (at least 12 characters); your other sessions end.</p>
      <form onSubmit={(e) => void submit(e)} aria-label="Change password">
        <label>
          Current password
          <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label>
          New password
          <input type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        <label>
          New password again
          <input type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
        </label>
        <button type="submit">Change password</button>
        <button type="button" className="link" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  );
}
