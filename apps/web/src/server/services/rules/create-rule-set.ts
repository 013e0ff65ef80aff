import 'server-only';
import { withDbErrors } from '../../errors/error-mapping';
import { createRuleSet as createRuleSetRow } from '@peregrine/db';
import { db } from '../../db';
import { createRuleSetVersion, type SavedVersion } from './create-rule-set-version';
import { actorOf, type RulesCaller } from './rules-shared';

/** The first file of a new rule set: one small, working rule to edit from. */
export const STARTER_RULES = `# Falco rules: lists, macros and rules load in order.
- list: interactive_shells
  items: [bash, sh, zsh, dash]

- macro: spawned_process
  condition: evt.type in (execve, execveat)

- rule: Interactive shell in container
  desc: A shell started inside a container; containers rarely need one.
  condition: spawned_process and container.id != host and proc.name in (interactive_shells)
  output: Shell in container (user=%user.name command=%proc.cmdline container=%container.name)
  priority: WARNING
  tags: [container, shell, mitre_execution]
`;

/** Creates a rule set and its first version (the starter rules unless files are given). */
export async function createRuleSet(
  caller: RulesCaller,
  input: { name: string; description: string; files?: { name: string; content: string }[] },
): Promise<{ ruleSet: { id: string; name: string; description: string }; version: SavedVersion }> {
  const set = await withDbErrors(() =>
    createRuleSetRow(
      db(),
      { organizationId: caller.organizationId, name: input.name, description: input.description },
      actorOf(caller),
    ),
  );
  const version = await createRuleSetVersion(caller, {
    ruleSetId: set.id,
    files: input.files?.length ? input.files : [{ name: 'rules.yaml', content: STARTER_RULES }],
    message: 'Created rule set',
  });
  return { ruleSet: { id: set.id, name: set.name, description: set.description }, version };
}
