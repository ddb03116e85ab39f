export { createLearner, type LearnerOptions } from './learner.js';
export { foldLog, foldRefusal, MIN_REVIEW_LENGTH } from './fold.js';
export { followChanges, type ChangeFollower, type ChangeLog, type FollowChangesOptions } from './follow-changes.js';
export {
  checkAccuracy,
  updateModelFile,
  type UpdateModelFileOptions,
  type UpdateModelFileResult,
} from './update-model-file.js';
export type { FoldCounts, Learner, ModelInfo, PredictOutcome, TextSegment } from './types.js';
