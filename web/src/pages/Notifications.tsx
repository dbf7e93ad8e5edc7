// Placeholder: filled in by the page's own change.
export function Notifications() {
  return <h1>Notifications</h1>;
}
