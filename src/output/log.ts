/**
 * Logging to stderr (stdout belongs to Singer messages), in the Singer convention `LEVEL message`, and
 * Singer METRIC lines. Every line passes through redaction of the registered secrets, so that no code path
 * can print the API key, whatever a server echoes back. One Logger a run: the command line (cli.ts) makes it
 * and hands it down in the run handle; nothing here is module state.
 */

import { readFileSync } from 'node:fs';

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * Every form a secret can take in a line: as it is; percent-encoded as encodeURIComponent does and as a query
 * string is (URLSearchParams, the HTTP client's: a space as `+`, `( ) ! ~ '` as %XX), each with upper- and
 * lower-case hex; and in base64, alone or as a basic-auth header's user name with no password (`key:`), were
 * one ever sent.
 */
function encodings(secret: string): string[] {
  const component = encodeURIComponent(secret);
  const query = new URLSearchParams({ s: secret }).toString().slice(2);
  const lower = (text: string) => text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());
  // Padding left out: the stem is what a longer text holds.
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64').replace(/=+$/, '');
  return [...new Set([secret, component, lower(component), query, lower(query), base64(secret), base64(`${secret}:`)])];
}

/** Shorter secrets could be the letters of a word ("o" in "wor***er"): masked where they stand alone. */
const SHORT_SECRET = 8;

/** Masks registered secrets in text: everywhere when long, where each stands as a value when short. */
export class Redactor {
  private readonly secrets = new Map<string, RegExp | undefined>();

  add(secret: string): void {
    if (secret.length < 1) return;
    for (const form of encodings(secret)) this.secrets.set(form, form.length < SHORT_SECRET ? standingAlone(form) : undefined);
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
export interface Metric {
  type: 'counter' | 'timer';
  metric: string;
  value: number;
  tags: Record<string, string | number>;
}

/**
 * How Meltano asks for structured logging (its `structured-logging` capability): SINGER_SDK_LOG_CONFIG names
 * a Python logging configuration whose formatter is the Meltano SDK's StructuredFormatter. Each line is then
 * one JSON object with the fields Meltano's SingerSDKLogParser requires (docs/meltano.md).
 */
export const STRUCTURED_FORMATTER = 'singer_sdk.logging.StructuredFormatter';

/** Whether the logging configuration at `SINGER_SDK_LOG_CONFIG` asks for structured lines (an unreadable one does not). */
export function wantsStructured(
  env: NodeJS.ProcessEnv = process.env,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): boolean {
  const path = env.SINGER_SDK_LOG_CONFIG;
  if (!path) return false;
  try {
    const config = JSON.parse(read(path)) as { formatters?: Record<string, Record<string, unknown>> };
    return Object.values(config.formatters ?? {}).some((f) => f['()'] === STRUCTURED_FORMATTER);
  } catch {
    return false;
  }
}

/** The stream a line is about: the name after "stream " that opens it (every stream's lines are written so), else null. */
function streamOf(message: string): string | null {
  return /^stream ([a-z_]+)\b/.exec(message)?.[1] ?? null;
}

/** A value with the secrets masked in its JSON text: as a value again, or as that text where masking broke the JSON. */
function redactedJson(value: unknown, redact: (text: string) => string): unknown {
  const text = redact(JSON.stringify(value));
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Where a log line goes: stderr, or (Airbyte) a LOG message on stdout; tests capture lines with one. */
export type LogSink = (line: string, level: Level) => void;

/**
 * DEBUG and INFO lines (METRIC lines among them: one per request) are held for up to HOLD_MS and written
 * together: a write to a pipe per line was a sizeable part of a sync at the API's page sizes. A WARNING or
 * worse is written at once, after what was held.
 */
const HOLD_MS = 100;

export class Logger {
  private threshold = LEVELS.indexOf('INFO');
  /** TAP_CRM_LOG_LEVEL named a level (levelFromEnvironment). */
  private levelFromVariable = false;
  private readonly secrets = new Redactor();
  private held = '';
  private flushScheduled = false;
  private statusBlock: StatusBlock | undefined;
  private metrics = true;
  private structured = false;
  private sink: LogSink;

  constructor(private readonly stderr: { write(text: string): unknown } = process.stderr) {
    this.sink = (line, level) => {
      this.hold(line, level);
    };
  }

  readonly debug = (message: string): void => {
    this.emit('DEBUG', message);
  };
  readonly info = (message: string): void => {
    this.emit('INFO', message);
  };
  readonly warning = (message: string): void => {
    this.emit('WARNING', message);
  };
  readonly error = (message: string): void => {
    this.emit('ERROR', message);
  };
  readonly critical = (message: string): void => {
    this.emit('CRITICAL', message);
  };

  /** A Singer METRIC line (INFO), unless metrics are off. */
  metric(m: Metric): void {
    if (!this.metrics) return;
    if (this.structured) this.emit('INFO', 'METRIC', m);
    else this.emit('INFO', 'METRIC: ' + JSON.stringify(m));
  }

  /** Lines as JSON objects (Meltano's structured logging: wantsStructured), or as `LEVEL message` text. */
  setStructured(on: boolean): void {
    this.structured = on;
  }

  /** METRIC lines on or off (off where a person watches a terminal: they are for machines, which read a pipe). */
  setMetrics(on: boolean): void {
    this.metrics = on;
  }

  setLevel(level: Level): void {
    this.threshold = LEVELS.indexOf(level);
  }

  /**
   * The log level is settled in two steps: TAP_CRM_LOG_LEVEL, when it names a level, applies from the start
   * (the config may fail to read, and that must be logged at the level asked); once the settings are read,
   * their log_level applies where a config gave one, else the variable's stays, else the default.
   */
  levelFromEnvironment(env: NodeJS.ProcessEnv = process.env): void {
    const level = env.TAP_CRM_LOG_LEVEL?.toUpperCase();
    this.levelFromVariable = level !== undefined && (LEVELS as readonly string[]).includes(level);
    if (this.levelFromVariable) this.setLevel(level as Level);
  }

  levelFromSettings(configured: boolean, level: Level): void {
    if (configured || !this.levelFromVariable) this.setLevel(level);
  }

  isDebug(): boolean {
    return this.threshold === 0;
  }

  /** Whether lines of `level` are written. */
  logs(level: Level): boolean {
    return LEVELS.indexOf(level) >= this.threshold;
  }

  /** Registers a value that must never appear in output; it and its URL-encoded form are masked. */
  addSecret(secret: string): void {
    this.secrets.add(secret);
  }

  /** `text` with every registered secret masked. */
  readonly redact = (text: string): string => this.secrets.redact(text);

  /** Where lines go instead of stderr (cli.ts: LOG messages in Airbyte mode; tests capture them); returns the previous one. */
  setSink(next: LogSink): LogSink {
    const previous = this.sink;
    this.sink = next;
    return previous;
  }

  /** Keeps `block` below the log lines from now on (the progress display on a terminal); undefined ends it. */
  showBelowLog(block: StatusBlock | undefined): void {
    this.statusBlock = block;
  }

  /** Writes the lines held. The cli calls it before it exits. */
  flush(): void {
    this.flushScheduled = false;
    if (this.held === '') return;
    const text = this.held;
    this.held = '';
    this.stderr.write(this.statusBlock ? this.statusBlock.clear() + text + this.statusBlock.draw() : text);
  }

  private emit(level: Level, message: string, metric?: Metric): void {
    if (LEVELS.indexOf(level) < this.threshold) return;
    if (this.structured) {
      this.sink(this.structuredLine(level, message, metric), level);
      return;
    }
    this.sink(this.redact(`${level} ${message}`).replace(/\r?\n/g, ' ') + '\n', level);
  }

  /** A line as the Meltano SDK's StructuredFormatter writes it; secrets masked in its message and metric. */
  private structuredLine(level: Level, message: string, metric: Metric | undefined): string {
    const text = this.redact(message);
    const data: Record<string, unknown> = {
      level: level.toLowerCase(),
      pid: process.pid,
      logger_name: 'tap-crm',
      ts: Date.now() / 1000,
      thread_name: 'MainThread',
      app_name: 'tap-crm',
      stream_name: metric ? (typeof metric.tags.stream === 'string' ? metric.tags.stream : null) : streamOf(text),
      message: text,
    };
    if (metric) data.metric_info = redactedJson(metric, this.redact);
    data.extra = {};
    return JSON.stringify(data) + '\n';
  }

  private hold(line: string, level: Level): void {
    this.held += line;
    if (LEVELS.indexOf(level) >= LEVELS.indexOf('WARNING') || this.held.length >= 64 * 1024) {
      this.flush();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => {
        this.flush();
      }, HOLD_MS).unref();
    }
  }
}

/** What the modules below the command line log through: a Logger's lines and METRIC lines. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warning' | 'error' | 'critical' | 'metric' | 'redact' | 'isDebug'>;
