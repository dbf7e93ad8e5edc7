// Placeholder: filled in by the page's own change.
export function Stations() {
  return <h1>Stations</h1>;
}
