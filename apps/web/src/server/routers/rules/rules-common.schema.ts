import { z } from 'zod';
import { EXCEPTION_COMPS } from '@peregrine/engine';

/** Dates leave the server as ISO-8601 strings (the tRPC link has no transformer). */
export const isoDate = z.date().transform((d) => d.toISOString());
export const versionStatus = z.enum(['valid', 'draft']);
export const activationAction = z.enum(['activate', 'promote', 'rollback']);
/** Who saved, activated or overrode something: a member, or an API key (automation such as CI). */
export const person = z
  .object({ kind: z.enum(['user', 'api_key']), id: z.string(), name: z.string() })
  .nullable();
export const uuid = z.uuid();

/** A diagnostic as versions store it: the start of its range plus Falco's code and item. */
export const storedDiagnostic = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  itemType: z.string(),
  itemName: z.string(),
});

/** Rules files as the editor sends them: unique names, YAML text (bounded so one save stays cheap). */
export const rulesFiles = z
  .array(
    z.object({
      name: z
        .string()
        .trim()
        .min(1, 'Name the file')
        .max(200)
        // `tests/x.yaml` holds rule tests (engine: splitVersionFiles), never loaded as rules.
        .regex(
          /^(tests\/)?[\w.-]+\.ya?ml$/,
          'Use a .yaml file name of letters, digits, dot, dash or underscore (tests/name.yaml for rule tests)',
        ),
      content: z.string().max(2_000_000, 'A rules file is limited to 2 MB'),
    }),
  )
  .min(1, 'A version needs at least one rules file')
  .max(50)
  .refine(
    (files) => files.some((f) => !f.name.startsWith('tests/')),
    'A version needs at least one rules file',
  )
  .refine((files) => new Set(files.map((f) => f.name)).size === files.length, 'File names must be unique');

export const comment = z.string().trim().max(500).default('');

/** An admin's reason to activate or promote a version whose rule tests fail (audited). */
export const overrideFailingTests = z
  .string()
  .trim()
  .min(8, 'Say why the failing tests may be ignored')
  .max(500)
  .optional();

export const activationOutput = z.object({
  activationId: z.string(),
  environmentId: z.string(),
  versionId: z.string(),
  number: z.number().int(),
  action: activationAction,
  createdAt: isoDate,
});

/** An exception proposed from an alert: Falco's name, and one comparison per picked field. */
export const exceptionDraft = {
  name: z
    .string()
    .trim()
    .min(1, 'Name the exception')
    .max(100)
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Use letters, digits and _ (Falco exception names have no spaces)'),
  items: z
    .array(
      z.object({
        field: z.string().trim().min(1).max(200),
        comp: z.enum(EXCEPTION_COMPS),
        value: z.union([z.string().max(1000), z.array(z.string().max(1000)).min(1).max(100)]),
      }),
    )
    .min(1, 'Pick at least one field')
    .max(20),
};
