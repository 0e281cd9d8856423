/**
 * The order jest starts suites in (jest.config.js `testSequencer`). Jest runs the suites it has timings for
 * longest first, but a fresh clone has none (they live in jest's cache directory), and jest then orders by file
 * size: a long suite in a small file (the fault cases' deadline waits, the CloudFormation gates on an empty
 * validation cache) may start last and keep one worker busy after the other ran out of suites. Until every suite
 * has a timing, the suites in test/support/heavy-suites.js start first, in that order, then the others in jest's
 * own order. Which suites run, and how, is the same either way.
 */
const Sequencer = require('@jest/test-sequencer').default;
const { HEAVY_SUITES } = require('./heavy-suites');

const rank = (testPath) => {
  const file = testPath.split('\\').join('/');
  const index = HEAVY_SUITES.findIndex((suite) => file.endsWith(`/${suite}`));
  return index === -1 ? HEAVY_SUITES.length : index;
};

class HeavySuitesFirst extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    // Every suite timed: jest's own order (failed first, then longest first) is measured on this machine.
    if (ordered.every((test) => test.duration != null)) return ordered;
    return ordered
      .map((test, position) => ({ test, position, rank: rank(test.path) }))
      .sort((a, b) => a.rank - b.rank || a.position - b.position)
      .map(({ test }) => test);
  }
}

module.exports = HeavySuitesFirst;
