import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';

/** catalog/catalog.json as the tests read and edit it. */
export interface DiscoveredCatalog {
  streams: { stream: string; schema: Record<string, unknown>; metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[];
}

export function discoveredCatalog(): DiscoveredCatalog {
  return JSON.parse(readFileSync(join(ROOT, 'catalog', 'catalog.json'), 'utf8')) as DiscoveredCatalog;
}

/** The discovered catalog with `streams` selected and every other stream deselected. */
export function selectOnly(streams: readonly string[]): DiscoveredCatalog {
  const catalog = discoveredCatalog();
  for (const s of catalog.streams) s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata.selected = streams.includes(s.stream);
  return catalog;
}
