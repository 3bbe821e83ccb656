/**
 * About how many characters are encoded at once. V8 encodes a string by first copying it into one
 * flat string; past its largest regular object (128 KB: 64K characters of a string holding one
 * character past Latin-1) that copy goes to the large-object space. The 600 KB body of a 100 × 50
 * batch took 2.8–5.9 ms to encode whole against 0.5–1.1 ms in 16K or 32K pieces, and a 1,000-id
 * batch of every feature spent half its time encoding 64K-character chunks holding a "’" (issue
 * #38). 32K, with a fragment past it, stays under 128 KB; in 16K pieces CSV downloads, whose
 * slices mostly fit whole, were encoded 1.22× slower against 0.93× in 32K (`pnpm bench encode`).
 */
const PIECE_CHARS = 32 * 1024;

/** Text encoded to UTF-8 a bounded piece at a time; the bytes are those of the text whole. */
export class Utf8Pieces {
  private text = "";
  private readonly encoded: Buffer<ArrayBuffer>[] = [];
  private bytes = 0;

  /** About how much was added since the last `take`: bytes encoded, characters not yet. */
  get size(): number {
    return this.bytes + this.text.length;
  }

  /** Adds whole JSON or text fragments: a piece never splits a fragment. */
  add(text: string): void {
    this.text += text;
    if (this.text.length >= PIECE_CHARS) this.encodeText();
  }

  /** The bytes added since the last `take`. */
  take(): Buffer<ArrayBuffer> {
    this.encodeText();
    const bytes =
      this.encoded.length === 1
        ? (this.encoded[0] as Buffer<ArrayBuffer>)
        : Buffer.concat(this.encoded, this.bytes);
    this.encoded.length = 0;
    this.bytes = 0;
    return bytes;
  }

  private encodeText(): void {
    if (this.text.length === 0) return;
    const piece = Buffer.from(this.text, "utf8");
    this.encoded.push(piece);
    this.bytes += piece.length;
    this.text = "";
  }
}

/** `parts` joined, as UTF-8 (a body built whole: see PIECE_CHARS). */
export function utf8Body(parts: Iterable<string>): Buffer<ArrayBuffer> {
  const pieces = new Utf8Pieces();
  for (const part of parts) pieces.add(part);
  return pieces.take();
}
