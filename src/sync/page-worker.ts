/** A worker thread that processes pages (see pages.ts) for the main thread's PagePool. */
import { parentPort } from 'node:worker_threads';
import { collectorEvery } from './gc.js';
import { ownsItsMemory, PageProcessor, type PageJob, type StreamSpec } from './pages.js';

export type WorkerRequest = { kind: 'configure'; key: number; spec: StreamSpec } | { kind: 'process'; id: number; job: PageJob };
export type WorkerReply = { id: number; result?: import('./pages.js').PageResult; error?: string };

/**
 * A full collection after every 16 MiB of pages keeps the resident size flat, for a few percent more
 * CPU (see gc.ts; docs/benchmarks.md has the memory figures).
 */
const collect = collectorEvery(16 * 1024 * 1024);

const processor = new PageProcessor();
parentPort!.on('message', (request: WorkerRequest) => {
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
});
