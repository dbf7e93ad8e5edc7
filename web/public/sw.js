// The console's service worker: shows the copilot's web push notifications and opens their page when
// clicked. It caches nothing, so the console is always the one the server serves.
'use strict';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/** Only paths of this console: a payload cannot send the user elsewhere. */
function pathOf(url) {
  return typeof url === 'string' && url.startsWith('/') && !url.startsWith('//') ? url : '/notifications';
}

self.addEventListener('push', (event) => {
  let data = {};
  if (event.data) {
    try {
      data = event.data.json();
    } catch {
      data = { body: event.data.text() };
    }
  }
  const title = typeof data.title === 'string' && data.title ? data.title : 'Station copilot';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof data.body === 'string' ? data.body : '',
      // One notification per decision: a repeat replaces the one shown instead of stacking.
      tag: typeof data.decisionId === 'string' ? data.decisionId : undefined,
      requireInteraction: data.severity === 'critical',
      data: { url: pathOf(data.url) },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(pathOf(event.notification.data && event.notification.data.url), self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const same = windows.find((w) => w.url === target) || windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (same) {
        await same.focus();
        if (same.url === target) return;
        // navigate() works only on windows this worker controls; otherwise a new window opens.
        try {
          if (await same.navigate(target)) return;
        } catch {
          // fall through to a new window
        }
      }
      await self.clients.openWindow(target);
    })(),
  );
});
