/**
 * A full garbage collection after every so many bytes of pages handled by a thread. Left to itself, V8
 * ran one or two full collections in a whole sync (--trace-gc), and what only a full collection frees
 * (page buffers promoted to the old generation, whose memory lies outside the heaps that the limits
 * count) grew the tap's resident size with the length of the sync. `--expose-gc` set here holds in any
 * way the tap is started, whatever flags node was given; only new contexts get a `gc` global from it,
 * so nothing else changes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Returns the function to call with each page's size: it collects once `everyBytes` went by. */
export function collectorEvery(everyBytes: number): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes) return;
    since = 0;
    collectGarbage();
  };
}
