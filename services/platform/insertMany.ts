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

export interface InsertTarget<T> {
  collection: { insertMany(docs: T[], opts: { ordered: boolean }): Promise<unknown> };
}

/** Straight to the driver: the documents are built by our own code, so mongoose's casting is skipped. */
export async function insertIgnoringDuplicates<T>(model: InsertTarget<T>, docs: T[]): Promise<void> {
  try {
    await model.collection.insertMany(docs, { ordered: false });
  } catch (err) {
    const e = err as BulkError;
    const writeErrors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
    const onlyDuplicates = writeErrors.length > 0 && writeErrors.every((w) => (w.code ?? w.err?.code) === DUPLICATE_KEY);
    if (!onlyDuplicates) throw err;
  }
}
