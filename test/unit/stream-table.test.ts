/**
 * The tap's stream table (src/streams.ts) against the simulator's own endpoint table
 * (src/simulator/endpoints.ts), row by row. The simulator serves what its table says, not what the tap
 * expects: a wrong path, array key or quirk in the tap's row fails here, and in the end-to-end tests.
 */
import { expect } from 'chai';
import { CHILD_ENDPOINTS } from '../../src/simulator/children.js';
import { ENDPOINTS } from '../../src/simulator/endpoints.js';
import { arrayKeyOf, pageSizeOf, STREAMS } from '../../src/streams.js';
import { childKind } from '../../src/graph.js';

const listStreams = STREAMS.filter((s) => !childKind(s));

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
      expect(arrayKeyOf(row)).to.equal(endpoint.arrayKey);
      // Pages without total_pages are a chain, which the sync starts first; a short list answered whole documents no page.
      const paging = endpoint.pageSize === 0 ? 'undocumented' : endpoint.meta === 'none' ? 'chained' : 'counted';
      expect(row.paging.type, 'paging').to.equal(paging);
      expect(pageSizeOf(row), 'page size (documented)').to.equal(
        endpoint.pageSize > 0 && !endpoint.undocumentedPaging ? endpoint.pageSize : undefined,
      );
      expect(row.replicationKey, 'replicated on updated_at exactly when records carry it').to.equal(
        endpoint.timestamps ? 'updated_at' : undefined,
      );
      expect(row.serverFilter, 'server-side updated-since filter').to.equal(endpoint.sinceFilter ? 'since_updated_at' : undefined);
      expect(row.params?.include_disabled, 'disabled customers asked for').to.equal(endpoint.hidesDisabled ? 'true' : undefined);
      expect(row.body.type === 'array' ? row.body.wrapper : undefined, 'wrapper of each element').to.equal(endpoint.wrapper);
      expect(row.params?.status, 'resolved alerts asked for').to.equal(endpoint.statusFilter ? 'all' : undefined);
      expect(row.permission, 'permission named on a 401').to.equal(endpoint.permission);
      // A list of [id, name] pairs whose records are read from their details, or a list of records.
      expect(row.kind, 'kind').to.deep.equal(
        endpoint.detailKey ? { type: 'named-list', detail: { path: `${endpoint.path}/{id}`, key: endpoint.detailKey } } : { type: 'list' },
      );
      expect(row.body.type, 'body').to.equal(endpoint.detailKey ? 'pairs' : 'array');
    });
  }

  describe('the lists under a record', () => {
    for (const [name, child] of Object.entries(CHILD_ENDPOINTS)) {
      it(`${name}: parent, path, array keys, paging`, () => {
        const row = STREAMS.find((s) => s.name === name);
        expect(row?.kind, 'a child of its parent').to.deep.include({ type: 'child', parent: child.parent });
        expect(row!.path).to.equal(child.path);
        expect(row!.body.type === 'lists' ? Object.keys(row!.body.lists) : [arrayKeyOf(row!)]).to.deep.equal(child.arrayKeys);
        expect(pageSizeOf(row!), 'page size (documented)').to.equal(child.pageSize);
        expect(row!.paging.type === 'single', 'one answer, no page 2').to.equal(child.unpaged === true);
      });
    }
  });
});
