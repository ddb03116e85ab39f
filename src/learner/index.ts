export { createLearner, type LearnerOptions } from './learner.js';
export { foldLog, foldRefusal } from './fold.js';
export { followChanges, type ChangeFollower, type ChangeLog, type FollowChangesOptions } from './follow-changes.js';
export {
  checkAccuracy,
  modelFileHome,
  updateModelFile,
  type ModelHome,
  type UpdateModelFileOptions,
  type UpdateModelFileResult,
} from './update-model-file.js';
export type {
  CheckScore,
  FeedbackOrigin,
  FoldCounts,
  Learner,
  ModelInfo,
  PredictOptions,
  PredictOutcome,
  TextSegment,
} from './types.js';
export { modelJournal, updateEvent, type ModelJournal, type ModelJournalOptions } from './model-journal.js';
export { openCheckpoints, type CheckpointInfo, type Checkpoints } from './checkpoints.js';
export { advance, fromModelFile, type ModelAtLog } from './log-position.js';
export { databaseCheckpoints, publishedModelHome } from './database-models.js';
export { lockModelFile, lockPostgresUpdate, UpdateRunningError, type UpdateLock } from './update-lock.js';
