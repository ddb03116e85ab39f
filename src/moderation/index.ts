export { DEFAULT_MODERATION, MIN_REVIEW_LENGTH, moderationRule, type ModerationSettings } from './verdict-rule.js';
export { BANDS, fingerprint, normalizeReview, SIGNATURE_SIZE, similarity, type Fingerprint } from './fingerprint.js';
export { CLIENT_WINDOW_MS, clientWindowStart } from './client-window.js';
export { phraseLeans } from './phrase-leans.js';
export { reasonCodeOf, readerWords, reasonWords, type ReasonCode } from './reasons.js';
export {
  createOperator,
  NoSuchRowError,
  UnlearnableRowError,
  type Operator,
  type OperatorDeps,
  type VerdictChangeResult,
} from './operator.js';
