/**
 * The tap's stream table (src/streams.ts) against the simulator's own endpoint table
 * (src/simulator/endpoints.ts), row by row. The simulator serves what its table says, not what the tap
 * expects: a wrong path, array key or quirk in the tap's row fails here, and in the end-to-end tests.
 */
import { expect } from 'chai';
import { CHILD_ENDPOINTS } from '../../src/simulator/children.js';
import { ENDPOINTS } from '../../src/simulator/endpoints.js';
import { STREAMS } from '../../src/streams.js';

const listStreams = STREAMS.filter((s) => s.kind.type !== 'child');

describe('stream table: the tap’s rows match the simulator’s endpoints', () => {
  it('has one list stream per simulated endpoint, and no other', () => {
    expect(listStreams.map((s) => s.name).sort()).to.deep.equal(ENDPOINTS.map((e) => e.name).sort());
  });

  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.name}: path, array key, replication and quirks`, () => {
      const row = listStreams.find((s) => s.name === endpoint.name);
      expect(row, 'row').to.not.equal(undefined);
      if (!row) return;
      expect(row.path).to.equal(endpoint.path);
      expect(row.arrayKey).to.equal(endpoint.arrayKey);
      expect(row.chain, 'pages without total_pages').to.equal(endpoint.meta === 'none' && endpoint.pageSize > 0 ? true : undefined);
      expect(row.pageSize, 'page size (documented)').to.equal(
        endpoint.pageSize > 0 && !endpoint.undocumentedPaging ? endpoint.pageSize : undefined,
      );
      expect(row.replicationKey, 'replicated on updated_at exactly when records carry it').to.equal(
        endpoint.timestamps ? 'updated_at' : undefined,
      );
      expect(row.serverFilter, 'server-side updated-since filter').to.equal(endpoint.sinceFilter ? 'since_updated_at' : undefined);
      expect(row.params?.include_disabled, 'disabled customers asked for').to.equal(endpoint.hidesDisabled ? 'true' : undefined);
      expect(row.wrapperKey, 'wrapper of each element').to.equal(endpoint.wrapper);
      expect(row.params?.status, 'resolved alerts asked for').to.equal(endpoint.statusFilter ? 'all' : undefined);
      expect(row.permission, 'permission named on a 401').to.equal(endpoint.permission);
      // A list of [id, name] pairs whose records are read from their details, or a list of records.
      expect(row.kind, 'kind').to.deep.equal(
        endpoint.detailKey
          ? { type: 'named-list', pairs: ['id', 'full_name'], detail: { path: `${endpoint.path}/{id}`, recordKey: endpoint.detailKey } }
          : { type: 'list' },
      );
    });
  }

  describe('the lists under a record', () => {
    for (const [name, child] of Object.entries(CHILD_ENDPOINTS)) {
      it(`${name}: parent, path, array keys, paging`, () => {
        const row = STREAMS.find((s) => s.name === name);
        expect(row?.kind, 'a child read under every parent').to.deep.include({ type: 'child', parent: child.parent, everyParent: true });
        expect(row!.path).to.equal(child.path);
        expect(row!.recordArrays ? Object.keys(row!.recordArrays.arrays) : [row!.arrayKey]).to.deep.equal(child.arrayKeys);
        expect(row!.pageSize, 'page size (documented)').to.equal(child.pageSize);
        expect(row!.unpaged, 'one answer, no page 2').to.equal(child.unpaged);
      });
    }
  });
});
