// Placeholder: filled in by the page's own change.
export function Audit() {
  return <h1>Audit</h1>;
}
