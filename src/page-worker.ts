/** A worker thread that processes pages (see pages.ts) for the main thread's PagePool. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { ownsItsMemory, PageProcessor, type PageJob, type StreamSpec } from './pages.js';

export type WorkerRequest = { kind: 'configure'; key: number; spec: StreamSpec } | { kind: 'process'; id: number; job: PageJob };
export type WorkerReply = { id: number; result?: import('./pages.js').PageResult; error?: string };

/**
 * A full garbage collection after every 16 MiB of pages. Left to itself, a worker ran one or two full
 * collections in a whole sync (--trace-gc), and what only a full collection frees (large regions the
 * heap limits do not count) grew the tap's resident size for a quarter of a minute: 115-120 MB at 100k
 * records, 137-151 MB at 1M. With it: 118 MB and 127 MB, for ~3% more time in the cpu benchmark.
 * `--expose-gc` set here holds in any way the tap is started, whatever flags node was given.
 */
const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
let bytesSinceCollection = 0;

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
    bytesSinceCollection += request.job.body.byteLength;
    if (bytesSinceCollection >= COLLECT_EVERY_BYTES) {
      bytesSinceCollection = 0;
      collectGarbage();
    }
    const reply: WorkerReply = { id: request.id, result };
    parentPort!.postMessage(reply, ownsItsMemory(result.out) ? [result.out.buffer as ArrayBuffer] : []);
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: (error as Error).message } satisfies WorkerReply);
  }
});
