// Placeholder: filled in by the page's own change.
export function Decisions() {
  return <h1>Decisions</h1>;
}
