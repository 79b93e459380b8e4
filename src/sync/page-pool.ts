/**
 * Page processing off the main thread: a small pool of worker threads, every stream known to each, each
 * page sent to the worker with the fewest pages in hand (streams differ in size by a factor of a hundred:
 * binding a stream to a worker left one idle while the other worked). Where workers cannot be used
 * (running from TypeScript sources in tests, or a single core), pages are processed in this thread, the
 * same way.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { REPORT } from '../error-policy.js';
import { TapError } from '../errors.js';
import { collectorEvery } from './gc.js';
import { DEFAULT_MAX_RESPONSE_MB } from '../api/http.js';
import type { Log } from '../output/log.js';
import { loadAjv, needsAjv } from '../records/record-check.js';
import { PageProcessor } from './page-processor.js';
import { ownsItsMemory, type PageJob, type PageResult, type StreamSpec } from './page-spec.js';
import type { WorkerReply, WorkerRequest } from './page-worker.js';

export class PagePool {
  private readonly workers: Worker[] = [];
  /** Why a worker stopped, by its index: the pages it had fail with it, and no page is sent to it again. */
  private readonly dead = new Map<number, Error>();
  private readonly local = new PageProcessor();
  private readonly pending = new Map<number, { worker: number; resolve: (r: PageResult) => void; reject: (e: Error) => void }>();
  /** Pages in hand, by worker. */
  private readonly load: number[] = [];
  /** Pages processed, by worker. */
  readonly processed: number[] = [];
  private nextKey = 0;
  private nextJob = 0;
  /**
   * Full collections for pages processed in this thread (no workers), as a worker has them (page-worker.ts).
   * With workers, this thread has none: its heap stays small without them, and each one cost CPU for no
   * gain in the memory benchmark (docs/benchmarks.md).
   */
  private readonly collectLocal = collectorEvery(16 * 1024 * 1024);
  /** Pages processed in this thread wait for the streams configured before them (see configure). */
  private localReady: Promise<unknown> = Promise.resolve();

  /** `size` workers; `maxPageMb`: the largest page body (max_response_mb), which a worker's heap must hold parsed. */
  constructor(
    size = defaultSize(),
    maxPageMb = DEFAULT_MAX_RESPONSE_MB,
    private readonly log?: Pick<Log, 'debug'>,
  ) {
    const file = new URL('./page-worker.js', import.meta.url);
    if (import.meta.url.endsWith('.ts')) size = 0; // sources run by tsx: no compiled worker to start
    for (let i = 0; i < size; i++) {
      // A worker holds one page at a time and the ids of its streams: a small heap, bounded so that the
      // garbage of parsing cannot grow the process's resident size; room for a page's text and records
      // at the largest page size allowed (docs/benchmarks.md, memory).
      const heapMb = 32 + 2 * maxPageMb;
      const worker = new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: heapMb } });
      const index = i;
      worker.on('message', (reply: WorkerReply) => {
        this.settle(reply);
      });
      worker.on('error', (error) => {
        this.stopped(index, error);
      });
      worker.on('exit', (code) => {
        this.stopped(index, new Error(`it exited with code ${code}`));
      });
      this.workers.push(worker);
      this.load.push(0);
      this.processed.push(0);
    }
  }

  /** Registers a stream; returns its key for `process`. */
  configure(spec: StreamSpec): number {
    const key = this.nextKey++;
    for (const worker of this.workers) worker.postMessage({ kind: 'configure', key, spec } satisfies WorkerRequest);
    if (this.workers.length === 0) {
      // A check that needs ajv waits for it to load (record-check.ts), and the pages with it: a failure is
      // reported by the stream's first page, which finds the stream unconfigured, as in a worker.
      if (needsAjv(spec.schema))
        this.localReady = this.localReady
          .then(async () => {
            await loadAjv();
            this.local.configure(key, spec);
          })
          .catch(() => undefined);
      else this.local.configure(key, spec);
    }
    return key;
  }

  /** Processes a page; its body's memory is handed over to the worker. */
  process(job: PageJob): Promise<PageResult> {
    if (this.workers.length === 0) {
      return this.localReady.then(() => {
        try {
          const result = this.local.process(job);
          this.collectLocal(job.body.byteLength);
          return result;
        } catch (error) {
          throw failure(error as Error);
        }
      });
    }
    const index = this.leastLoaded();
    if (index === undefined) return Promise.reject([...this.dead.values()][0]!);
    const worker = this.workers[index]!;
    this.load[index]! += 1;
    const id = this.nextJob++;
    return new Promise<PageResult>((resolve, reject) => {
      this.pending.set(id, { worker: index, resolve, reject });
      const transfer = ownsItsMemory(job.body) ? [job.body.buffer as ArrayBuffer] : [];
      worker.postMessage({ kind: 'process', id, job } satisfies WorkerRequest, transfer);
    });
  }

  async close(): Promise<void> {
    if (this.workers.length > 0) this.log?.debug(`pages processed by each page worker: ${this.processed.join(', ')}`);
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private closing = false;

  /** The live worker with the fewest pages in hand; undefined when none is left. */
  private leastLoaded(): number | undefined {
    let best: number | undefined;
    for (let i = 0; i < this.workers.length; i++) {
      if (!this.dead.has(i) && (best === undefined || this.load[i]! < this.load[best]!)) best = i;
    }
    return best;
  }

  private settle(reply: WorkerReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    this.load[waiting.worker]! -= 1;
    this.processed[waiting.worker]! += 1;
    if (reply.result) waiting.resolve(reply.result);
    else waiting.reject(failure(new Error(reply.error ?? 'unknown error')));
  }

  /** A worker stopped (an error, its heap limit, or an exit): fail the pages it had; the others take the next ones. */
  private stopped(index: number, error: Error): void {
    if (this.closing || this.dead.has(index)) return;
    const death = new TapError(
      `a page worker stopped (${error.message}); the streams it served cannot go on. Run again; ${REPORT} if it persists.`,
    );
    this.dead.set(index, death);
    for (const [id, waiting] of this.pending) {
      if (waiting.worker !== index) continue;
      this.pending.delete(id);
      waiting.reject(death);
    }
  }
}

function failure(error: Error): TapError {
  return new TapError(`a page could not be processed (${error.message}); check the catalog's schemas, or ${REPORT}.`);
}

/**
 * Two workers where there are two cores or more: the main thread is mostly waiting (network, stdout), and
 * two workers parse ~130k records/s, far beyond what the API's rate limit lets through.
 */
function defaultSize(): number {
  return availableParallelism() >= 2 ? 2 : 0;
}
