// The console's frame: sign-in until there is a session, then the navigation (what the role may use,
// nothing else), the notification bell and the pages.
import { lazy, Suspense, useEffect } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { session, useSession } from './session';
import { live, useLiveValue } from './live';
import { SignIn, ChangePassword } from './pages/SignIn';

// Pages load when first opened: the sign-in form needs none of them (nor Leaflet or uPlot), so the
// first load fetches and parses only the frame.
const Stations = lazy(() => import('./pages/Stations').then((m) => ({ default: m.Stations })));
const StationPage = lazy(() => import('./pages/Station').then((m) => ({ default: m.StationPage })));
const Decisions = lazy(() => import('./pages/Decisions').then((m) => ({ default: m.Decisions })));
const DecisionPage = lazy(() => import('./pages/Decision').then((m) => ({ default: m.DecisionPage })));
const Chat = lazy(() => import('./pages/Chat').then((m) => ({ default: m.Chat })));
const Audit = lazy(() => import('./pages/Audit').then((m) => ({ default: m.Audit })));
const Admin = lazy(() => import('./pages/Admin').then((m) => ({ default: m.Admin })));
const Notifications = lazy(() => import('./pages/Notifications').then((m) => ({ default: m.Notifications })));
import { Bell } from './components/Bell';
import type { Role } from './types';

interface NavItem {
  href: string;
  label: string;
  roles: Role[];
}

/** What each role may open (the API enforces the same; hiding it keeps the screen honest). */
export const NAV: NavItem[] = [
  { href: '/stations', label: 'Stations', roles: ['admin', 'operator', 'auditor'] },
  { href: '/decisions', label: 'Decisions', roles: ['admin', 'operator', 'auditor'] },
  { href: '/chat', label: 'Chat', roles: ['operator'] },
  { href: '/audit', label: 'Audit', roles: ['admin', 'auditor'] },
  { href: '/admin', label: 'Admin', roles: ['admin'] },
];

function Nav({ role }: { role: Role }) {
  const [path] = useLocation();
  return (
    <nav aria-label="Main">
      <ul>
        {NAV.filter((n) => n.roles.includes(role)).map((n) => (
          <li key={n.href}>
            <Link href={n.href} aria-current={path.startsWith(n.href) ? 'page' : undefined}>
              {n.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Shell() {
  const { user } = useSession();
  const connected = useLiveValue((s) => s.connected);
  useEffect(() => {
    void live.start();
    return () => live.stop();
  }, []);
  if (!user) return null;
  const allowed = (href: string) => NAV.some((n) => n.href === href && n.roles.includes(user.role));
  return (
    <div className="shell">
      <header className="top">
        <Link href="/stations" className="brand">
          Station copilot
        </Link>
        <Nav role={user.role} />
        <div className="who">
          <span
            className={connected ? 'dot live' : 'dot'}
            title={connected ? 'Live' : 'Reconnecting'}
            aria-label={connected ? 'Live' : 'Reconnecting'}
          />
          <Bell />
          <span className="email">
            {user.email} <small>({user.role})</small>
          </span>
          <button type="button" onClick={() => void session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Suspense fallback={<p className="notice">Loading...</p>}>
          <Switch>
            <Route path="/stations" component={Stations} />
            <Route path="/stations/:id">{(p) => <StationPage id={decodeURIComponent(p.id)} />}</Route>
            <Route path="/decisions" component={Decisions} />
            <Route path="/decisions/:id">{(p) => <DecisionPage id={decodeURIComponent(p.id)} />}</Route>
            <Route path="/notifications" component={Notifications} />
            {allowed('/chat') && <Route path="/chat" component={Chat} />}
            {allowed('/audit') && <Route path="/audit" component={Audit} />}
            {allowed('/admin') && <Route path="/admin" component={Admin} />}
            <Route>
              <Redirect to="/stations" />
            </Route>
          </Switch>
        </Suspense>
      </main>
    </div>
  );
}

export function App() {
  const { user, restoring } = useSession();
  if (restoring) return <p className="center">Restoring your session...</p>;
  if (!user) return <SignIn />;
  if (user.mustChangePassword) return <ChangePassword />;
  return <Shell />;
}
