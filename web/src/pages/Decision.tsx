// Placeholder: filled in by the page's own change.
export function DecisionPage({ id }: { id: string }) {
  return <h1>Decision {id}</h1>;
}
