/** Answers kept per path: the feature lists (or services) one id is asked for. */
const PER_PATH = 8;

/**
 * Finished answers by the request's URL as sent, so a repeated request sends bytes made once.
 * Each says for itself whether it still holds (the lane asks before serving one); the map only
 * bounds how many are kept, the oldest going first.
 *
 * Found by the URL's path, then the whole URL compared: a Map keyed by the URL would hash every
 * request's new string whole, and a lookup's query (50 feature names) is 1.5 KB, where hashing
 * took longer than the rest of finding its answer (2.5–3 µs against 0.2 µs). A path keeps at
 * most PER_PATH answers, so a client sending one path with ever new queries costs a bounded scan.
 */
export class KeptAnswers<Answer> {
  private readonly byPath = new Map<string, [url: string, answer: Answer][]>();
  private count = 0;

  constructor(private readonly limit = 5_000) {}

  get(url: string): Answer | undefined {
    const kept = this.byPath.get(pathOf(url));
    if (kept) for (const [keptUrl, answer] of kept) if (keptUrl === url) return answer;
    return undefined;
  }

  keep(url: string, answer: Answer): void {
    this.drop(url);
    if (this.count >= this.limit) this.dropOldest();
    const path = pathOf(url);
    // Re-inserted last, so the paths' order stays the order they were last kept in.
    const kept = this.byPath.get(path) ?? [];
    this.byPath.delete(path);
    if (kept.length >= PER_PATH) {
      kept.shift();
      this.count--;
    }
    kept.push([url, answer]);
    this.byPath.set(path, kept);
    this.count++;
  }

  drop(url: string): void {
    const path = pathOf(url);
    const kept = this.byPath.get(path);
    const at = kept?.findIndex(([keptUrl]) => keptUrl === url) ?? -1;
    if (!kept || at < 0) return;
    kept.splice(at, 1);
    this.count--;
    if (kept.length === 0) this.byPath.delete(path);
  }

  private dropOldest(): void {
    const oldest = this.byPath.entries().next();
    if (oldest.done) return;
    const [path, kept] = oldest.value;
    kept.shift();
    this.count--;
    if (kept.length === 0) this.byPath.delete(path);
  }

  get size(): number {
    return this.count;
  }
}

function pathOf(url: string): string {
  const question = url.indexOf("?");
  return question < 0 ? url : url.slice(0, question);
}
