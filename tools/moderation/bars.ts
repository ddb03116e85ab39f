/**
 * The moderation issue's bars, measured on a real model (`npm run moderation:bars`):
 *   1. the near-duplicate attack from one client leaves P(positive) of the target >= 0.9;
 *   2. 200 different reviews holding the target sentence, from one client, answered to make them
 *      negative, leave the target positive (P >= 0.5), the rest held under that client;
 *   3. rejecting every row of that client gives, in every process, the probe probabilities of
 *      before the attack, to the last bit;
 *   4. truthful answers from many clients on unseen reviews teach the model at least as much as
 *      without moderation (needs --data and a model trained with --holdout; see the README);
 *   5. 200 "Incorrect" answers on the target wrapped in four random words, five from each of 40
 *      IPv6 /64s in one /56, leave P(positive) of the target >= 0.9;
 *   6. the same from 200 IPv4 addresses in 200 different /16s;
 *   7. the same addresses, each sending its day's rows of the target wrapped in words that make
 *      the model unsure but negative, each answered "Correct", leave P(positive) >= 0.9;
 *   8. the same with words enough to make the model sure of negative (P(positive) < 0.05).
 * Two learners on one database stand for two processes (test/durability covers real ones).
 * Prints key=value lines; exits 1 when a bar is missed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { Request } from 'express';

import { isHeldOut, openCorpus, type LabelledDoc } from '../../src/corpus/index.js';
import { mulberry32, randomInt } from '../../src/corpus/random.js';
import { createLearner, openCheckpoints, type Learner } from '../../src/learner/index.js';
import { DEFAULT_MODERATION, moderationRule, type ModerationSettings } from '../../src/moderation/index.js';
import { decodeModel, readModelFileBytes } from '../../src/model/model-file.js';
import { ACCEPT_EVERY_ROW, openStore, type LogStore, type VerdictRule } from '../../src/store/index.js';
import { clientIdentity } from '../../src/web/client-identity.js';

const TARGET = 'This movie was great, I really loved it. ';
const PROBES = [
  TARGET,
  'A wonderful, moving film with a brilliant cast. I loved every minute of it.',
  'A boring, awful mess. The plot was dull and the acting was terrible.',
  'Not the worst sequel ever made, but nowhere near the original.',
  'The soundtrack was loud and the ending surprised me completely.',
];
const ATTACKER = 'a77ac4e200000001';

interface World {
  learners: [Learner, Learner];
  store: LogStore;
  close(): Promise<void>;
}

/** A fresh database beside a copy of the model, and two learners on it (two "processes"). */
async function world(modelPath: string, rule: VerdictRule): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'moderation-bars-'));
  const bytes = readModelFileBytes(modelPath);
  const checkpoints = openCheckpoints(join(dir, 'checkpoints'));
  await checkpoints.keep(bytes, decodeModel(bytes, modelPath).header);
  const stores = [0, 1].map(() => openStore(join(dir, 'reviews.sqlite'), { verdictRule: rule }));
  const learners = (await Promise.all(
    stores.map((store) => createLearner({ model: decodeModel(bytes, modelPath), store, checkpoints })),
  )) as [Learner, Learner];
  return {
    learners,
    store: stores[0],
    close: async () => {
      for (const store of stores) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Predict, then answer so that the stored label is `wanted`; returns the verdict. */
async function answer(
  learner: Learner,
  text: string,
  wanted: 'positive' | 'negative',
  client: string,
): Promise<string> {
  const { predictionId, label } = await learner.predict(text);
  const outcome = await learner.feedback(predictionId, label === wanted, { source: 'api', client });
  return outcome.status === 'unknown' ? 'unknown' : outcome.verdict;
}

const count = (verdicts: string[], verdict: string) => verdicts.filter((v) => v === verdict).length;

// Four slots of fifteen sentences: two of the 200 reviews share a slot's sentence only by chance,
// so they are different reviews to the near-duplicate rule, as an attacker's own writing would be.
const OPENERS = [
  'Then the second half arrived.',
  'My sister picked it for movie night.',
  'We saw it at a late showing.',
  'The trailer promised a lot.',
  'I went in knowing nothing about it.',
  'It opens with a long car chase.',
  'The director made a cult classic years ago.',
  'Everyone at work was talking about it.',
  'I rented it on a rainy Sunday.',
  'The poster looks fantastic.',
  'It runs almost three hours.',
  'The book it is based on is a favourite of mine.',
  'I watched it twice to be fair.',
  'The festival crowd cheered at the premiere.',
  'It was free on the plane.',
];
const FAULTS = [
  'The villain mumbles every line.',
  'Half the scenes are lit so badly you cannot see faces.',
  'The jokes land with a thud.',
  'The editing jumps around without reason.',
  'Every twist is telegraphed an hour early.',
  'The lead looks bored throughout.',
  'The music drowns out the dialogue.',
  'Subplots appear and vanish at random.',
  'The effects look unfinished.',
  'Nobody in it behaves like a person.',
  'The romance has no spark at all.',
  'The middle act drags on forever.',
  'Characters explain the plot to each other constantly.',
  'The camera shakes until you feel ill.',
  'The ending resolves nothing.',
];
const DETAILS = [
  'A dog appears in one scene and is never mentioned again.',
  'The city looks like a cardboard set.',
  'Someone coughed through the quiet parts.',
  'The sequel is already announced.',
  'The costumes are the best thing in it.',
  'A famous singer has a cameo.',
  'The title makes no sense afterwards.',
  'There is a ten minute dream sequence.',
  'The kids in the audience got restless.',
  'It was filmed in four countries.',
  'The narrator never explains who he is.',
  'The popcorn was stale too.',
  'A phone rang on screen and off.',
  'The credits roll over bloopers.',
  'It rained in every outdoor scene.',
];
const VERDICTS = [
  'Avoid it.',
  'A waste of two hours.',
  'I cannot recommend it to anyone.',
  'Skip this one.',
  'Truly a chore to sit through.',
  'I regret the ticket.',
  'Save your money.',
  'One of the weakest films this year.',
  'Watch something else.',
  'I nearly left early.',
  'A disappointment from start to finish.',
  'Not worth your time.',
  'Dreadful.',
  'I will not be watching it again.',
  'Pass.',
];

/**
 * The n-th of 200 different reviews that all hold the target sentence. With a = n mod 15 and
 * b = n div 15, the slots are a, b, a+b and a+2b (mod 15): two reviews share at most one slot.
 */
function variant(n: number): string {
  const a = n % 15;
  const b = Math.floor(n / 15);
  return [TARGET.trim(), OPENERS[a], FAULTS[b], DETAILS[(a + b) % 15], VERDICTS[(a + 2 * b) % 15]].join(' ');
}

async function attackBars(modelPath: string, settings: ModerationSettings): Promise<boolean> {
  const rule = moderationRule(settings);
  let ok = true;

  // 1. The near-duplicate attack.
  const near = await world(modelPath, rule);
  const before1 = near.learners[0].positiveProbability(TARGET);
  const verdicts1: string[] = [];
  for (let i = 0; i < 50; i++)
    verdicts1.push(await answer(near.learners[0], TARGET + '!'.repeat(i), 'negative', ATTACKER));
  await near.learners[1].catchUp();
  const after1 = near.learners.map((learner) => learner.positiveProbability(TARGET));
  ok &&= after1.every((p) => p >= 0.9);
  console.log(
    `bar1_near_duplicates target_before=${before1.toFixed(4)} target_after=${after1[0].toFixed(4)} ` +
      `other_process=${after1[1].toFixed(4)} accepted=${count(verdicts1, 'accepted')} held=${count(verdicts1, 'held')} ` +
      `rejected=${count(verdicts1, 'rejected')} pass=${after1.every((p) => p >= 0.9)}`,
  );
  await near.close();

  // 2. 200 different reviews holding the target sentence; 3. reject every row of that client.
  const many = await world(modelPath, rule);
  const [a, b] = many.learners;
  const probesBefore = PROBES.map((text) => a.positiveProbability(text));
  const verdicts2: string[] = [];
  for (let n = 0; n < 200; n++) verdicts2.push(await answer(a, variant(n), 'negative', ATTACKER));
  await b.catchUp();
  const after2 = [a, b].map((learner) => learner.positiveProbability(TARGET));
  const listed = (
    await many.store.console.feedbackPage({ client: ATTACKER, verdict: 'held' }, { limit: 500, excerptChars: 1 })
  ).length;
  const bar2 = after2.every((p) => p >= 0.5) && listed === count(verdicts2, 'held');
  ok &&= bar2;
  console.log(
    `bar2_different_reviews target_before=${probesBefore[0].toFixed(4)} target_after=${after2[0].toFixed(4)} ` +
      `other_process=${after2[1].toFixed(4)} accepted=${count(verdicts2, 'accepted')} held=${count(verdicts2, 'held')} ` +
      `rejected=${count(verdicts2, 'rejected')} held_listed_under_client=${listed} pass=${bar2}`,
  );
  const { changed } = await a.changeVerdicts(
    await many.store.reviewIdsOfClient(ATTACKER),
    'rejected',
    'bars: reject the attacker',
  );
  await b.catchUp();
  const identical = [a, b].every((learner) =>
    PROBES.every((text, i) => learner.positiveProbability(text) === probesBefore[i]),
  );
  ok &&= identical;
  console.log(
    `bar3_reject_client changed=${changed.length} probes_identical_in_both_processes=${identical} pass=${identical}`,
  );
  await many.close();
  return ok;
}

/** Client ids as the server makes them (TRUST_PROXY: the proxy's address for the reader) for each of `addresses`. */
function clientsOf(addresses: readonly string[]): string[] {
  const clientOf = clientIdentity('moderation bars: any secret will do');
  return addresses.map((ip) => clientOf({ ip, socket: {} } as Request));
}

/** Five addresses in each of 40 /64s of one /56 (2001:db8:7:ab00::/56): one home subscriber's share. */
export const ONE_SLASH_56 = Array.from({ length: 200 }, (_, i) => {
  const net = Math.floor(i / 5).toString(16);
  return `2001:db8:7:ab${net.padStart(2, '0')}::${(i % 5) + 1}`;
});
/** 200 IPv4 addresses, no two in the same /16. */
export const TWO_HUNDRED_SLASH_16S = Array.from({ length: 200 }, (_, i) => `${11 + i}.${(i * 37) % 256}.3.4`);

/** The target wrapped as `w1 w2 <target> w3 w4`, five random letters a word: under the near-duplicate similarity. */
function wrapped(rng: () => number): string {
  const word = () => Array.from({ length: 5 }, () => String.fromCharCode(97 + randomInt(rng, 26))).join('');
  return `${word()} ${word()} ${TARGET.trim()} ${word()} ${word()}`;
}

/**
 * One group attack: an "Incorrect" answer on the wrapped target from each address in turn. The
 * target's P(positive) must stay >= 0.9 in both processes.
 */
async function groupAttackBar(modelPath: string, rule: VerdictRule, name: string, addresses: string[]) {
  const w = await world(modelPath, rule);
  const [a, b] = w.learners;
  const before = a.positiveProbability(TARGET);
  const rng = mulberry32(19);
  const clients = clientsOf(addresses);
  const verdicts: string[] = [];
  for (const client of clients) verdicts.push(await answer(a, wrapped(rng), 'negative', client));
  await b.catchUp();
  const after = [a, b].map((learner) => learner.positiveProbability(TARGET));
  const pass = after.every((p) => p >= 0.9);
  console.log(
    `${name} clients=${new Set(clients).size} target_before=${before.toFixed(4)} target_after=${after[0].toFixed(4)} ` +
      `other_process=${after[1].toFixed(4)} accepted=${count(verdicts, 'accepted')} held=${count(verdicts, 'held')} ` +
      `rejected=${count(verdicts, 'rejected')} pass=${pass}`,
  );
  await w.close();
  return pass;
}

/** Words the shipped model reads as negative, for bar 7's wraps. */
const NEGATIVE_WORDS = [
  'awful',
  'boring',
  'worst',
  'waste',
  'terrible',
  'dull',
  'poorly',
  'horrible',
  'stupid',
  'mess',
  'pointless',
  'lame',
  'weak',
  'ridiculous',
  'dreadful',
  'bland',
  'tedious',
  'unwatchable',
  'garbage',
  'cheap',
];

/**
 * Bar 7: "Correct" answers instead of "Incorrect" ones. Each address sends, up to its daily rows,
 * the target wrapped in four random words and as many negative words (drawn at random) as make the
 * model call the whole text negative, but only just; then confirms it. A confirmation of an unsure
 * prediction moves the target's weights about half as far as a correction, and is no correction.
 * The target's P(positive) must stay >= 0.9 in both processes.
 */
async function confirmationAttackBar(
  modelPath: string,
  settings: ModerationSettings,
  addresses: string[],
  name: string,
  below: number,
) {
  const w = await world(modelPath, moderationRule(settings));
  const [a, b] = w.learners;
  const before = a.positiveProbability(TARGET);
  const rng = mulberry32(7);
  const clients = clientsOf(addresses);
  const rowsEach = settings.clientRowsPerDay > 0 ? settings.clientRowsPerDay : 30;
  const verdicts: string[] = [];
  let pushed = 0;
  for (let round = 0; round < rowsEach; round++) {
    for (const client of clients) {
      const words = wrapped(rng).split(' ');
      let text = words.join(' ');
      while (a.positiveProbability(text) >= below) {
        words.splice(randomInt(rng, words.length + 1), 0, NEGATIVE_WORDS[randomInt(rng, NEGATIVE_WORDS.length)]);
        text = words.join(' ');
      }
      pushed += a.positiveProbability(text);
      verdicts.push(await answer(a, text, 'negative', client));
    }
    if (a.positiveProbability(TARGET) < 0.5) break;
  }
  await b.catchUp();
  const after = [a, b].map((learner) => learner.positiveProbability(TARGET));
  const pass = after.every((p) => p >= 0.9);
  console.log(
    `${name} clients=${new Set(clients).size} sent=${verdicts.length} ` +
      `mean_p_positive_sent=${(pushed / verdicts.length).toFixed(3)} target_before=${before.toFixed(4)} ` +
      `target_after=${after[0].toFixed(4)} other_process=${after[1].toFixed(4)} accepted=${count(verdicts, 'accepted')} ` +
      `held=${count(verdicts, 'held')} rejected=${count(verdicts, 'rejected')} pass=${pass}`,
  );
  await w.close();
  return pass;
}

/**
 * Truthful feedback on half of the held-out reviews (from many clients), accuracy measured on the
 * other half, with and without moderation.
 */
async function truthfulBar(
  settings: ModerationSettings,
  modelPath: string,
  data: string,
  seed: number,
  holdout: number,
  perClient: number,
): Promise<boolean> {
  const corpus = await openCorpus(data);
  const heldOut: LabelledDoc[] = [];
  for await (const doc of corpus.stream({ seed, shuffle: true }))
    if (isHeldOut(doc.key, seed, holdout)) heldOut.push(doc);
  const teach = heldOut.filter((_, i) => i % 2 === 0);
  const judge = heldOut.filter((_, i) => i % 2 === 1);
  const accuracy = (learner: Learner) =>
    judge.filter((doc) => (learner.positiveProbability(doc.text) >= 0.5 ? 1 : 0) === doc.label).length / judge.length;

  const gains: Record<string, { before: number; after: number; held: number; rejected: number }> = {};
  for (const [name, rule] of [
    ['unmoderated', ACCEPT_EVERY_ROW],
    ['moderated', moderationRule(DEFAULT_MODERATION)],
  ] as const) {
    const w = await world(modelPath, rule);
    const learner = w.learners[0];
    const before = accuracy(learner);
    const verdicts: string[] = [];
    for (const [i, doc] of teach.entries()) {
      const client = (0x5eed0000 + Math.floor(i / perClient)).toString(16).padStart(16, '0');
      verdicts.push(await answer(learner, doc.text, doc.label === 1 ? 'positive' : 'negative', client));
    }
    gains[name] = {
      before,
      after: accuracy(learner),
      held: count(verdicts, 'held'),
      rejected: count(verdicts, 'rejected'),
    };
    await w.close();
  }
  const plain = gains.unmoderated;
  const moderated = gains.moderated;
  const pass = moderated.after - moderated.before >= plain.after - plain.before;
  console.log(
    `bar4_truthful teach=${teach.length} judge=${judge.length} reviews_per_client=${perClient} ` +
      `unmoderated=${plain.before.toFixed(4)}->${plain.after.toFixed(4)} ` +
      `moderated=${moderated.before.toFixed(4)}->${moderated.after.toFixed(4)} ` +
      `moderated_held=${moderated.held} moderated_rejected=${moderated.rejected} pass=${pass}`,
  );
  return pass;
}

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'data/model.bin' },
    data: { type: 'string' },
    'truth-model': { type: 'string' },
    seed: { type: 'string', default: '1' },
    holdout: { type: 'string', default: '0.1' },
    'per-client': { type: 'string', default: '5' },
    'no-client-limits': { type: 'boolean', default: false },
    'phrase-budget': { type: 'string' },
  },
});
// --no-client-limits shows what the per-client limits add over the text rules alone;
// --phrase-budget N runs the bars with another MODERATION_PHRASE_CORRECTIONS_PER_DAY (0: none).
const settings: ModerationSettings = {
  ...DEFAULT_MODERATION,
  ...(values['no-client-limits'] ? { clientRowsPerDay: 0, clientCorrectionsPerDay: 0 } : {}),
  ...(values['phrase-budget'] === undefined ? {} : { phraseCorrectionsPerDay: Number(values['phrase-budget']) }),
};
let ok = await attackBars(values.model, settings);
ok = (await groupAttackBar(values.model, moderationRule(settings), 'bar5_one_slash_56', ONE_SLASH_56)) && ok;
ok = (await groupAttackBar(values.model, moderationRule(settings), 'bar6_200_slash_16s', TWO_HUNDRED_SLASH_16S)) && ok;
ok =
  (await confirmationAttackBar(values.model, settings, TWO_HUNDRED_SLASH_16S, 'bar7_unsure_confirmations', 0.5)) && ok;
ok =
  (await confirmationAttackBar(values.model, settings, TWO_HUNDRED_SLASH_16S, 'bar8_sure_confirmations', 0.05)) && ok;
if (values.data !== undefined && values['truth-model'] !== undefined) {
  ok =
    (await truthfulBar(
      settings,
      values['truth-model'],
      values.data,
      Number(values.seed),
      Number(values.holdout),
      Number(values['per-client']),
    )) && ok;
}
console.log(`moderation_bars=${ok ? 'pass' : 'fail'}`);
process.exitCode = ok ? 0 : 1;
