/**
 * Finished answers by the request's URL as sent, so a repeated request sends bytes made once.
 * Each says for itself whether it still holds (the lane asks before serving one); the map only
 * bounds how many are kept, the oldest going first.
 */
export class KeptAnswers<Answer> {
  private readonly answers = new Map<string, Answer>();

  constructor(private readonly limit = 5_000) {}

  get(url: string): Answer | undefined {
    return this.answers.get(url);
  }

  keep(url: string, answer: Answer): void {
    this.answers.delete(url);
    if (this.answers.size >= this.limit) {
      const oldest = this.answers.keys().next();
      if (!oldest.done) this.answers.delete(oldest.value);
    }
    this.answers.set(url, answer);
  }

  drop(url: string): void {
    this.answers.delete(url);
  }
}
