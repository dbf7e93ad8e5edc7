// Unordered bulk insert where an id that is already stored counts as written:
// in real MongoDB the unique index is the durable dedupe backstop.
const DUPLICATE_KEY = 11000;

interface WriteError {
  code?: number;
  err?: { code?: number };
}

interface BulkError {
  code?: number;
  writeErrors?: WriteError[] | WriteError;
}

export async function insertIgnoringDuplicates<T>(model: { insertMany(docs: T[], opts: object): Promise<unknown> }, docs: T[]): Promise<void> {
  try {
    await model.insertMany(docs, { ordered: false, lean: true });
  } catch (err) {
    const e = err as BulkError;
    const writeErrors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
    const onlyDuplicates = writeErrors.length > 0 && writeErrors.every((w) => (w.code ?? w.err?.code) === DUPLICATE_KEY);
    if (!onlyDuplicates) throw err;
  }
}
