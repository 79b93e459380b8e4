/** The admin API under /__admin: ground truth (and the drifted values, the deleted ids, the custom fields' meanings), statistics, mutations and runtime configuration (no auth). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomFieldTruth } from './custom-fields.js';
import type { DriftTruth, Mutation, MutationResult, RuntimeOptions, SimulatorStats, StreamName, Truth } from './types.js';
import { STREAM_NAMES } from './types.js';

export interface AdminTarget {
  truth(): Truth;
  drifts(): DriftTruth;
  /** The ids deleted by mutations since the start, by stream. */
  deleted(): Partial<Record<StreamName, number[]>>;
  /** What each record's custom field values mean (custom-fields.ts). */
  customFields(): CustomFieldTruth;
  stats(): SimulatorStats;
  resetStats(): void;
  mutate(m: Mutation): MutationResult;
  configure(o: RuntimeOptions): void;
}

const MAX_BODY = 1 << 20;

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      try {
        resolve(text === '' ? {} : JSON.parse(text));
      } catch {
        reject(new Error('body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

const isIdSpec = (v: unknown): boolean =>
  v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (Array.isArray(v) && v.every((x) => Number.isInteger(x)));

/** Checks a mutation that came in as JSON (or from an untyped caller); throws with a readable message. */
export function checkMutation(v: unknown): Mutation {
  if (typeof v !== 'object' || v === null) throw new TypeError('mutation must be an object');
  const m = v as Record<string, unknown>;
  if (typeof m['stream'] !== 'string' || !(STREAM_NAMES as readonly string[]).includes(m['stream'])) {
    throw new TypeError(`mutation.stream must be one of ${STREAM_NAMES.join(', ')}`);
  }
  for (const k of Object.keys(m))
    if (!['stream', 'update', 'insert', 'delete'].includes(k)) throw new TypeError(`unknown mutation field ${k}`);
  if (!isIdSpec(m['update'])) throw new TypeError('mutation.update must be a count or a list of ids');
  if (!isIdSpec(m['delete'])) throw new TypeError('mutation.delete must be a count or a list of ids');
  if (m['insert'] !== undefined && !(typeof m['insert'] === 'number' && Number.isInteger(m['insert']) && m['insert'] >= 0)) {
    throw new TypeError('mutation.insert must be a count');
  }
  return m as unknown as Mutation;
}

const RUNTIME_KEYS = ['rpm', 'windowMs', 'retryAfter', 'failRate', 'faults', 'latencyMs', 'stallMs', 'echoRequest'];

function checkRuntime(v: unknown): RuntimeOptions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('configure body must be an object');
  for (const k of Object.keys(v))
    if (!RUNTIME_KEYS.includes(k)) throw new TypeError(`cannot configure ${k} (one of ${RUNTIME_KEYS.join(', ')})`);
  return v;
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, pathname: string, target: AdminTarget): Promise<void> {
  const route = `${req.method ?? 'GET'} ${pathname.replace(/\/+$/, '')}`;
  try {
    switch (route) {
      case 'GET /__admin/truth': {
        send(res, 200, target.truth());
        return;
      }
      case 'GET /__admin/drifts': {
        send(res, 200, target.drifts());
        return;
      }
      case 'GET /__admin/custom-fields': {
        send(res, 200, target.customFields());
        break;
      }
      case 'GET /__admin/deleted': {
        send(res, 200, target.deleted());
        return;
      }
      case 'GET /__admin/stats': {
        send(res, 200, target.stats());
        return;
      }
      case 'POST /__admin/stats/reset':
        target.resetStats();
        {
          send(res, 200, { ok: true });
          return;
        }
      case 'POST /__admin/mutate': {
        send(res, 200, target.mutate(checkMutation(await readJson(req))));
        return;
      }
      case 'POST /__admin/configure':
        target.configure(checkRuntime(await readJson(req)));
        {
          send(res, 200, { ok: true });
          return;
        }
      default: {
        send(res, 404, { message: 'Not found' });
        return;
      }
    }
  } catch (e) {
    send(res, 400, { error: e instanceof Error ? e.message : String(e) });
  }
}
