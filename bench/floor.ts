/**
 * The floor of the cpu benchmark: the requests a full sync makes (every page of the list streams with
 * their query parameters, and each user's detail, at most `concurrency` in flight, over kept-alive
 * connections), then `JSON.parse` of each body and one `JSON.stringify` per record, and nothing else. The
 * tap's time is judged against this one.
 *
 * usage: node dist/bench/floor.js <base_url> <api_key> <per_page or 0> <concurrency>
 */
import { Agent, get } from 'node:http';
import { arrayKeyOf, STREAMS } from '../src/streams.js';

const [baseUrl, apiKey, perPageArg, concurrencyArg] = process.argv.slice(2) as [string, string, string, string];
const perPage = Number(perPageArg);
const concurrency = Number(concurrencyArg);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function getBody(path: string, page: number, params: Readonly<Record<string, string>> = {}): Promise<string> {
  const url = new URL(baseUrl + path);
  url.searchParams.set('page', String(page));
  if (perPage > 0) url.searchParams.set('per_page', String(perPage));
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return new Promise((resolve, reject) => {
    get(url, { agent, headers: { Authorization: apiKey } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

let records = 0;
let bytes = 0;
const queue: (() => Promise<void>)[] = [];
let active = 0;
let finish: () => void;
const done = new Promise<void>((resolve) => (finish = resolve));

function schedule(task: () => Promise<void>): void {
  queue.push(task);
  pump();
}

function pump(): void {
  while (active < concurrency && queue.length > 0) {
    const task = queue.shift()!;
    active++;
    void task().then(() => {
      active--;
      if (active === 0 && queue.length === 0) finish();
      else pump();
    });
  }
}

type Def = (typeof STREAMS)[number];

function fetchPage(def: Def, page: number, onPage: (items: unknown[], totalPages?: number) => void): () => Promise<void> {
  return async () => {
    const body = JSON.parse(await getBody(def.path, page, def.params)) as Record<string, unknown>;
    const items = Array.isArray(body[arrayKeyOf(def)]) ? (body[arrayKeyOf(def)] as unknown[]) : [];
    if (def.kind.type === 'named-list') {
      // A list of [id, name] pairs: each record is its detail.
      const { detail } = def.kind;
      for (const item of items) schedule(fetchDetail(detail, (item as [number])[0]));
    } else {
      for (const item of items) bytes += JSON.stringify(item).length;
      records += items.length;
    }
    onPage(items, (body.meta as { total_pages?: number } | undefined)?.total_pages);
  };
}

function fetchDetail(detail: { path: string; key: string }, id: number): () => Promise<void> {
  return async () => {
    const body = JSON.parse(await getBody(detail.path.replace('{id}', String(id)), 1)) as Record<string, unknown>;
    bytes += JSON.stringify(body[detail.key]).length;
    records += 1;
  };
}

for (const def of STREAMS.filter((s) => s.kind.type !== 'child')) {
  let previousFirst: unknown;
  const next = (page: number) =>
    fetchPage(def, page, (items, totalPages) => {
      if (page === 1 && totalPages !== undefined) {
        for (let p = 2; p <= totalPages; p++) schedule(fetchPage(def, p, () => undefined));
        return;
      }
      if (totalPages !== undefined || items.length === 0) return;
      const first = JSON.stringify(items[0]);
      if (first === previousFirst) return; // an endpoint that ignores `page`
      previousFirst = first;
      schedule(next(page + 1));
    });
  schedule(next(1));
}

await done;
agent.destroy();
process.stderr.write(`floor: ${records} records, ${bytes} bytes of JSON\n`);
