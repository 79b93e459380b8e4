/**
 * singer-check-tap (singer-tools 0.4.1): runs the tap, validates its output (SCHEMA before RECORD, every
 * RECORD valid against its SCHEMA with Draft 4 and strict RFC 3339 date-times, exit code 0), then runs it
 * again with the last STATE. Run through check_tap.py, which fixes three bugs of singer-check-tap itself
 * (see there); the checks are its own. Every stream is selected, ticket_comments and the other children included: the checker
 * passes no catalog, so the tap it runs is a script that adds one.
 */
import { expect } from 'chai';
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { discover } from '../../src/protocol/catalog.js';
import { ROOT } from '../../src/paths.js';
import { commentCount } from '../../src/simulator/data.js';
import { CHILD_ENDPOINTS, childCount, type ChildStream } from '../../src/simulator/children.js';
import { startSimulator, STREAM_NAMES, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { endpoint } from '../../src/simulator/endpoints.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { explain, sh, TAP_BIN, tempDir, writeJson } from './helpers.js';

interface Summary {
  records: number;
  byStream: Map<string, number>;
}

/** The summaries singer-check-tap prints, one per run of the tap. */
function summaries(stdout: string): Summary[] {
  return stdout
    .split('The output is valid.')
    .slice(1)
    .map((part) => {
      const records = Number(/(\d+) record messages/.exec(part)?.[1]);
      const byStream = new Map<string, number>();
      for (const m of part.matchAll(/^\| (\w+) +\| (\d+) +\| (\d+) +\|$/gm)) if (m[1] !== 'stream') byStream.set(m[1]!, Number(m[2]));
      return { records, byStream };
    });
}

describe('singer-check-tap', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let sim: Simulator;

  before(async () => {
    env = integrationEnv();
    // With type drift on: every record must still be valid against the last SCHEMA of its stream.
    sim = await startSimulator({ records: 1500, seed: 41, rpm: 0, drift: 0.05 });
  });
  after(async () => sim?.close());

  for (const activateVersion of [false, true]) {
    it(`passes, first without state, then with the last STATE${activateVersion ? ' (activate_version on)' : ''}`, async () => {
      const work = tempDir('check');
      writeJson(work, 'c.json', {
        api_key: sim.apiKey,
        base_url: sim.baseUrl,
        requests_per_minute: 100_000,
        activate_version: activateVersion,
      });
      const catalog = discover();
      for (const entry of catalog.streams) entry.metadata[0]!.metadata.selected = true;
      writeJson(work, 'all.json', catalog);
      const tap = join(work, 'tap-crm-all');
      writeFileSync(tap, `#!/bin/sh\nexec '${TAP_BIN}' --catalog '${join(work, 'all.json')}' "$@"\n`);
      chmodSync(tap, 0o755);
      const python = join(dirname(env.singerCheckTap), 'python');
      const run = await sh(`'${python}' '${join(ROOT, 'test', 'integration', 'check_tap.py')}' --tap '${tap}' --config c.json`, {
        cwd: work,
        timeoutMs: 180_000,
      });
      expect(run.code, explain(run)).to.equal(0);
      expect(run.stdout).to.include('Now re-running tap with state produced by previous run');
      const [first, second] = summaries(run.stdout);
      expect(second, 'two valid runs').not.to.equal(undefined);
      const truth = sim.truth();
      const comments = (tickets: { id: number }[]) => tickets.reduce((n, t) => n + commentCount(41, t.id), 0);
      // The lists under a record (children.ts): the first run a sweep, under every parent; the second, with
      // state, under the parents at their bookmark only (>=), and product_serials not at all (no sweep due).
      const atNewest = (stream: StreamName) => {
        const newest = Math.max(...truth[stream].map((r) => Date.parse(r.updated_at!)));
        return truth[stream].filter((r) => Date.parse(r.updated_at!) === newest);
      };
      const children = Object.entries(CHILD_ENDPOINTS).map(([name, { parent }]) => {
        const under = (parents: { id: number }[]) => parents.reduce((n, p) => n + childCount(name as ChildStream, 41, p.id), 0);
        const again = endpoint(parent as StreamName).timestamps ? under(atNewest(parent as StreamName)) : 0;
        return { name, count: under(truth[parent as StreamName]), again };
      });
      const childRecords = children.reduce((n, c) => n + c.count, 0);
      expect(first!.records).to.equal(STREAM_NAMES.reduce((n, s) => n + truth[s].length, 0) + comments(truth.tickets) + childRecords);
      expect([...first!.byStream.keys()].sort()).to.deep.equal([...STREAM_NAMES, 'ticket_comments', ...children.map((c) => c.name)].sort());
      for (const { name, count, again } of children) {
        expect(first!.byStream.get(name), name).to.equal(count);
        expect(second!.byStream.get(name) ?? 0, name).to.equal(again);
      }
      for (const stream of STREAM_NAMES) expect(first!.byStream.get(stream), stream).to.equal(truth[stream].length);
      expect(first!.byStream.get('ticket_comments')).to.equal(comments(truth.tickets));
      // With the state: the full-table streams whole again, and of the others only the records at their bookmark.
      for (const stream of STREAM_NAMES) {
        if (!endpoint(stream).timestamps) {
          expect(second!.byStream.get(stream), stream).to.equal(truth[stream].length);
          continue;
        }
        const newest = Math.max(...truth[stream].map((r) => Date.parse(r.updated_at!)));
        const atBookmark = truth[stream].filter((r) => Date.parse(r.updated_at!) === newest).length;
        expect(second!.byStream.get(stream) ?? 0, stream).to.equal(atBookmark);
      }
      const newestTicket = Math.max(...truth.tickets.map((r) => Date.parse(r.updated_at!)));
      const ticketsAgain = truth.tickets.filter((r) => Date.parse(r.updated_at!) === newestTicket);
      expect(second!.byStream.get('ticket_comments') ?? 0).to.equal(comments(ticketsAgain));
    });
  }
});
