import type { Extracted, FieldDef, SourceDef } from '../fields/types.js';
import { compileOutput, type OutputPart, renderOutput } from '../output/format.js';

/**
 * Notification templates: Falco output syntax (`%field`, `%Nfield`, `%(field)`) over a stored
 * alert instead of an event. The alert's own properties are fields (`%rule`, `%priority`,
 * `%output`, `%message`, `%hostname`, `%source`, `%time`, `%tags`, `%environment`, `%count`,
 * `%link`); any other name is an output field of the alert (`%proc.cmdline`, `%k8s.ns.name`,
 * `%proc.aname[2]`); a missing value prints as `<NA>`, as Falco prints it.
 */
export interface TemplateContext {
  rule: string;
  priority: string;
  output: string;
  /** The output without its time prefix. */
  message: string;
  hostname: string | null;
  source: string;
  /** ISO-8601 event time. */
  time: string;
  tags: readonly string[];
  environment: string;
  /** Alerts of the group in the notification's window. */
  count: number;
  /** The alert in the console. */
  link: string;
  outputFields: Record<string, unknown>;
}

const OWN: Record<string, (c: TemplateContext) => Extracted> = {
  rule: (c) => c.rule,
  priority: (c) => c.priority,
  output: (c) => c.output,
  message: (c) => c.message,
  hostname: (c) => c.hostname ?? undefined,
  source: (c) => c.source,
  time: (c) => c.time,
  tags: (c) => c.tags.join(','),
  environment: (c) => c.environment,
  count: (c) => c.count,
  link: (c) => c.link,
};

function fieldValue(value: unknown): Extracted {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const def = (name: string): FieldDef => ({
  name,
  type: 'CHARBUF',
  isList: false,
  description: OWN[name] ? 'alert property' : 'output field of the alert',
  arg: { kind: 'key', required: false },
});

/** The template "source": every dotted word is a field; its extractor reads a TemplateContext. */
const ALERT_SOURCE: SourceDef = {
  name: 'notification',
  fields: Object.keys(OWN).map(def),
  field: (name) => def(name),
  bind(name, arg) {
    const own = arg === undefined ? OWN[name] : undefined;
    const key = arg === undefined ? name : `${name}[${arg}]`;
    return {
      def: def(name),
      mode: 'scalar',
      extract: (event) => {
        const c = event as TemplateContext;
        if (own) return own(c);
        return fieldValue(c.outputFields[key]);
      },
    };
  },
};

/** A compiled template (compile once per channel, render per notification). */
export interface NotificationTemplate {
  readonly text: string;
  render(context: TemplateContext): string;
}

/** Compiles a template; throws OutputFormatError (with an offset) for bad `%` syntax. */
export function compileTemplate(text: string): NotificationTemplate {
  const parts: OutputPart[] = compileOutput(text, ALERT_SOURCE);
  return { text, render: (context) => renderOutput(parts, context) };
}

/** Why a template does not compile, or undefined when it does (for form validation). */
export function templateProblem(text: string): string | undefined {
  try {
    compileOutput(text, ALERT_SOURCE);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The default title line of a notification (every channel kind). */
export const DEFAULT_TITLE_TEMPLATE = '[%priority] %rule';
/** The default body: the message, where it happened and how often. */
export const DEFAULT_TEXT_TEMPLATE = '%message (host %hostname, environment %environment, %count alert(s))';
