/** A list endpoint: pages of records, each page's records written as they come (most streams). */
import { pageSizeOf } from '../../streams.js';
import { emitPage } from '../emit.js';
import type { RootKind } from './registry.js';

export const LIST: RootKind = {
  role: 'root',
  extraSpecs: () => ({}),
  writePage: (run, page) => emitPage(run.sync, run.stream, page),
  docs: (def) => ({
    // Without a documented page, a list answered whole is known whole when page 2 repeats it (walker.ts).
    requests:
      def.paging.type !== 'single' && pageSizeOf(def) === undefined
        ? '2 for a list answered whole (the second repeats it), else 1 per page'
        : '1 per page',
    notes: [],
  }),
};
