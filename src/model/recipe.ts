import { UsageError } from '../errors.js';
import { validateFeatureSettings } from '../text/feature-settings.js';
import { PRESET_NAMES, presetSpec, type ModelSpec, type PresetName } from './presets.js';

/** The settings a recipe may change from its preset, each with what it sets. */
const KNOBS: Record<
  string,
  { set: (spec: ModelSpec, value: number) => ModelSpec; valid: (value: number) => boolean; what: string }
> = {
  ngrams: {
    set: (spec, value) => ({ ...spec, features: { ...spec.features, ngramMax: value } }),
    valid: (v) => Number.isInteger(v) && v >= 1 && v <= 3,
    what: 'the longest word n-gram, 1..3',
  },
  bits: {
    set: (spec, value) => ({ ...spec, features: { ...spec.features, nFeatures: 2 ** value } }),
    valid: (v) => Number.isInteger(v) && v >= 2 && v <= 24,
    what: 'log2 of the number of hashed features, 2..24',
  },
  epochs: {
    set: (spec, value) => ({ ...spec, epochs: value }),
    valid: (v) => Number.isInteger(v) && v >= 1,
    what: 'passes over the training set',
  },
  nb: { set: (spec, value) => ({ ...spec, nbAlpha: value }), valid: (v) => v > 0, what: 'NB smoothing alpha (> 0)' },
  l2: {
    set: (spec, value) => ({ ...spec, sgd: { ...spec.sgd, alpha: value } }),
    valid: (v) => v >= 0,
    what: 'the L2 penalty',
  },
  eta: {
    set: (spec, value) => ({ ...spec, sgd: { ...spec.sgd, learningRate: { kind: 'constant', eta0: value } } }),
    valid: (v) => v > 0,
    what: 'the constant training step size',
  },
  online: {
    set: (spec, value) => ({ ...spec, onlineEta: value }),
    valid: (v) => v > 0,
    what: 'the step size of online learning from feedback',
  },
};

export const RECIPE_SYNTAX = `PRESET[:knob=value,...], PRESET one of ${PRESET_NAMES.join(', ')}; knobs: ${Object.entries(
  KNOBS,
)
  .map(([name, knob]) => `${name} (${knob.what})`)
  .join(', ')}`;

/**
 * A model spec from a recipe: a preset, optionally with some of its settings changed, e.g.
 * `default:ngrams=3,bits=22,epochs=5`. Lets cross-validation compare recipes without a preset for
 * each; the spec keeps the preset's name (a model file records the full spec).
 */
export function recipeSpec(recipe: string): ModelSpec {
  const [preset, knobs = ''] = recipe.split(':', 2) as [string, string | undefined];
  if (!(PRESET_NAMES as readonly string[]).includes(preset)) {
    throw new UsageError(
      `recipe '${recipe}': the preset must be one of ${PRESET_NAMES.join(', ')}, got '${preset}'. Syntax: ${RECIPE_SYNTAX}.`,
    );
  }
  let spec = presetSpec(preset as PresetName);
  for (const part of knobs.split(',').filter((p) => p.length > 0)) {
    const [name, raw] = part.split('=', 2) as [string, string | undefined];
    const knob = KNOBS[name];
    const value = Number(raw);
    if (knob === undefined)
      throw new UsageError(`recipe '${recipe}': unknown knob '${name}'. Syntax: ${RECIPE_SYNTAX}.`);
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || !knob.valid(value)) {
      throw new UsageError(`recipe '${recipe}': ${name}=${raw ?? ''} is not valid; ${name} is ${knob.what}.`);
    }
    spec = knob.set(spec, value);
  }
  validateFeatureSettings(spec.features);
  return spec;
}
