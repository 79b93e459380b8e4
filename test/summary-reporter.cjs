// Mocha's spec reporter, closed by the plain summary line that CI reads: "tests: N passed, N failed, N skipped".
const { Spec } = require('mocha').reporters;
const { EVENT_RUN_END } = require('mocha').Runner.constants;

class SpecWithSummary extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      process.stdout.write(`tests: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}
module.exports = SpecWithSummary;
