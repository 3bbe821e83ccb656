import type { Artist } from "./artists";
import type { Rng } from "./random";
import {
  DETERMINERS,
  GLUE,
  PREPOSITIONS,
  PROFANE_INTERJECTIONS,
  PROFANE_MODIFIERS,
  RHYME_GROUPS,
  SUBJECTS,
  THEMES,
  type Theme,
} from "./vocab";

/**
 * Writes a song (`profanity`: chance that a line swears): sections under "[Verse 1]"-style headers, separated by blank lines; a chorus
 * repeated two or three times; lines in couplets that rhyme as often as the artist's skill says;
 * words drawn from the track's themes, so vocabulary, sentiment and themes agree.
 */
export function writeLyrics(rng: Rng, artist: Artist, themes: readonly number[], profanity: number): string {
  const writer = new LineWriter(rng, artist, themes, profanity);
  const sections: [string, string[]][] = [];
  if (rng.chance(0.4)) sections.push(["Intro", writer.intro()]);
  const chorus = writer.chorus();
  const verses = rng.chance(0.3) ? 3 : 2;
  for (let v = 1; v <= verses; v++) {
    sections.push([`Verse ${v}`, writer.couplets(4 + rng.int(5))]);
    sections.push(["Chorus", chorus]);
    if (v === 2 && verses === 2 && rng.chance(0.25)) sections.push(["Bridge", writer.couplets(2)]);
  }
  if (rng.chance(0.4)) sections.push(["Outro", writer.couplets(1)]);
  return sections.map(([name, lines]) => `[${name}]\n${lines.join("\n")}`).join("\n\n");
}

class LineWriter {
  constructor(
    private readonly rng: Rng,
    private readonly artist: Artist,
    private readonly themes: readonly number[],
    private readonly profanity: number,
  ) {}

  intro(): string[] {
    const [a, b] = this.artist.adLibs;
    return [capitalize(`${a} ${b} ${a}`), this.line(this.endWord())];
  }

  chorus(): string[] {
    const [first, second] = this.couplets(1);
    const hook = [first as string, second as string];
    return this.rng.chance(0.5) ? [...hook, ...hook] : [...hook, ...this.couplets(1 + this.rng.int(2))];
  }

  couplets(count: number): string[] {
    const lines: string[] = [];
    for (let c = 0; c < count; c++) {
      const group = this.rng.pick(RHYME_GROUPS);
      const first = this.rng.pick(group);
      let second = this.endWord();
      if (this.rng.chance(this.artist.rhymeSkill)) {
        do second = this.rng.pick(group);
        while (second === first);
      }
      lines.push(this.line(first), this.line(second));
    }
    return lines;
  }

  private endWord(): string {
    return this.rng.pick(this.rng.pick(RHYME_GROUPS));
  }

  private theme(): Theme {
    const rng = this.rng;
    if (rng.chance(this.artist.range)) return rng.pick(THEMES);
    const t = rng.chance(0.6) ? this.themes[0] : this.themes[1 + rng.int(this.themes.length - 1)];
    return THEMES[t ?? 0] as Theme;
  }

  private line(end: string): string {
    const rng = this.rng;
    const t = this.theme();
    const out: string[] = [];
    if (rng.chance(0.1)) out.push(rng.pick(this.artist.adLibs));
    if (rng.chance(this.profanity * 0.35)) out.push(rng.pick(PROFANE_INTERJECTIONS));
    const noun = () => {
      if (rng.chance(this.profanity * 0.5)) out.push(rng.pick(PROFANE_MODIFIERS));
      else if (rng.chance(0.45)) out.push(rng.pick(t.adjectives));
      out.push(rng.pick(t.nouns));
    };
    switch (rng.int(4)) {
      case 0:
      case 1:
        out.push(rng.pick(SUBJECTS), rng.pick(t.verbs), rng.pick(DETERMINERS));
        noun();
        break;
      case 2:
        out.push(rng.pick(GLUE), rng.pick(DETERMINERS));
        noun();
        out.push("and", rng.pick(t.nouns));
        break;
      default:
        out.push(rng.pick(SUBJECTS), rng.pick(t.verbs));
    }
    out.push(rng.pick(PREPOSITIONS), end);
    return capitalize(out.join(" "));
  }
}

function capitalize(line: string): string {
  return line.charAt(0).toUpperCase() + line.slice(1);
}
