import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseEvaluateArgs, parseTrainArgs, parseUpdateArgs } from '../../scripts/args.js';
import { UsageError } from '../../src/errors.js';

describe('parseTrainArgs', () => {
  it('takes the documented defaults', () => {
    expect(parseTrainArgs(['--data', 'corpus'], {})).toEqual({
      data: 'corpus',
      preset: 'default',
      epochs: undefined,
      holdout: 0.1,
      seed: 1,
      out: 'data/model.bin',
    });
  });

  it('writes to MODEL_PATH, else to model.bin in DATA_DIR, as the server and update read them, unless --out says otherwise', () => {
    expect(parseTrainArgs(['--data', 'c'], { MODEL_PATH: '/srv/m.bin', DATA_DIR: '/srv/d' }).out).toBe('/srv/m.bin');
    expect(parseTrainArgs(['--data', 'c'], { DATA_DIR: '/srv/d' }).out).toBe(path.join('/srv/d', 'model.bin'));
    expect(parseTrainArgs(['--data', 'c', '--out', 'x.bin'], { MODEL_PATH: '/srv/m.bin' }).out).toBe('x.bin');
  });

  it('reads every option', () => {
    const argv = [
      '--data',
      'c.csv',
      '--preset',
      'classic',
      '--epochs',
      '3',
      '--holdout',
      '0',
      '--seed',
      '7',
      '--out',
      'm.bin',
    ];

    expect(parseTrainArgs(argv)).toEqual({
      data: 'c.csv',
      preset: 'classic',
      epochs: 3,
      holdout: 0,
      seed: 7,
      out: 'm.bin',
    });
  });

  it.each([
    ['without --data', ['--out', 'm.bin'], /--data is required/],
    ['with an unknown preset', ['--data', 'c', '--preset', 'fancy'], /--preset must be one of classic, default.*fancy/],
    ['with --epochs 0', ['--data', 'c', '--epochs', '0'], /--epochs.*'0'/],
    ['with --epochs 1.5', ['--data', 'c', '--epochs', '1.5'], /--epochs.*'1\.5'/],
    ['with --holdout 1.5', ['--data', 'c', '--holdout', '1.5'], /--holdout.*'1\.5'/],
    ['with --seed 0.5', ['--data', 'c', '--seed', '0.5'], /--seed.*'0\.5'/],
    ['with an unknown option', ['--data', 'c', '--epoch', '3'], /epoch/],
  ])('refuses to train %s, with a UsageError', (_case, argv, message) => {
    expect(() => parseTrainArgs(argv)).toThrow(UsageError);
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });
});

describe('parseEvaluateArgs', () => {
  it('takes the shipped model and the folder itself by default', () => {
    expect(parseEvaluateArgs(['--data', 'corpus'], {})).toEqual({
      data: 'corpus',
      split: undefined,
      model: 'data/model.bin',
      cv: undefined,
      feedbackLoop: undefined,
    });
  });

  it('scores MODEL_PATH, else model.bin in DATA_DIR, unless --model says otherwise', () => {
    expect(parseEvaluateArgs(['--data', 'c'], { MODEL_PATH: '/srv/m.bin' }).model).toBe('/srv/m.bin');
    expect(parseEvaluateArgs(['--data', 'c'], { DATA_DIR: '/srv/d' }).model).toBe(path.join('/srv/d', 'model.bin'));
    expect(parseEvaluateArgs(['--data', 'c', '--model', 'x.bin'], { MODEL_PATH: '/srv/m.bin' }).model).toBe('x.bin');
  });

  it('reads --split and --model', () => {
    expect(parseEvaluateArgs(['--data', 'c', '--split', 'test', '--model', 'm.bin'])).toEqual({
      data: 'c',
      split: 'test',
      model: 'm.bin',
      cv: undefined,
      feedbackLoop: undefined,
    });
  });

  it('reads --feedback-loop with its recipe and seed, and refuses it with --cv', () => {
    expect(parseEvaluateArgs(['--data', 'c', '--feedback-loop', '--seed', '3'], {}).feedbackLoop).toEqual({
      recipe: 'default',
      seed: 3,
    });
    expect(() => parseEvaluateArgs(['--data', 'c', '--feedback-loop', '--cv', '10'], {})).toThrow(
      /drop --cv and --against/,
    );
  });

  it('reads --cv with its recipe, the recipe to compare against and the seed', () => {
    expect(parseEvaluateArgs(['--data', 'c', '--cv', '10'], {}).cv).toEqual({
      k: 10,
      recipe: 'default',
      against: undefined,
      seed: 1,
    });
    expect(
      parseEvaluateArgs([
        '--data',
        'c',
        '--cv',
        '5',
        '--preset',
        'default:ngrams=3,bits=22',
        '--against',
        'default',
        '--seed',
        '4',
      ]).cv,
    ).toEqual({
      k: 5,
      recipe: 'default:ngrams=3,bits=22',
      against: 'default',
      seed: 4,
    });
  });

  it.each([
    ['without --data', ['--split', 'test'], /--data is required/],
    ['with --split dev', ['--data', 'c', '--split', 'dev'], /--split must be 'train' or 'test', got 'dev'/],
    ['with --cv 1', ['--data', 'c', '--cv', '1'], /--cv: '1' is not a valid value/],
    [
      'with --preset but no --cv',
      ['--data', 'c', '--preset', 'default'],
      /--preset go with --cv K \(cross-validation\) or --feedback-loop/,
    ],
    ['with --cv and --model', ['--data', 'c', '--cv', '3', '--model', 'm.bin'], /give one or the other/],
    [
      'with an unknown preset',
      ['--data', 'c', '--cv', '3', '--preset', 'fancy'],
      /the preset must be one of classic, default/,
    ],
    ['with an unknown knob', ['--data', 'c', '--cv', '3', '--against', 'default:depth=3'], /unknown knob 'depth'/],
    [
      'with a bad knob value',
      ['--data', 'c', '--cv', '3', '--preset', 'default:ngrams=4'],
      /ngrams=4 is not valid; ngrams is the longest word n-gram, 1..3/,
    ],
  ])('refuses to evaluate %s, with a UsageError', (_case, argv, message) => {
    expect(() => parseEvaluateArgs(argv)).toThrow(UsageError);
    expect(() => parseEvaluateArgs(argv)).toThrow(message);
  });
});

describe('parseUpdateArgs', () => {
  it('finds the database and the model file as the server does (DATA_DIR, DB_PATH, MODEL_PATH)', () => {
    expect(parseUpdateArgs([], {})).toEqual({
      dbPath: path.join('data', 'reviews.sqlite'),
      modelPath: path.join('data', 'model.bin'),
      checkpointDir: path.join('data', 'checkpoints'),
      batch: 10_000,
      checkPath: undefined,
      dryRun: false,
      force: false,
    });
    expect(parseUpdateArgs([], { DATA_DIR: '/srv/mc', MODEL_PATH: '/models/m.bin' })).toMatchObject({
      dbPath: path.join('/srv/mc', 'reviews.sqlite'),
      modelPath: '/models/m.bin',
    });
  });

  it('lets the options win over the environment', () => {
    const argv = ['--db', 'r.sqlite', '--model', 'm.bin', '--batch', '50', '--check', 'c.csv', '--dry-run', '--force'];

    expect(parseUpdateArgs(argv, { DB_PATH: 'other.sqlite' })).toEqual({
      dbPath: 'r.sqlite',
      modelPath: 'm.bin',
      checkpointDir: path.join('data', 'checkpoints'),
      batch: 50,
      checkPath: 'c.csv',
      dryRun: true,
      force: true,
    });
  });

  it.each([
    ['--batch 0', ['--batch', '0'], /--batch.*'0'/],
    ['a value after a flag', ['--force', 'yes'], /yes/],
  ])('refuses %s with a UsageError', (_case, argv, message) => {
    expect(() => parseUpdateArgs(argv, {})).toThrow(UsageError);
    expect(() => parseUpdateArgs(argv, {})).toThrow(message);
  });

  it('refuses --db when DATABASE_URL is set (it would be ignored), and takes DATABASE_URL without it', () => {
    const env = { DATABASE_URL: 'postgres://u@127.0.0.1/mc' };
    expect(() => parseUpdateArgs(['--db', 'r.sqlite'], env)).toThrow(UsageError);
    expect(() => parseUpdateArgs(['--db', 'r.sqlite'], env)).toThrow(
      /--db names a SQLite file \(r\.sqlite\), but DATABASE_URL is set/,
    );
    expect(parseUpdateArgs(['--model', 'm.bin'], env)).toMatchObject({
      databaseUrl: env.DATABASE_URL,
      modelPath: 'm.bin',
    });
  });
});
