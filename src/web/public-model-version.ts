import { createHmac } from 'node:crypto';

/**
 * What an anonymous client is told of the model's version: 12 hex characters of an HMAC of the
 * full version (`<file checksum>+<log rows applied>.<verdict changes>`) under the app's secret.
 * The full one tells anyone how much feedback the log holds and how many verdicts the operator
 * changed, which HEALTH_DETAILS=off exists to hide; this one only changes when the model does, the
 * same in every worker (they share the secret), and cannot be turned back into counts by trying
 * them, without the secret.
 *
 * @example publicModelVersion(secret)('c27f35247d10+100001.46799') // -> 'f3a91c0b52d7'
 */
export function publicModelVersion(secret: string): (fullVersion: string) => string {
  const key = createHmac('sha256', secret).update('movieclassifier public model version v1').digest();
  // Every API answer asks, and the version only changes when the model learns: the last answer is
  // kept, so a run of predictions between two feedbacks pays for one HMAC, not one each.
  let last: { full: string; shown: string } | undefined;
  return (fullVersion) => {
    if (last?.full !== fullVersion) {
      last = { full: fullVersion, shown: createHmac('sha256', key).update(fullVersion).digest('hex').slice(0, 12) };
    }
    return last.shown;
  };
}
