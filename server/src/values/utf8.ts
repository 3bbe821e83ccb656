/** A decoder that throws where its input is not UTF-8, rather than writing U+FFFD for it. */
export const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The offset of the first byte that does not begin a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return bytes.length;
}

function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i] as number;
  if (b < 0x80) return 1;
  const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  try {
    STRICT_UTF8.decode(bytes.subarray(i, i + length));
    return length;
  } catch {
    return 0;
  }
}

/** `bytes[at]` as a message shows it: its offset and value in hex. */
export function describeByte(bytes: Uint8Array, at: number): string {
  return `byte ${at} (0x${(bytes[at] ?? 0).toString(16).padStart(2, "0")})`;
}
