// Placeholder: filled in by the page's own change.
export function Admin() {
  return <h1>Admin</h1>;
}
