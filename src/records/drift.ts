/**
 * A stream's schema as announced, kept in step with what its records bring (the main thread's half of
 * conform.ts). The page workers report each page's drifts; before that page is written, the schema is
 * widened where a drift needs it and announced again (Singer allows a SCHEMA mid-stream), so that every
 * RECORD conforms to the last SCHEMA of its stream. Each property's drift is said once a run, in a line
 * that names the stream, the property, the declared type, the type seen and a record id: a WARNING, or
 * an INFO for a conversion that keeps the meaning.
 */
import type { JsonSchema } from './json.js';
import { DRIFTED, pathText, schemaAt, typeText, widen, widens, type Drift } from './conform.js';
import type { Log } from '../output/log.js';

export class AnnouncedSchema {
  /** Drifts said already, by action and property. */
  private readonly said = new Set<string>();
  /** The properties that drifted, as the run summary lists them ("customer.address: widened to object or array or null"). */
  readonly drifted: string[] = [];

  constructor(
    private readonly stream: string,
    /** The schema last announced. */
    public schema: JsonSchema,
    private readonly log: Log,
  ) {}

  /**
   * Takes a page's drifts: says the new ones, widens the schema where they need it. Returns the widened
   * schema when it changed (to be announced before the page), else undefined.
   */
  take(drifts: readonly Drift[]): JsonSchema | undefined {
    const widening = drifts.filter((d) => widens(this.schema, d));
    const before = this.schema;
    if (widening.length > 0) this.schema = widen(this.schema, widening);
    for (const drift of drifts) this.say(drift, before);
    return widening.length > 0 ? this.schema : undefined;
  }

  private say(drift: Drift, before: JsonSchema): void {
    const property = pathText(drift.path);
    const kind = `${drift.action} ${property}`;
    if (this.said.has(kind)) return;
    this.said.add(kind);
    const where = `stream ${this.stream}: property ${property} is declared ${drift.declared} but record id ${String(drift.id)} has ${drift.seen}`;
    if (drift.action === 'coerced') {
      // No value lost, nothing to fix: INFO (a nightly run of an account that sends numbers as text says it every night).
      this.log.info(`${where}; such values are converted to ${drift.to ?? 'the declared type'}, with the same meaning`);
      this.drifted.push(`${property}: ${drift.seen} converted to ${drift.to ?? drift.declared}`);
      return;
    }
    if (drift.action === 'moved' && property === DRIFTED) {
      this.log.warning(
        `stream ${this.stream}: record id ${String(drift.id)} came with a member named ${DRIFTED} (${drift.seen}), the name of the ` +
          `tap's own object: such a value is kept as the API sent it under "${DRIFTED}" inside the tap's ${DRIFTED} object`,
      );
      this.drifted.push(`${DRIFTED}: the API's own kept under ${DRIFTED}.${DRIFTED}`);
      return;
    }
    if (drift.action === 'moved') {
      this.log.warning(
        `${where}; such values are kept as the API sent them in the record's ${DRIFTED} object, under "${property}", and ${property} is null ` +
          `there (its column keeps its type; see the README's "When the API sends something unexpected")`,
      );
      this.drifted.push(`${property}: ${drift.seen} moved to ${DRIFTED}`);
      return;
    }
    const widened = schemaAt(this.schema, drift.path);
    const now = widened ? typeText(widened) : 'any';
    const wasWide = !widens(before, drift);
    this.log.warning(
      `${where}; such values are kept where they are and the schema ${wasWide ? 'was already' : 'is'} widened to ${now} ` +
        '(a new SCHEMA announces it; the column is JSON and keeps its type)',
    );
    this.drifted.push(`${property}: widened to ${now}`);
  }
}
