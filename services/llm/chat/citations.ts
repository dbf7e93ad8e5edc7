// What the model says is checked before an operator sees it: citations must name records that
// exist (the others are cut out of the text), no run of the system prompt may be repeated, and no link
// or image reaches the operator (a note or name the model read could have planted one).
export interface Citation {
  kind: 'decision' | 'station';
  id: string;
}

const CITE = /\[(decision|station):([A-Za-z0-9][A-Za-z0-9._:~-]{0,159})\]/g;
/** Consecutive prompt words that count as quoting it (long enough that ordinary advice never matches). */
export const LEAK_WORDS = 10;

/** Keeps the citations whose records exist, in order of first mention, and removes the others from the text. */
export async function checkCitations(
  text: string,
  exists: (c: Citation) => boolean | Promise<boolean>,
): Promise<{ text: string; citations: Citation[] }> {
  const verdict = new Map<string, boolean>();
  for (const m of text.matchAll(CITE)) {
    const key = `${m[1]}:${m[2]}`;
    if (!verdict.has(key)) verdict.set(key, await exists({ kind: m[1] as Citation['kind'], id: m[2] }));
  }
  const citations: Citation[] = [];
  for (const [key, ok] of verdict) {
    if (!ok) continue;
    const at = key.indexOf(':');
    citations.push({ kind: key.slice(0, at) as Citation['kind'], id: key.slice(at + 1) });
  }
  const cleaned = text.replace(CITE, (whole, kind: string, id: string) => (verdict.get(`${kind}:${id}`) ? whole : '\u0000'));
  return { text: tidy(cleaned), citations };
}

const LINK_PATTERNS: [RegExp, string][] = [
  // Images, Markdown and HTML: an image URL is fetched the moment the answer is shown.
  [/!\[[^\]\n]*\]\([^)\n]*\)/g, ''],
  [/<img\b[^>]*>/gi, ''],
  // Markdown links keep their text; reference definitions go.
  [/\[([^\]\n]+)\]\([^)\n]*\)/g, '$1'],
  [/^[ \t]*\[[^\]\n]+\]:[ \t]*\S+.*$/gm, ''],
  [/<\/?a\b[^>]*>/gi, ''],
  // Bare URLs of any scheme that can be followed.
  [/\b(?:https?|ftp|data|javascript|file|mailto):[^\s)\]>"']+/gi, '(link removed)'],
  [/\bwww\.[^\s)\]>"']+/gi, '(link removed)'],
];

/** The text without links or images: citations ([decision:<id>], [station:<id>]) are the only references an answer carries. */
export function stripLinks(text: string): string {
  let out = text;
  for (const [re, to] of LINK_PATTERNS) out = out.replace(re, to);
  return out;
}

/** Removes the marks left where citations were cut, and the blanks around them. */
function tidy(text: string): string {
  return text
    .replace(/[ \t]*\u0000(?:[ \t]*\u0000)*/g, '\u0000')
    .replace(/\u0000(?=[ \t]*[.,;:!?)])/g, '')
    .replace(/\(\s*\u0000\s*\)/g, '')
    .replace(/\u0000[ \t]*/g, ' ')
    .replace(/ +([.,;:!?])/g, '$1')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/ {2,}/g, ' ')
    .trim();
}

const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

export function promptShingles(prompt: string, n = LEAK_WORDS): Set<string> {
  const w = words(prompt);
  const out = new Set<string>();
  for (let i = 0; i + n <= w.length; i++) out.add(w.slice(i, i + n).join(' '));
  return out;
}

/** True when `text` repeats `n` consecutive words of the prompt (case and punctuation ignored). */
export function quotesPrompt(text: string, shingles: Set<string>, n = LEAK_WORDS): boolean {
  const w = words(text);
  for (let i = 0; i + n <= w.length; i++) if (shingles.has(w.slice(i, i + n).join(' '))) return true;
  return false;
}

/**
 * Filters streamed text before it reaches the operator. It holds back the last words (so a run of
 * prompt words is caught before any of it is sent) and any citation not yet closed; a citation is
 * sent only when `known` vouches for it now, the final reply carrying the rest once checked. After
 * a quote of the prompt is seen nothing more is sent.
 */
export class DeltaGuard {
  private all = '';
  private pending = '';
  private stopped = false;
  /** Whether any text has been sent. */
  sent = false;

  constructor(private readonly o: { shingles: Set<string>; known(c: Citation): boolean; emit(text: string): void; n?: number }) {}

  get leaked(): boolean {
    return this.stopped;
  }

  push(text: string): void {
    if (this.stopped || !text) return;
    this.all += text;
    this.pending += text;
    if (quotesPrompt(this.all, this.o.shingles, this.o.n)) {
      this.stopped = true;
      return;
    }
    this.release(false);
  }

  end(): void {
    if (!this.stopped) this.release(true);
  }

  private release(final: boolean): void {
    let cut = this.pending.length;
    if (!final) {
      const starts = [...this.pending.matchAll(/\S+/g)].map((m) => m.index);
      const hold = (this.o.n ?? LEAK_WORDS) - 1;
      cut = starts.length > hold ? starts[starts.length - hold] : 0;
      // Hold back a citation, link target or tag not closed yet, so it is judged whole.
      for (const [o, c] of [
        ['[', ']'],
        ['(', ')'],
        ['<', '>'],
      ] as const) {
        const open = cut > 0 ? this.pending.lastIndexOf(o, cut - 1) : -1;
        const close = open >= 0 ? this.pending.indexOf(c, open) : -1;
        if (open >= 0 && (close < 0 || close >= cut) && cut - open < 500) cut = open;
      }
    }
    if (cut <= 0) return;
    const out = stripLinks(this.pending.slice(0, cut)).replace(CITE, (whole, kind: string, id: string) =>
      this.o.known({ kind: kind as Citation['kind'], id }) ? whole : '',
    );
    this.pending = this.pending.slice(cut);
    if (!out) return;
    this.sent = true;
    this.o.emit(out);
  }
}
