// Placeholder: filled in by the page's own change.
export function StationPage({ id }: { id: string }) {
  return <h1>Station {id}</h1>;
}
