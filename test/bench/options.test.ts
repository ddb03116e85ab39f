import { describe, expect, it } from 'vitest';

import { CASE_NAMES, parseBenchArgs } from '../../tools/bench/options.js';
import { InvalidInputError } from '../../src/errors.js';

describe('parseBenchArgs', () => {
  it('without arguments, measures every case with WORKERS=1 and 2, 16 connections, 10 s each after 2 s of warm-up', () => {
    // Act
    const options = parseBenchArgs([]);

    // Assert
    expect(options).toMatchObject({
      duration: 10,
      connections: 16,
      warmup: 2,
      workers: [1, 2],
      cases: [...CASE_NAMES],
      data: null,
      reviewFile: 'test/fixtures/bench-review.txt',
      model: 'data/model.bin',
      feedbackPool: null,
      build: 'auto',
      logLevel: 'info',
      help: false,
    });
  });

  it('reads every option', () => {
    // Act
    const options = parseBenchArgs([
      '--duration',
      '2.5',
      '--connections',
      '32',
      '--warmup',
      '0',
      '--workers',
      '2',
      '--cases',
      'predict,feedback',
      '--data',
      '/tmp/aclImdb',
      '--review',
      'other.txt',
      '--model',
      '/tmp/m.bin',
      '--feedback-pool',
      '5000',
      '--build',
      'never',
      '--log-level',
      'warn',
    ]);

    // Assert
    expect(options).toMatchObject({
      duration: 2.5,
      connections: 32,
      warmup: 0,
      workers: [2],
      cases: ['predict', 'feedback'],
      data: '/tmp/aclImdb',
      reviewFile: 'other.txt',
      model: '/tmp/m.bin',
      feedbackPool: 5000,
      build: 'never',
      logLevel: 'warn',
    });
  });

  it('runs the cases in their fixed order, once each, whatever order they were listed in', () => {
    expect(parseBenchArgs(['--cases', 'feedback, GET,get,results']).cases).toEqual(['get', 'results', 'feedback']);
  });

  it('keeps the order of the worker settings as given', () => {
    expect(parseBenchArgs(['--workers', '2,1']).workers).toEqual([2, 1]);
  });

  it.each([
    [['--duration', '0'], /--duration/],
    [['--duration', 'ten'], /--duration/],
    [['--duration', ''], /--duration/],
    [['--connections', '1.5'], /--connections/],
    [['--connections', '0'], /--connections/],
    [['--warmup', '-1'], /--warmup/],
    [['--workers', '1,,2'], /--workers/],
    [['--workers', '1,1'], /twice/],
    [['--cases', 'get,post'], /unknown case 'post'/],
    [['--build', 'sometimes'], /--build/],
    [['--log-level', 'loud'], /--log-level/],
    [['--feedback-pool', '-5'], /--feedback-pool/],
    [['--colour'], /Unknown option '--colour'/],
    [['extra'], /positional/],
  ])('refuses %j, naming the option', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(InvalidInputError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
