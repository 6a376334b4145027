// Row ids: UUID version 7 (RFC 9562), time-ordered. Consecutive rows land on the same index
// pages instead of random ones, which keeps the hot path's inserts cheap in write-ahead log
// (random keys make every checkpoint re-log whole pages all over the primary key indexes).
import { randomFillSync } from 'node:crypto';

const bytes = new Uint8Array(16);
const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function newId(now = Date.now()): string {
  randomFillSync(bytes, 6, 10);
  // 48-bit Unix time in milliseconds, big-endian.
  let t = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += hex[bytes[i]!];
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}
