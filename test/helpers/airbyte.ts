/** Running the built tap as an Airbyte source in tests: each stdout line checked against the protocol's JSON Schema. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { default as addFormats } from 'ajv-formats';
import { ROOT } from '../../src/paths.js';
import { runTap, type TapRun, type TapRunOptions } from './run-tap.js';

const ajv = new Ajv2020({ strict: true });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'test', 'airbyte', 'protocol.schema.json'), 'utf8')) as object);

export type AirbyteMessage = Record<string, unknown> & { type: string };

export interface AirbyteRun {
  run: TapRun;
  messages: AirbyteMessage[];
}

/** Runs `tap-crm <args>`; every line it prints must be a valid Airbyte message. */
export async function airbyte(args: string[], options?: TapRunOptions): Promise<AirbyteRun> {
  const run = await runTap(args, options);
  const messages = run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const message = JSON.parse(line) as AirbyteMessage;
      expect(validate(message), `${line.slice(0, 300)}\n${ajv.errorsText(validate.errors)}`).to.equal(true);
      return message;
    });
  return { run, messages };
}

export const ofType = (messages: AirbyteMessage[], type: string) => messages.filter((m) => m.type === type);

export interface AirbyteRecord {
  stream: string;
  data: Record<string, unknown>;
  emitted_at: number;
}

export const recordsOf = (messages: AirbyteMessage[]) => ofType(messages, 'RECORD').map((m) => m.record as AirbyteRecord);

export interface StreamState {
  type: string;
  stream: { stream_descriptor: { name: string }; stream_state: Record<string, unknown> };
}

export const statesOf = (messages: AirbyteMessage[]) => ofType(messages, 'STATE').map((m) => m.state as StreamState);
