// Personal data in item text: e-mail addresses, phone numbers and payment card numbers are masked
// before a person sees an item, so that reviewers work on what the item is about, not on whom.
// A lead may reveal the original; that is the shell's business (and audited there).

const email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// 13 to 19 digits, single spaces or dashes between groups; a Luhn check tells a card from an order number.
const card = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
// A run of digits with the separators phone numbers are written with, 8 to 15 digits in all.
const phone = /(?<![\w+])\+?\(?\d[\d ().-]{6,}\d(?![\w])/g;
const isoDate = /^\d{4}-\d{2}-\d{2}$/;

export interface MaskCounts {
  email: number;
  phone: number;
  card: number;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The text with personal data replaced by `[email]`, `[phone]`, `[card …1234]`, and what was masked. */
export function maskPiiCounted(text: string): { text: string; masked: MaskCounts } {
  const masked: MaskCounts = { email: 0, phone: 0, card: 0 };
  let out = text.replace(email, () => {
    masked.email++;
    return '[email]';
  });
  out = out.replace(card, (m) => {
    const digits = m.replace(/\D/g, '');
    if (!luhnValid(digits)) return m;
    masked.card++;
    return `[card …${digits.slice(-4)}]`;
  });
  out = out.replace(phone, (m) => {
    const digits = m.replace(/\D/g, '').length;
    if (digits < 8 || digits > 15 || isoDate.test(m)) return m;
    masked.phone++;
    return '[phone]';
  });
  return { text: out, masked };
}

export function maskPii(text: string): string {
  return maskPiiCounted(text).text;
}

/** Masks every string inside a JSON value (structured fields and metadata carry personal data too). */
export function maskPiiDeep(value: unknown): unknown {
  if (typeof value === 'string') return maskPii(value);
  if (Array.isArray(value)) return value.map(maskPiiDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskPiiDeep(v)]));
  }
  return value;
}
