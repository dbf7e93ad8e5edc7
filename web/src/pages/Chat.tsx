// Placeholder: filled in by the page's own change.
export function Chat() {
  return <h1>Chat</h1>;
}
