/**
 * A page's body, read by what holds its records (streams.ts Body): the elements, where each element's
 * bytes are (for copying), and the page counts of its `meta`; and what the processor adds to a record before
 * it is shaped (its parent's id, its list, its made key).
 */
import { isPlainObject } from '../records/json.js';
import { arraySlices, type Slices } from '../records/json-slices.js';
import type { MadeKey } from '../streams.js';
import type { PageBody, PageJob, PageResult } from './page-spec.js';

/** A stream's body, flattened once (page-processor.ts) into the fields read on every page and record. */
export interface BodyReading {
  /** The key of the record array, or of the detail's one record (`single`). */
  key: string;
  /** The body holds one record under `key` (a detail endpoint) instead of an array. */
  single: boolean;
  /** The array's elements are [id, name] pairs, read as records of these two fields. */
  pairs: readonly [string, string] | undefined;
  /** An element may come wrapped as {"<wrapper>": record}. */
  wrapper: string | undefined;
  /** Several arrays of records (the body's `lists`), each record's list named in `listField`. */
  lists: Readonly<Record<string, string>> | undefined;
  listField: string;
  madeKey: MadeKey | undefined;
  /** A child's field for its parent's id. */
  parentField: string | undefined;
  /** Records come out as the page has them (no field added): their bytes can be copied. */
  plain: boolean;
}

export function bodyReading(body: PageBody, parentField: string | undefined): BodyReading {
  const reading: BodyReading = {
    key: '',
    single: false,
    pairs: undefined,
    wrapper: undefined,
    lists: undefined,
    listField: '',
    madeKey: undefined,
    parentField,
    plain: false,
  };
  switch (body.type) {
    case 'array':
      reading.key = body.key;
      reading.wrapper = body.wrapper;
      reading.plain = parentField === undefined;
      break;
    case 'pairs':
      reading.key = body.key;
      reading.pairs = body.fields;
      break;
    case 'object':
      reading.key = body.key;
      reading.single = true;
      break;
    case 'lists':
      reading.key = Object.keys(body.lists)[0]!;
      reading.lists = body.lists;
      reading.listField = body.listField;
      reading.madeKey = body.madeKey;
      break;
  }
  return reading;
}

/** One shape whatever the page held (see page-spec.ts). */
export type ParsedPage =
  | { invalid: 'json' | 'no-array'; elements: undefined; slices: undefined; meta: undefined }
  | { invalid: undefined; elements: unknown[]; slices: Slices | undefined; /** The body's `meta`, as it came. */ meta: unknown };

/**
 * A page's body parsed: its elements, where each element's bytes are (copying only), and its meta.
 * Copying needs every element found in the bytes: a page where they are not cannot be copied (the
 * caller reads it again without copying).
 */
export function parsePage(bytes: Buffer, body: BodyReading, copying: boolean): ParsedPage {
  const text = bytes.toString(copying ? 'latin1' : 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalidPage('json');
  }
  if (!isPlainObject(parsed)) return invalidPage('no-array');
  if (body.lists) return parsedPage(listsOf(parsed, body.lists, body.listField), undefined, undefined);
  if (body.single) return isPlainObject(parsed[body.key]) ? parsedPage([parsed[body.key]], undefined, undefined) : invalidPage('no-array');
  const elements = parsed[body.key];
  if (!Array.isArray(elements)) return invalidPage('no-array');
  if (!copying) return parsedPage(elements, undefined, parsed.meta);
  const slices = arraySlices(text, body.key);
  if (slices?.starts.length !== elements.length) return invalidPage('no-array');
  return parsedPage(elements, slices, parsed.meta);
}

function parsedPage(elements: unknown[], slices: Slices | undefined, meta: unknown): ParsedPage {
  return { invalid: undefined, elements, slices, meta };
}

function invalidPage(invalid: 'json' | 'no-array'): ParsedPage {
  return { invalid, elements: undefined, slices: undefined, meta: undefined };
}

/** The page counts of a body's `meta` that are counts, into the page's result. */
export function readMeta(meta: unknown, result: PageResult): void {
  if (!isPlainObject(meta)) return;
  const { total_pages: pages, total_entries: entries, per_page: perPage } = meta;
  if (isCount(pages)) result.totalPages = pages;
  if (isCount(entries)) result.totalEntries = entries;
  if (isCount(perPage) && perPage > 0) result.perPage = perPage;
}

/**
 * The records of a body with several arrays, each element with the field that names its array; an array
 * missing or null is an empty one (docs/api.md#child-resources: an asset without patch data).
 */
function listsOf(body: Record<string, unknown>, lists: Readonly<Record<string, string>>, field: string): unknown[] {
  return Object.entries(lists).flatMap(([key, value]): unknown[] => {
    const elements: unknown = body[key];
    if (!Array.isArray(elements)) return [];
    return elements.map((element: unknown) => (isPlainObject(element) ? { ...element, [field]: value } : element));
  });
}

/** An element of a list of pairs as the record it names; any other element as it is. */
export function fromPair(element: unknown, pairs: readonly [string, string] | undefined): unknown {
  if (!pairs || !Array.isArray(element)) return element;
  return { [pairs[0]]: element[0] as unknown, [pairs[1]]: element[1] as unknown };
}

/** What the processor adds to a record before it is shaped: its parent's id where it lacks one, its made key. */
export function completeRecord(element: unknown, body: BodyReading, job: PageJob): void {
  // Every record of every stream passes here: the body's checks first, the element's only for a child or a made key.
  if ((body.parentField === undefined && !body.madeKey) || !isPlainObject(element)) return;
  if (body.parentField !== undefined && job.parentId !== undefined && element[body.parentField] == null)
    // A 64-bit parent id travels as its digits (big-ids.ts): a number here, as the schema declares, its digits
    // written back when the record is serialised.
    element[body.parentField] = typeof job.parentId === 'string' && /^-?\d+$/.test(job.parentId) ? Number(job.parentId) : job.parentId;
  if (body.madeKey) element[body.madeKey.field] = body.madeKey.from.map((name) => stringOf(element[name])).join('|');
}

/** A key part as text: a null or a missing value as ''. */
function stringOf(value: unknown): string {
  return value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
