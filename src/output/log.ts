/**
 * Logging to stderr (stdout belongs to Singer messages), in the Singer convention `LEVEL message`, and
 * Singer METRIC lines. Every line passes through redaction of the registered secrets, so that no code path
 * can print the API key, whatever a server echoes back.
 */

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type Level = (typeof LEVELS)[number];

let threshold = LEVELS.indexOf('INFO');
/** Shorter secrets could be the letters of a word ("o" in "wor***er"): masked where they stand alone. */
const SHORT_SECRET = 8;

/** Masks registered secrets in text: everywhere when long, where each stands as a value when short. */
export class Redactor {
  private readonly secrets = new Map<string, RegExp | undefined>();

  add(secret: string): void {
    if (secret.length < 1) return;
    for (const form of [secret, encodeURIComponent(secret)])
      this.secrets.set(form, form.length < SHORT_SECRET ? standingAlone(form) : undefined);
  }

  redact(text: string): string {
    let out = text;
    for (const [secret, alone] of this.secrets) {
      if (!out.includes(secret)) continue;
      out = alone ? out.replace(alone, '***') : out.split(secret).join('***');
    }
    return out;
  }
}

const secrets = new Redactor();

/**
 * DEBUG and INFO lines (METRIC lines among them: one per request) are held for up to HOLD_MS and written
 * together: a write to a pipe per line was a sizeable part of a sync at the API's page sizes. A WARNING or
 * worse is written at once, after what was held.
 */
const HOLD_MS = 100;
let held = '';
let flushScheduled = false;

/**
 * A block that stays below the log lines on a terminal (the progress display): cleared before lines are
 * written, and drawn again after them.
 */
export interface StatusBlock {
  /** The text that erases the block (and forgets it is drawn). */
  clear(): string;
  /** The block's text, now (and remembers it is drawn). */
  draw(): string;
}
let statusBlock: StatusBlock | undefined;

/** Keeps `block` below the log lines from now on; undefined ends it. */
export function showBelowLog(block: StatusBlock | undefined): void {
  statusBlock = block;
}

/** Writes the lines held. The cli calls it before it exits; an exit of any other kind does too. */
export function flushLog(): void {
  flushScheduled = false;
  if (held === '') return;
  const text = held;
  held = '';
  process.stderr.write(statusBlock ? statusBlock.clear() + text + statusBlock.draw() : text);
}
process.on('exit', flushLog);

const stderrSink = (line: string, level: Level): void => {
  held += line;
  if (LEVELS.indexOf(level) >= LEVELS.indexOf('WARNING') || held.length >= 64 * 1024) {
    flushLog();
    return;
  }
  if (!flushScheduled) {
    flushScheduled = true;
    setTimeout(flushLog, HOLD_MS).unref();
  }
};
let sink: (line: string, level: Level) => void = stderrSink;

export function setLevel(level: Level): void {
  threshold = LEVELS.indexOf(level);
}

/**
 * The log level is settled in two steps, here: TAP_CRM_LOG_LEVEL, when it names a level, applies from the
 * start (the config may fail to read, and that must be logged at the level asked); once the settings are
 * read, their log_level applies where a config gave one, else the variable's stays, else the default.
 */
let levelFromVariable = false;

export function levelFromEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const level = env.TAP_CRM_LOG_LEVEL?.toUpperCase();
  levelFromVariable = level !== undefined && (LEVELS as readonly string[]).includes(level);
  if (levelFromVariable) setLevel(level as Level);
}

export function levelFromSettings(configured: boolean, level: Level): void {
  if (configured || !levelFromVariable) setLevel(level);
}

export function isDebug(): boolean {
  return threshold === 0;
}

/** Whether lines of `level` are written. */
export function logs(level: Level): boolean {
  return LEVELS.indexOf(level) >= threshold;
}

/** Registers a value that must never appear in output; it and its URL-encoded form are masked. */
export function addSecret(secret: string): void {
  secrets.add(secret);
}

/**
 * A secret where it stands as a value: not inside a longer run of letters and digits (a short key "o" is
 * masked in `api_key=o`, `"o"` or `Authorization: o`, not in "word"). An edge of the secret that is not a
 * letter or a digit needs no boundary.
 */
function standingAlone(secret: string): RegExp {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const word = /[A-Za-z0-9]/;
  const before = word.test(secret[0]!) ? '(?<![A-Za-z0-9])' : '';
  const after = word.test(secret.at(-1)!) ? '(?![A-Za-z0-9])' : '';
  return new RegExp(`${before}${escaped}${after}`, 'g');
}

export function redact(text: string): string {
  return secrets.redact(text);
}

/**
 * Where log lines go instead of stderr: chosen once, by the command line (cli.ts: LOG messages on stdout
 * in Airbyte mode); tests capture lines with it. Returns the previous one.
 */
export function setSink(next: (line: string, level: Level) => void): (line: string, level: Level) => void {
  const previous = sink;
  sink = next;
  return previous;
}

function emit(level: Level, message: string): void {
  if (LEVELS.indexOf(level) < threshold) return;
  sink(redact(`${level} ${message}`).replace(/\r?\n/g, ' ') + '\n', level);
}

export const log = {
  debug: (message: string) => {
    emit('DEBUG', message);
  },
  info: (message: string) => {
    emit('INFO', message);
  },
  warning: (message: string) => {
    emit('WARNING', message);
  },
  error: (message: string) => {
    emit('ERROR', message);
  },
  critical: (message: string) => {
    emit('CRITICAL', message);
  },
};

export interface Metric {
  type: 'counter' | 'timer';
  metric: string;
  value: number;
  tags: Record<string, string | number>;
}

let metrics = true;

/** METRIC lines on or off (off where a person watches a terminal: they are for machines, which read a pipe). */
export function setMetrics(on: boolean): void {
  metrics = on;
}

export function metric(m: Metric): void {
  if (metrics) emit('INFO', 'METRIC: ' + JSON.stringify(m));
}
