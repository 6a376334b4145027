// The sentiment of a customer message for the routing signals. Until model/sentiment.ts (the
// measured choice of scorer) is merged, no message is scored and the "upset" signal is off.
export function scoreSentiment(_text: string): number | null {
  return null;
}
