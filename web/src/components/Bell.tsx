// The notification bell: the unread count, live; opens the notifications page.
import { Link } from 'wouter';
import { useLiveValue } from '../live';

export function Bell() {
  const unread = useLiveValue((s) => s.unread);
  return (
    <Link href="/notifications" className="bell" aria-label={`Notifications: ${unread} unread`}>
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <path
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"
          fill="currentColor"
        />
      </svg>
      {unread > 0 && <span className="badge">{unread > 99 ? '99+' : unread}</span>}
    </Link>
  );
}
