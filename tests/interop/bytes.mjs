// The byte pattern used by download/upload: byte i of a stream is i % 251.

export const CHUNK = 65536;
const PERIOD = 251;
const PATTERN = Uint8Array.from({ length: 4 * 1024 * 1024 + PERIOD }, (_, k) => k % PERIOD);

// A fresh copy of bytes [offset, offset + length) of the pattern (length <= 4 MiB).
export function patternChunk(offset, length) {
  const start = offset % PERIOD;
  return PATTERN.slice(start, start + length);
}

// True when `chunk` holds exactly bytes [offset, offset + chunk.length) of the pattern.
export function isPatternChunk(chunk, offset) {
  const start = offset % PERIOD;
  const want = Buffer.from(PATTERN.buffer, start, chunk.length);
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).equals(want);
}

// Sum of the first `size` pattern bytes, mod 2^32, computed arithmetically.
export function patternChecksum(size) {
  const cycles = Math.floor(size / PERIOD);
  const rest = size % PERIOD;
  const sum = cycles * (PERIOD * (PERIOD - 1) / 2) + rest * (rest - 1) / 2;
  return sum % 2 ** 32;
}

// Sum of all byte values of `bytes`, added to `sum`, mod 2^32.
export function addChecksum(sum, bytes) {
  let s = 0;
  for (let i = 0; i < bytes.length; i++) s += bytes[i];
  return (sum + s) % 2 ** 32;
}
