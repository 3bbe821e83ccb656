/**
 * Timestamps as the corpus stores them: `timestamp` without a zone, holding UTC wall time, to
 * the microsecond. They travel as epoch microseconds (a JS number is exact to the microsecond
 * until 2255) so nothing rounds to JS Date's milliseconds or shifts with the process's zone.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses ISO 8601 (date, date-time, optional fraction and offset; no offset means UTC). */
export function parseTimestamp(text: string): number | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "", zone] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as number[];
  if (hour === undefined || minute === undefined || second === undefined) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  // Year 0 is ISO's 1 BC, which PostgreSQL's timestamp input refuses ("out of range").
  if ((year as number) < 1) return undefined;
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const check = new Date(0);
  check.setUTCFullYear(year as number, (month as number) - 1, day);
  check.setUTCHours(hour, minute, second, 0);
  // 2024-02-30 rolls over to March; a real date comes back unchanged.
  if (check.getUTCMonth() !== (month as number) - 1 || check.getUTCDate() !== day) return undefined;
  const offset = offsetMinutes(zone);
  if (offset === undefined) return undefined;
  const ms = check.getTime();
  const micros = Number(fraction.padEnd(6, "0").slice(0, 6));
  return ms * 1000 + micros - offset * 60_000_000;
}

/** The zone's offset in minutes; undefined past ±23:59 or with minutes past 59 (+99:99 shifted a day and more). */
function offsetMinutes(zone: string | undefined): number | undefined {
  if (!zone || zone === "Z" || zone === "z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const [hours, minutes] = [Number(digits.slice(0, 2)), Number(digits.slice(2) || 0)];
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** `2024-05-01T10:00:00.123456` — UTC wall time, the form PostgreSQL casts to `timestamp`. */
export function formatTimestamp(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  const iso = new Date(ms).toISOString(); // 2024-05-01T10:00:00.123Z
  return `${iso.slice(0, 23)}${String(Math.round(rest)).padStart(3, "0")}`;
}

/** Epoch microseconds from a JS Date (for Parquet/Arrow timestamp columns read back). */
export function dateMicros(date: Date): number {
  return date.getTime() * 1000;
}
