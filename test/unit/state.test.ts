import { expect } from 'chai';
import { UsageError } from '../../src/errors.js';
import { bookmarkOf, laterOf, parseState, setBookmark, stateKeeper } from '../../src/protocol/state.js';

describe('state: reading a state file, keeping and moving bookmarks', () => {
  it('reads the Singer shape, {} (no bookmark yet) and a state wrapped as {"value": {...}}', () => {
    const bookmarks = { tickets: { replication_key: 'updated_at', replication_key_value: '2026-01-01T00:00:00Z' } };
    expect(parseState({ bookmarks }, 's.json')).to.deep.equal({ bookmarks });
    expect(parseState({}, 's.json')).to.deep.equal({ bookmarks: {} });
    expect(parseState({ value: { bookmarks } }, 's.json')).to.deep.equal({ bookmarks });
  });

  it('keeps bookmarks of streams it does not know, and other keys, as they are', () => {
    const state = { bookmarks: { widgets: { replication_key_value: 'not a date' } }, currently_syncing: null };
    expect(parseState(state, 's.json')).to.deep.equal(state);
  });

  it('refuses a state of the wrong shape with a UsageError naming the file and the stream', () => {
    const cases: [unknown, RegExp][] = [
      [[], /state file s\.json: expected a JSON object/],
      [{ bookmarks: [] }, /"bookmarks" is not an object/],
      [{ bookmarks: { tickets: 3 } }, /the bookmark of "tickets" is not an object/],
      [{ bookmarks: { tickets: { replication_key_value: 5 } } }, /the replication_key_value of "tickets" is not a string/],
      [
        { bookmarks: { tickets: { replication_key_value: 'yesterday' } } },
        /the replication_key_value of "tickets" is not an RFC 3339 date-time/,
      ],
      [{ bookmarks: { leads: { known_ids: [1, 2] } } }, /the known_ids of "leads" is not a list of ids as the tap writes it/],
      [{ bookmarks: { leads: { known_ids: '1.2', missed_ids: '1;2' } } }, /the missed_ids of "leads" is not a list of ids/],
    ];
    expect(parseState({ bookmarks: { leads: { known_ids: '1.2,3', missed_ids: '' } } }, 's.json').bookmarks.leads).to.deep.equal({
      known_ids: '1.2,3',
      missed_ids: '',
    });
    for (const [value, message] of cases) {
      expect(() => parseState(value, 's.json')).to.throw(UsageError, message);
    }
  });

  it('moves a bookmark with its replication key, keeping the bookmark’s other keys; the initial state stays untouched', () => {
    const initial = {
      bookmarks: {
        products: { version: 5 },
        leads: { replication_key: 'updated_at', replication_key_value: '2024-01-01T00:00:00Z', version: 2 },
      },
    };
    const keeper = stateKeeper(initial);
    setBookmark(keeper, 'leads', 'updated_at', '2024-02-01T00:00:00.000Z');
    expect(keeper.value.bookmarks.leads).to.deep.equal({
      replication_key: 'updated_at',
      replication_key_value: '2024-02-01T00:00:00.000Z',
      version: 2,
    });
    expect(bookmarkOf(keeper.value, 'leads')).to.equal('2024-02-01T00:00:00.000Z');
    expect(bookmarkOf(keeper.value, 'products')).to.equal(undefined);
    expect(initial.bookmarks.leads.replication_key_value).to.equal('2024-01-01T00:00:00Z');
  });

  it('takes the later of two times across offsets, as UTC', () => {
    expect(laterOf('2024-01-01T10:00:00+02:00', '2024-01-01T09:00:00Z')).to.equal('2024-01-01T09:00:00.000Z');
    expect(laterOf(undefined, '2024-01-01T00:00:00-05:00')).to.equal('2024-01-01T05:00:00.000Z');
    expect(laterOf(undefined, undefined)).to.equal(undefined);
  });
});
