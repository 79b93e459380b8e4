/** A worker thread that processes pages (see page-processor.ts) for the main thread's PagePool. */
import { parentPort } from 'node:worker_threads';
import { collectorEvery } from './gc.js';
import { PageProcessor } from './page-processor.js';
import { ownsItsMemory, type PageJob, type PageResult, type StreamSpec } from './page-spec.js';
import { loadAjv, needsAjv } from '../records/record-check.js';

export type WorkerRequest = { kind: 'configure'; key: number; spec: StreamSpec } | { kind: 'process'; id: number; job: PageJob };
export type WorkerReply = { id: number; result?: PageResult; error?: string };

/**
 * A full collection after every 16 MiB of pages keeps the resident size flat, for a few percent more
 * CPU (see gc.ts; docs/benchmarks.md has the memory figures).
 */
const collect = collectorEvery(16 * 1024 * 1024);

const processor = new PageProcessor();
/**
 * Requests are handled as they come, in order. A stream whose check needs ajv (record-check.ts) waits for
 * it to load, and the requests after it wait their turn.
 */
parentPort!.on('message', (request: WorkerRequest) => {
  if (request.kind === 'configure' && needsAjv(request.spec.schema)) {
    // A failure to load is the stream's to report: its first page finds it unconfigured.
    later(async () => {
      await loadAjv().catch(() => undefined);
      handle(request);
    });
  } else if (waiting > 0) {
    later(() => {
      handle(request);
    });
  } else handle(request);
});

let queue: Promise<unknown> = Promise.resolve();
let waiting = 0;

function later(step: () => unknown): void {
  waiting++;
  queue = queue.then(step).finally(() => {
    waiting--;
  });
}

function handle(request: WorkerRequest): void {
  if (request.kind === 'configure') {
    try {
      processor.configure(request.key, request.spec);
    } catch {
      // Reported by the first job of that stream, which finds it unconfigured.
    }
    return;
  }
  try {
    const result = processor.process(request.job);
    collect(request.job.body.byteLength);
    const reply: WorkerReply = { id: request.id, result };
    parentPort!.postMessage(reply, ownsItsMemory(result.out) ? [result.out.buffer as ArrayBuffer] : []);
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: (error as Error).message } satisfies WorkerReply);
  }
}
