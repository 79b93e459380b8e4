/**
 * The stream kinds (streams.ts StreamKind), the one place the sync looks a kind up: a row a kind, each
 * the kind's module. Adding a kind is a member of the StreamKind union, a module here, and its row below
 * (docs/architecture.md lists those files; test/unit/layers.test.ts keeps the list true).
 *
 * A root kind is read by walking its own pages (walk.ts): it says how a page's records are written, which
 * other bodies its records need (a named list's details), and drives the children of each page. A child
 * kind is read under its parent's pages: it says which parents a page brings and how it reads under each.
 * Both describe themselves for the README's streams table (tools/reference.ts).
 */
import type { StreamDef, StreamKind } from '../../streams.js';
import type { ChildRun, NumberedPage, StreamRun } from '../context.js';
import type { StreamSpec } from '../page-spec.js';
import { CHILD } from './child.js';
import { LIST } from './list.js';
import { NAMED_LIST } from './named-list.js';

export interface RootKind {
  role: 'root';
  /** Other bodies its records are read from, by name, each as the page processor must know it. */
  extraSpecs(def: StreamDef, spec: StreamSpec): Record<string, StreamSpec>;
  /** Writes a page of its walk; returns the ids written. */
  writePage(run: StreamRun, page: NumberedPage): Promise<(number | string)[]>;
  /** What the README's streams table says of a stream of this kind. */
  docs(def: StreamDef): KindDocs;
}

/** A kind's cells of the README's streams table: replication (where the kind decides it), requests, notes. */
export interface KindDocs {
  replication?: string;
  requests: string;
  notes: string[];
}

export interface ChildKindBehaviour {
  role: 'child';
  /** Reads the child's records under the parents `page` brings, and writes them. */
  readUnder(run: StreamRun, child: ChildRun, page: NumberedPage): Promise<void>;
  docs(def: StreamDef): KindDocs;
}

export type KindBehaviour = RootKind | ChildKindBehaviour;

const KINDS: { readonly [K in StreamKind['type']]: KindBehaviour } = {
  list: LIST,
  'named-list': NAMED_LIST,
  child: CHILD,
};

export function kindOf(def: StreamDef): KindBehaviour {
  return KINDS[def.kind.type];
}

/** The root kind of a stream that is walked for itself (a child never is: its parent is walked). */
export function rootKindOf(def: StreamDef): RootKind {
  const kind = kindOf(def);
  if (kind.role !== 'root') throw new Error(`stream ${def.name} is read under its parent, not walked`);
  return kind;
}
