/**
 * The Airbyte protocol's messages, each checked against the protocol's own JSON Schema
 * (test/airbyte/protocol.schema.json, generated from the models PyAirbyte validates with), and the
 * reading of a configured catalog and of a state as PyAirbyte writes them.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { default as addFormats } from 'ajv-formats';
import { catalogMessage, parseAirbyteState, parseConfiguredCatalog, specMessage } from '../../src/protocol/airbyte.js';
import { loadSchema, selectStreams } from '../../src/protocol/catalog.js';
import { UsageError } from '../../src/errors.js';
import { AIRBYTE, airbyteConnectionStatus, airbyteTraceError, SINGER } from '../../src/protocol/messages.js';
import { PageProcessor } from '../../src/sync/page-processor.js';
import { ROOT } from '../../src/paths.js';

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'test', 'airbyte', 'protocol.schema.json'), 'utf8')) as object);

type Message = Record<string, unknown> & { type: string };

/** Every line of `text`, valid AirbyteMessages, with the payload their type names. */
function messages(text: string): Message[] {
  const payload: Record<string, string> = {
    RECORD: 'record',
    STATE: 'state',
    LOG: 'log',
    SPEC: 'spec',
    CATALOG: 'catalog',
    CONNECTION_STATUS: 'connectionStatus',
    TRACE: 'trace',
  };
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const message = JSON.parse(line) as Message;
      expect(validate(message), `${line}\n${ajv.errorsText(validate.errors)}`).to.equal(true);
      expect(message, line).to.have.property(payload[message.type]!);
      return message;
    });
}

describe('airbyte: the messages, valid against the protocol’s schema', () => {
  it('SPEC: the settings as connectionSpecification, api_key an airbyte_secret', () => {
    const [spec] = messages(specMessage());
    const connection = (
      spec!.spec as { connectionSpecification: { required: string[]; properties: Record<string, Record<string, unknown>> } }
    ).connectionSpecification;
    expect(connection.required).to.deep.equal(['api_key', 'base_url']);
    expect(connection.properties.api_key).to.include({ airbyte_secret: true }).and.not.have.property('secret');
    const settings = Object.entries(loadSchema('settings').properties!);
    expect(Object.keys(connection.properties)).to.deep.equal(settings.filter(([, s]) => s.singerOnly !== true).map(([name]) => name));
    for (const [name, property] of Object.entries(connection.properties)) {
      expect(property.title, name).to.equal(loadSchema('settings').properties![name]!.title);
      expect(property, name).not.to.have.property('singerOnly');
    }
  });

  it('CATALOG: every stream, incremental where it has a cursor, its primary key ([["id"]], or asset_patches’ three)', () => {
    const [catalog] = messages(catalogMessage());
    const streams = (catalog!.catalog as { streams: Record<string, unknown>[] }).streams;
    expect(streams).to.have.length(32);
    expect(streams.find((s) => s.name === 'asset_patches')).to.deep.include({
      supported_sync_modes: ['full_refresh'],
      source_defined_primary_key: [['asset_id'], ['patch_list'], ['patch_key']],
    });
    expect(streams.find((s) => s.name === 'tickets')).to.deep.include({
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['updated_at'],
      source_defined_primary_key: [['id']],
    });
    expect(streams.find((s) => s.name === 'products')).to.deep.include({
      supported_sync_modes: ['full_refresh'],
      source_defined_cursor: false,
    });
    expect(streams.find((s) => s.name === 'products')).not.to.have.property('default_cursor_field');
  });

  it('CONNECTION_STATUS, TRACE ERROR, STREAM_STATUS, LOG and a per-stream STATE', () => {
    const state = {
      bookmarks: { tickets: { replication_key: 'updated_at', replication_key_value: '2026-01-01T00:00:00.000Z' }, products: {} },
    };
    const all = messages(
      airbyteConnectionStatus(undefined) +
        airbyteConnectionStatus('the API refused the token') +
        airbyteTraceError('1 stream(s) failed', 'transient_error', 1_700_000_000_000) +
        AIRBYTE.streamStatus('tickets', 'STARTED', 1_700_000_000_000)! +
        AIRBYTE.streamStatus('tickets', 'INCOMPLETE', 1_700_000_000_000)! +
        AIRBYTE.log('WARNING', 'a warning')! +
        AIRBYTE.log('CRITICAL', 'the end')! +
        AIRBYTE.state(state, ['tickets']) +
        AIRBYTE.state(state, ['tickets', 'products']),
    );
    expect(all.map((m) => m.type)).to.deep.equal([
      'CONNECTION_STATUS',
      'CONNECTION_STATUS',
      'TRACE',
      'TRACE',
      'TRACE',
      'LOG',
      'LOG',
      'STATE',
      'STATE',
      'STATE',
    ]);
    expect(all[1]!.connectionStatus).to.deep.equal({ status: 'FAILED', message: 'the API refused the token' });
    expect((all[2]!.trace as { error: unknown }).error).to.deep.equal({ message: '1 stream(s) failed', failure_type: 'transient_error' });
    expect(all.slice(5, 7).map((m) => (m.log as { level: string }).level)).to.deep.equal(['WARN', 'FATAL']);
    expect(all[7]!.state).to.deep.equal({
      type: 'STREAM',
      stream: { stream_descriptor: { name: 'tickets' }, stream_state: state.bookmarks.tickets },
    });
    expect(AIRBYTE.schema({} as never)).to.equal(undefined);
    expect(AIRBYTE.activateVersion('products', 1)).to.equal(undefined);
  });

  it('TRACE ESTIMATE (a stream’s rows) and STREAM_STATUS RUNNING with a RATE_LIMITED reason; none in Singer', () => {
    const [estimate, limited] = messages(
      AIRBYTE.estimate('tickets', 1234, 1_700_000_000_000)! + AIRBYTE.rateLimited('leads', 1_700_000_000_001)!,
    );
    expect(estimate!.trace).to.deep.equal({
      type: 'ESTIMATE',
      emitted_at: 1_700_000_000_000,
      estimate: { name: 'tickets', type: 'STREAM', row_estimate: 1234 },
    });
    expect(limited!.trace).to.deep.equal({
      type: 'STREAM_STATUS',
      emitted_at: 1_700_000_000_001,
      stream_status: { stream_descriptor: { name: 'leads' }, status: 'RUNNING', reasons: [{ type: 'RATE_LIMITED', rate_limited: {} }] },
    });
    expect(SINGER.estimate('tickets', 1, 0)).to.equal(undefined);
    expect(SINGER.rateLimited('tickets', 0)).to.equal(undefined);
  });

  it('RECORD: the data, an integer emitted_at, date-times in UTC (warehouses drop offsets)', () => {
    const processor = new PageProcessor();
    processor.configure(0, {
      stream: 'leads',
      schema: loadSchema('leads'),
      body: { type: 'array', key: 'leads' },
      stamps: false,
      fields: null,
      write: true,
      protocol: 'airbyte',
    });
    const body = Buffer.from(
      JSON.stringify({
        leads: [
          { id: 1, updated_at: '2024-06-01T00:00:00.000-05:00', name: 'Zoë' },
          { id: 2, updated_at: '2024-06-01T00:00:00.000Z' },
        ],
      }),
    );
    const result = processor.process({ key: 0, page: 1, body, extractedAt: 1_780_000_000_123.7 });
    const [first, second] = messages(Buffer.from(result.out).toString('utf8'));
    expect(first!.record).to.deep.equal({
      stream: 'leads',
      data: { id: 1, updated_at: '2024-06-01T05:00:00.000Z', name: 'Zoë' },
      emitted_at: 1_780_000_000_123,
    });
    expect((second!.record as { data: unknown }).data).to.deep.equal({ id: 2, updated_at: '2024-06-01T00:00:00.000Z' });
  });
});

describe('airbyte: reading a configured catalog and a state as PyAirbyte writes them', () => {
  const configured = (streams: Record<string, unknown>[]) => ({
    streams: streams.map(({ name, ...rest }) => ({
      stream: {
        name,
        json_schema: name === 'widgets' ? { type: 'object', properties: { id: { type: 'integer' } } } : loadSchema(name as string),
        supported_sync_modes: ['full_refresh', 'incremental'],
      },
      destination_sync_mode: 'overwrite',
      ...rest,
    })),
  });

  it('selects the streams listed, incremental where asked and possible, a full refresh elsewhere', () => {
    const catalog = parseConfiguredCatalog(
      configured([
        { name: 'tickets', sync_mode: 'incremental', cursor_field: ['updated_at'], primary_key: [['id']] },
        { name: 'products', sync_mode: 'incremental' }, // PyAirbyte asks incremental of every stream
        { name: 'leads', sync_mode: 'full_refresh' },
      ]),
      'c.json',
    );
    const selected = selectStreams(catalog);
    expect(selected.map((s) => [s.def.name, s.method])).to.deep.equal([
      ['tickets', 'INCREMENTAL'],
      ['products', 'FULL_TABLE'],
      ['leads', 'FULL_TABLE'],
    ]);
  });

  it('refuses an unknown stream and a cursor the stream does not have, naming the file', () => {
    expect(() => parseConfiguredCatalog(configured([{ name: 'widgets' }]), 'c.json')).to.throw(
      UsageError,
      /configured catalog c.json: .*unknown stream "widgets"/,
    );
    expect(() =>
      parseConfiguredCatalog(configured([{ name: 'tickets', sync_mode: 'incremental', cursor_field: ['created_at'] }]), 'c.json'),
    ).to.throw(UsageError, /cannot be read incrementally on \["created_at"\]/);
    expect(() => parseConfiguredCatalog({ streams: {} }, 'c.json')).to.throw(UsageError, /expected an object with a "streams" array/);
  });

  it('reads [] and the per-stream states PyAirbyte hands back (nulls, a repeated global_, envelopes)', () => {
    expect(parseAirbyteState([], 's.json')).to.deep.equal({ bookmarks: {} });
    const handedBack =
      '[{"type":"STREAM","stream":{"stream_descriptor":{"name":"tickets","namespace":null},"stream_state":{"replication_key":"updated_at","replication_key_value":"2026-01-02T00:00:00Z"}},"global_":null,"data":null,"sourceStats":null,"destinationStats":null,"global_":null}\n, {"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"products"},"stream_state":{}}}}]';
    expect(parseAirbyteState(JSON.parse(handedBack), 's.json')).to.deep.equal({
      bookmarks: { tickets: { replication_key: 'updated_at', replication_key_value: '2026-01-02T00:00:00Z' }, products: {} },
    });
  });

  it('refuses GLOBAL and LEGACY states, a Singer state, and a bookmark that is not a date-time', () => {
    const cases: [unknown, RegExp][] = [
      [[{ type: 'GLOBAL', global: { shared_state: {} } }], /\[0\] is a "GLOBAL" state; only STREAM states are read/],
      [[{ type: 'LEGACY', data: {} }], /\[0\] is a "LEGACY" state/],
      [{ bookmarks: {} }, /expected an array of STATE messages/],
      [[{ type: 'STREAM', stream: { stream_state: {} } }], /has no stream_descriptor.name/],
      [
        [{ type: 'STREAM', stream: { stream_descriptor: { name: 'tickets' }, stream_state: { replication_key_value: 'soon' } } }],
        /not an RFC 3339 date-time/,
      ],
    ];
    for (const [value, message] of cases) expect(() => parseAirbyteState(value, 's.json')).to.throw(UsageError, message);
  });
});
