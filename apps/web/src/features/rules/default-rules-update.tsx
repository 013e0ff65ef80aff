'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { RouterOutputs } from '@/features/members/router-types';
import { useTRPC } from '@/trpc/client';
import styles from './rules.module.css';
import { errorText } from './rules-ui';

type Update = NonNullable<RouterOutputs['rules']['getDefaultsUpdate']>;
type FileUpdate = Update['files'][number];

/** Where a dismissal is kept: per browser, per rule set, until the shipped defaults change again. */
const dismissKey = (ruleSetId: string) => `peregrine.defaultRulesUpdate.dismissed.${ruleSetId}`;

/** At most this many item names per kind of change; the rest are counted (all of them in the title). */
const SHOWN = 4;

function Items({ verb, labels }: { verb: string; labels: readonly string[] }) {
  const shown = labels.slice(0, SHOWN).map((l) => l.replace(/^(rule|macro|list): /, ''));
  const more = labels.length - shown.length;
  return (
    <span title={labels.join('\n')}>
      {labels.length} {verb}: {shown.join(', ')}
      {more > 0 ? `, and ${more} more` : ''}
    </span>
  );
}

function FileLine({ file }: { file: FileUpdate }) {
  const parts = (
    [
      ['added', file.added],
      ['changed', file.changed],
      ['dropped', file.removed],
    ] as const
  ).filter(([, labels]) => labels.length > 0);
  return (
    <li data-testid="default-rules-update-file" data-file={file.name}>
      <span className={styles.mono}>{file.name}</span> ({file.change === 'added' ? 'new file' : 'changed'})
      {parts.map(([verb, labels], i) => (
        <span key={verb}>
          {i === 0 ? ': ' : '; '}
          <Items verb={verb} labels={labels} />
        </span>
      ))}
    </li>
  );
}

/**
 * On the default rule set: what this release of Peregrine ships that the rule set's latest
 * version does not hold, and (authors) a button saving it as the next version, which activates
 * nowhere. Organisations keep the default rules they were created with until someone takes them.
 */
export function DefaultRulesUpdate({
  ruleSetId,
  canAuthor,
  onSaved,
}: {
  ruleSetId: string;
  canAuthor: boolean;
  onSaved: (saved: { id: string; number: number; status: 'valid' | 'draft' }) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useQuery(trpc.rules.getDefaultsUpdate.queryOptions({ ruleSetId }));
  const [dismissed, setDismissed] = useState<string | null>(null);
  useEffect(() => setDismissed(window.localStorage.getItem(dismissKey(ruleSetId))), [ruleSetId]);
  const take = useMutation(
    trpc.rules.takeDefaultsUpdate.mutationOptions({
      onSuccess: async (saved) => {
        await queryClient.invalidateQueries({ queryKey: trpc.rules.pathKey() });
        onSaved(saved);
      },
    }),
  );
  const data = update.data;
  if (!data || dismissed === data.release) return null;
  const next = data.basedOn.number + 1;
  return (
    <section
      className={`${styles.notice} ${styles.noticeWarning}`}
      data-testid="default-rules-update"
      aria-label="New default rules"
    >
      <strong>This release of Peregrine ships newer default rules.</strong> Version {data.basedOn.number} of
      this rule set holds Peregrine&apos;s files as an earlier release shipped them, or as someone edited
      them:
      <ul className={styles.defaultsUpdateFiles}>
        {data.files.map((file) => (
          <FileLine key={file.name} file={file} />
        ))}
      </ul>
      <div className="field-hint">
        Taking them saves version {next} with Peregrine&apos;s files in place of this rule set&apos;s copies
        (its other files stay; edits made to Peregrine&apos;s files are replaced). It runs nowhere until it is
        activated or promoted, and the promotion review shows each file against what the environment runs.
      </div>
      {take.error ? (
        <div className="alert-banner" role="alert">
          {errorText(take.error)}
        </div>
      ) : null}
      <div className={styles.toolbar} style={{ marginTop: 8 }}>
        {canAuthor ? (
          <button
            type="button"
            className="button button-primary"
            disabled={take.isPending}
            onClick={() => take.mutate({ ruleSetId, basedOnVersionId: data.basedOn.versionId })}
            data-testid="take-default-rules-update"
          >
            {take.isPending ? 'Saving…' : `Save as version ${next}`}
          </button>
        ) : null}
        <button
          type="button"
          className="button button-ghost"
          onClick={() => {
            window.localStorage.setItem(dismissKey(ruleSetId), data.release);
            setDismissed(data.release);
          }}
        >
          Not now
        </button>
      </div>
    </section>
  );
}
