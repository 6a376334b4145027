// The shell: sign-in, the navigation, and which page the path names.
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, api, get, message, post, setToken, token, whenSignedOut, type Me } from './api.ts';
import { Workspace } from './Workspace.tsx';
import { Dashboard } from './Dashboard.tsx';
import { Items } from './Items.tsx';
import { Settings } from './Settings.tsx';
import { People } from './People.tsx';

export function navigate(path: string): void {
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a
      href={to}
      className={className}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return path;
}

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(token() !== null);
  const path = usePath();

  useEffect(() => {
    whenSignedOut(() => setMe(null));
    if (!token()) return;
    get<{ kind: string; reviewer?: Me }>('/v1/me')
      .then((r) => setMe(r.reviewer ?? null))
      .catch(() => setToken(null))
      .finally(() => setChecking(false));
  }, []);

  const signOut = useCallback(async () => {
    await api('DELETE', '/v1/sessions/current').catch(() => {});
    setToken(null);
    setMe(null);
  }, []);

  if (checking) return <main className="centre" aria-busy="true" />;
  if (!me) return <SignIn onSignedIn={setMe} />;
  const lead = me.role !== 'reviewer';
  const section = path.split('/')[1] || 'work';
  const pages: Array<[string, string, boolean]> = [
    ['work', 'Work', true],
    ['dashboard', 'Dashboard', lead],
    ['items', 'Items', true],
    ['settings', 'Settings', lead],
    ['people', 'People', lead],
  ];
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <span className="brand">Tandem</span>
        <nav aria-label="Main">
          {pages.filter(([, , show]) => show).map(([key, label]) => (
            <Link key={key} to={`/${key}`} className={section === key ? 'current' : ''}>
              <span aria-current={section === key ? 'page' : undefined}>{label}</span>
            </Link>
          ))}
        </nav>
        <span className="who">
          <span className="muted">{me.name} · {me.role}</span>
          <button type="button" className="link" onClick={() => void signOut()}>Sign out</button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {section === 'work' && <Workspace me={me} />}
        {section === 'dashboard' && lead && <Dashboard />}
        {section === 'items' && <Items me={me} itemId={path.split('/')[2] ?? null} />}
        {section === 'settings' && lead && <Settings me={me} />}
        {section === 'people' && lead && <People me={me} />}
      </main>
    </div>
  );
}

function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await post<{ token: string; reviewer: Me }>('/v1/sessions', { email, password });
      setToken(r.token);
      onSignedIn(r.reviewer);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong email or password.' : message(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="centre">
      <form className="card signin" onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Tandem</h1>
        <label>
          Email
          <input name="email" autoComplete="username" autoFocus required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <p role="alert" className="error">{error}</p>
        <button type="submit" className="primary" disabled={busy}>Sign in</button>
        <p className="muted small">The first start of <code>tandem serve</code> prints the admin's password.</p>
      </form>
    </main>
  );
}
