import { InvalidInputError } from '../errors.js';

/** Everything that decides which sparse vector a text becomes. Stored in the model file. */
export interface FeatureSettings {
  /** Size of the hash space (columns). @default 2 ** 21 for classic */
  nFeatures: number;
  /** Smallest and largest word n-gram, each in 1..3. */
  ngramMin: number;
  ngramMax: number;
  /** Drop English stop words before building n-grams. */
  removeStopWords: boolean;
  /** 1 for a feature present, instead of its count. */
  binary: boolean;
  /** Sign of each feature from its hash, as scikit-learn's HashingVectorizer(alternate_sign=True). */
  alternateSign: boolean;
  /** Scale each row to unit Euclidean length (done after any model-side per-feature scaling). */
  l2Normalize: boolean;
}

/** Throws InvalidInputError naming the first bad setting. */
export function validateFeatureSettings(settings: FeatureSettings): FeatureSettings {
  const { nFeatures, ngramMin, ngramMax } = settings;
  if (!Number.isInteger(nFeatures) || nFeatures < 2 || nFeatures > 2 ** 28) {
    throw new InvalidInputError(`nFeatures must be an integer in [2, 2^28], got ${nFeatures}.`);
  }
  if (
    !Number.isInteger(ngramMin) ||
    !Number.isInteger(ngramMax) ||
    ngramMin < 1 ||
    ngramMax > 3 ||
    ngramMin > ngramMax
  ) {
    throw new InvalidInputError(`n-gram range must satisfy 1 <= min <= max <= 3, got (${ngramMin}, ${ngramMax}).`);
  }
  return settings;
}
