// The sentiment of a customer message for the routing signals: the scorer chosen by measurement
// (model/sentiment.ts, VADER; see `npm run bench -- sentiment`). English only: other languages
// score near 0, so they are never taken for upset (the coverage check sends them to a person).
import { scoreSentiment as vader } from '../model/sentiment.ts';

export function scoreSentiment(text: string): number | null {
  const s = vader(text);
  return Number.isFinite(s) ? s : null;
}
