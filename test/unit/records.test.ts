import { expect } from 'chai';
import { loadSchema } from '../../src/protocol/catalog.js';
import { keyOf, recordShaper } from '../../src/records/records.js';

describe('records: unwrap, normalise, select', () => {
  it('unwraps {"appointment": {...}} elements and accepts flat ones', () => {
    const shaper = recordShaper(loadSchema('appointments'), 'appointment', null);
    expect(shaper.shape({ appointment: { id: 3, summary: 'a' } })).to.deep.equal({
      record: { id: 3, summary: 'a' },
      key: 3,
      asIs: false,
      drifts: [],
    });
    expect(shaper.shape({ id: 4, summary: 'b' })).to.deep.equal({ record: { id: 4, summary: 'b' }, key: 4, asIs: true, drifts: [] });
  });

  it('turns numbers and booleans in string fields into their JSON text, losslessly, and says the record changed', () => {
    expect(recordShaper(loadSchema('items'), undefined, null).shape({ id: 1, ticketnum: 123 })?.asIs).to.equal(false);
    expect(recordShaper(loadSchema('items'), undefined, null).shape({ id: 1, ticketnum: '123' })?.asIs).to.equal(true);
    expect(recordShaper(loadSchema('items'), undefined, null).shape({ id: 1, ticketnum: 123, price: 0.1 })?.record).to.deep.include({
      ticketnum: '123',
      price: '0.1',
    });
    expect(recordShaper(loadSchema('contracts'), undefined, null).shape({ id: 1, primary_contact: false })?.record).to.deep.include({
      primary_contact: 'false',
    });
    expect(
      recordShaper(loadSchema('invoices'), undefined, null).shape({ id: 1, hardwarecost: 12.5, total: '9.99' })?.record,
    ).to.deep.include({
      hardwarecost: '12.5',
      total: '9.99',
    });
  });

  it('leaves numbers in number fields and unknown fields alone, and conforms the declared members of nested objects', () => {
    const shaper = recordShaper(loadSchema('payments'), undefined, null);
    const record = shaper.shape({ id: 1, payment_amount: 100, customer: { id: 2, cf_phone: 123 }, cf_extra: 7 });
    expect(record).to.deep.equal({
      record: { id: 1, payment_amount: 100, customer: { id: 2, cf_phone: 123 }, cf_extra: 7 },
      key: 1,
      asIs: true,
      drifts: [],
    });
    const nested = shaper.shape({ id: 1, customer: { id: '2', email: 'a@b' } });
    expect(nested?.record).to.deep.equal({ id: 1, customer: { id: 2, email: 'a@b' } });
    expect(nested?.asIs).to.equal(false);
    expect(nested?.drifts.map((d) => [d.path.join('.'), d.action, d.seen, d.to])).to.deep.equal([
      ['customer.id', 'coerced', 'string', 'integer'],
    ]);
  });

  it('turns an empty date-time into null', () => {
    const shaped = recordShaper(loadSchema('tickets'), undefined, null).shape({ id: 1, resolved_at: '' });
    expect(shaped).to.deep.include({ record: { id: 1, resolved_at: null }, asIs: false });
    expect(shaped?.drifts.map((d) => [d.path.join('.'), d.action, d.to])).to.deep.equal([['resolved_at', 'coerced', 'null']]);
  });

  it('keeps only the selected fields when a selection is given', () => {
    const shaper = recordShaper(loadSchema('leads'), undefined, new Set(['id', 'status']));
    expect(shaper.shape({ id: 1, status: 'New', email: 'x@y', cf_extra: 1 })).to.deep.equal({
      record: { id: 1, status: 'New' },
      key: 1,
      asIs: false,
      drifts: [],
    });
  });

  it('rejects elements without an id', () => {
    const shaper = recordShaper(loadSchema('leads'), undefined, null);
    expect(shaper.shape({ name: 'x' })).to.equal(undefined);
    expect(shaper.shape(null)).to.equal(undefined);
    // The key property is never widened: an id of another type that is no integer's text is no record id.
    expect(shaper.shape({ id: 'abc', name: 'x' })).to.equal(undefined);
    expect(shaper.shape({ id: { n: 1 } })).to.equal(undefined);
    expect(shaper.shape({ id: '12', name: 'x' })?.record).to.deep.equal({ id: 12, name: 'x' });
  });

  it('keys a record by its key properties: its id, or the values of several as JSON text; none without them all', () => {
    expect(keyOf({ id: 5 })).to.equal(5);
    expect(keyOf({ id: 'a' })).to.equal('a');
    expect(keyOf({ asset_id: 7, patch_list: 'installed', patch_key: 'KB1|x' }, ['asset_id', 'patch_list', 'patch_key'])).to.equal(
      '[7,"installed","KB1|x"]',
    );
    expect(keyOf({ asset_id: 7, patch_list: null, patch_key: 'KB1|x' }, ['asset_id', 'patch_list', 'patch_key'])).to.equal(undefined);
    const shaper = recordShaper(loadSchema('asset_patches'), undefined, null, { keyProperties: ['asset_id', 'patch_list', 'patch_key'] });
    expect(shaper.shape({ asset_id: 7, patch_list: 'available', patch_key: '|t', title: 't' })?.key).to.equal('[7,"available","|t"]');
    // A key property is never widened nor moved: a record whose key does not fit is not a record.
    expect(shaper.shape({ asset_id: { nested: 1 }, patch_list: 'available', patch_key: '|t' })).to.equal(undefined);
  });
});
