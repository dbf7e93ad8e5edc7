// A refusal or failure shown where it happened, announced to screen readers.
export function Alert({ text }: { text: string | null }) {
  return text ? (
    <p role="alert" className="error">
      {text}
    </p>
  ) : null;
}
