/**
 * Page processing off the main thread: a small pool of worker threads, each stream bound to one of them
 * (its seen ids live there), jobs answered in the order sent. Where workers cannot be used (running from
 * TypeScript sources in tests, or a single core), pages are processed in this thread, the same way.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { TapError } from './errors.js';
import { ownsItsMemory, PageProcessor, type PageJob, type PageResult, type StreamSpec } from './pages.js';
import type { WorkerReply, WorkerRequest } from './page-worker.js';

export class PagePool {
  private readonly workers: Worker[] = [];
  /** Why a worker stopped, by its index: its jobs, and any sent later, fail with it. */
  private readonly dead = new Map<number, Error>();
  private readonly local = new PageProcessor();
  private readonly pending = new Map<number, { worker: number; resolve: (r: PageResult) => void; reject: (e: Error) => void }>();
  private nextKey = 0;
  private nextJob = 0;

  constructor(size = defaultSize()) {
    const file = new URL('./page-worker.js', import.meta.url);
    if (import.meta.url.endsWith('.ts')) size = 0; // sources run by tsx: no compiled worker to start
    for (let i = 0; i < size; i++) {
      // A worker holds one page at a time and the ids of its streams: a small heap, bounded so that the
      // garbage of parsing cannot grow the process's resident size.
      const worker = new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 } });
      const index = i;
      worker.on('message', (reply: WorkerReply) => this.settle(reply));
      worker.on('error', (error) => this.stopped(index, error));
      worker.on('exit', (code) => this.stopped(index, new Error(`it exited with code ${code}`)));
      this.workers.push(worker);
    }
  }

  /** Registers a stream; returns its key for `process`. */
  configure(spec: StreamSpec): number {
    const key = this.nextKey++;
    const worker = this.workerOf(key);
    if (worker) worker.postMessage({ kind: 'configure', key, spec } satisfies WorkerRequest);
    else this.local.configure(key, spec);
    return key;
  }

  /** Processes a page; its body's memory is handed over to the worker. */
  process(job: PageJob): Promise<PageResult> {
    const worker = this.workerOf(job.key);
    if (!worker) {
      try {
        return Promise.resolve(this.local.process(job));
      } catch (error) {
        return Promise.reject(failure(error as Error));
      }
    }
    const index = job.key % this.workers.length;
    const death = this.dead.get(index);
    if (death) return Promise.reject(death);
    const id = this.nextJob++;
    return new Promise<PageResult>((resolve, reject) => {
      this.pending.set(id, { worker: index, resolve, reject });
      const transfer = ownsItsMemory(job.body) ? [job.body.buffer as ArrayBuffer] : [];
      worker.postMessage({ kind: 'process', id, job } satisfies WorkerRequest, transfer);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private closing = false;

  private workerOf(key: number): Worker | undefined {
    return this.workers.length ? this.workers[key % this.workers.length] : undefined;
  }

  private settle(reply: WorkerReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.result) waiting.resolve(reply.result);
    else waiting.reject(failure(new Error(reply.error ?? 'unknown error')));
  }

  /** A worker stopped (an error, its heap limit, or an exit): fail its jobs, now and later; not the others'. */
  private stopped(index: number, error: Error): void {
    if (this.closing || this.dead.has(index)) return;
    const death = new TapError(`a page worker stopped (${error.message}); the streams it served cannot go on. Run again; report it if it persists.`);
    this.dead.set(index, death);
    for (const [id, waiting] of this.pending) {
      if (waiting.worker !== index) continue;
      this.pending.delete(id);
      waiting.reject(death);
    }
  }
}

function failure(error: Error): TapError {
  return new TapError(`a page could not be processed (${error.message}); check the catalog's schemas, or report it.`);
}

/**
 * Two workers where there are two cores or more: the main thread is mostly waiting (network, stdout), and
 * two workers parse ~130k records/s, far beyond what the API's rate limit lets through.
 */
function defaultSize(): number {
  return availableParallelism() >= 2 ? 2 : 0;
}
