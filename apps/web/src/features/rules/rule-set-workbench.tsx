'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import type { RuleMarker } from '@/features/editor/analyze-rules';
import { BacktestLauncher } from '@/features/backtests/backtest-launcher';
import { LazyRulesEditor } from '@/features/editor/rules-editor-lazy';
import { defaultSampleSource } from '@/features/editor/run-sample-events';
import { useRulesAnalysis } from '@/features/editor/use-rules-analysis';
import { PageHeader } from '@/features/shell/page-header';
import { useTRPC } from '@/trpc/client';
import styles from './rules.module.css';
import { RulesAsCodePanel } from './rules-as-code-panel';
import { DefaultRulesUpdate } from './default-rules-update';
import { EnvVersion, errorText, StatusBadge, TimeAgo } from './rules-ui';
import { TestPanel } from './test-panel';

type Files = { name: string; content: string }[];

/** What the server accepts as a rules file name. */
// `tests/name.yaml` files hold rule tests (run on every change, never loaded as rules).
const FILE_NAME = /^(tests\/)?[\w.-]+\.ya?ml$/;
const TEST_FILE_TEMPLATE = `# Rule tests: each case is an event and the rules that must fire on it ([] for none).
# - test: cat reading /etc/shadow is caught
#   source: syscall
#   event: {evt.type: openat, fd.name: /etc/shadow, proc.name: cat}
#   expect:
#     - rule: Read sensitive file untrusted
#       output_contains: /etc/shadow
`;

/**
 * The rule authoring screen: Monaco on the selected version's files with live engine markers,
 * a problems list and a test panel, version history, and what each environment runs.
 */
export function RuleSetWorkbench({
  ruleSetId,
  role,
  promoteEnvironmentIds,
}: {
  ruleSetId: string;
  role: string;
  /** Environments the caller activates, promotes into and rolls back (admin or promoter there). */
  promoteEnvironmentIds: string[];
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const queryClient = useQueryClient();
  const canAuthor = role === 'author' || role === 'admin';
  const canPromoteInto = (environmentId: string) => promoteEnvironmentIds.includes(environmentId);
  const canPromoteAnywhere = promoteEnvironmentIds.length > 0;

  const detail = useQuery(trpc.rules.getRuleSet.queryOptions({ ruleSetId }));
  const versions = detail.data?.versions ?? [];
  const selectedId = params.get('version') ?? versions[0]?.id ?? null;
  // `?file=tests/alerts.yaml` opens that file (a rule test or exception just saved from an alert).
  const requestedFile = params.get('file');
  const version = useQuery({
    ...trpc.rules.getVersion.queryOptions({ versionId: selectedId ?? '' }),
    enabled: Boolean(selectedId),
  });

  const [draft, setDraft] = useState<{ versionId: string; files: Files } | null>(null);
  const [activeFile, setActiveFile] = useState<string>('');
  const [message, setMessage] = useState('');
  const [bottom, setBottom] = useState<'problems' | 'test'>('problems');
  const [reveal, setReveal] = useState<{ file: string; line: number; column: number; nonce: number } | null>(
    null,
  );
  const [newFile, setNewFile] = useState<string | null>(null);
  const [cursor, setCursor] = useState<{ file: string; line: number } | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'warning'; text: string } | null>(null);

  // A newly selected version replaces the draft (unsaved edits belong to the version they started from).
  useEffect(() => {
    if (version.data && draft?.versionId !== version.data.id) {
      setDraft({ versionId: version.data.id, files: version.data.files });
      const requested = version.data.files.find((f) => f.name === requestedFile);
      setActiveFile(requested?.name ?? version.data.files[0]?.name ?? '');
    }
  }, [version.data, draft?.versionId, requestedFile]);

  const files = useMemo(() => draft?.files ?? [], [draft]);
  const { analysis, pending } = useRulesAnalysis(files);
  const dirty = Boolean(
    version.data && draft && JSON.stringify(version.data.files) !== JSON.stringify(draft.files),
  );

  const save = useMutation(
    trpc.rules.createVersion.mutationOptions({
      onSuccess: async (saved) => {
        setMessage('');
        setNotice(
          saved.status === 'valid'
            ? { kind: 'success', text: `Saved version ${saved.number}. It compiles and can be activated.` }
            : {
                kind: 'warning',
                text: `Saved version ${saved.number} as a draft: it does not compile, so it cannot be activated.`,
              },
        );
        await queryClient.invalidateQueries({ queryKey: trpc.rules.pathKey() });
        setDraft({ versionId: saved.id, files });
        router.replace(`${pathname}?version=${saved.id}`, { scroll: false });
      },
    }),
  );

  const selectVersion = (id: string) => {
    if (dirty && !window.confirm('Discard unsaved changes to this draft?')) return;
    setNotice(null);
    router.replace(`${pathname}?version=${id}`, { scroll: false });
  };

  if (detail.isPending) return <div className={styles.emptyLine}>Loading rule set…</div>;
  if (detail.error)
    return (
      <div className="alert-banner" role="alert">
        {errorText(detail.error)}
      </div>
    );

  const { ruleSet, environments } = detail.data;
  const current = version.data;
  const markers = analysis?.markers ?? [];
  const errors = analysis?.errorCount ?? 0;
  const warnings = analysis?.warningCount ?? 0;
  const countFor = (file: string) => markers.filter((m) => m.file === file && m.severity === 'error').length;
  const activeContent = files.find((f) => f.name === activeFile)?.content ?? '';
  const defaultSource = defaultSampleSource(
    activeContent,
    cursor?.file === activeFile ? cursor.line : null,
    analysis?.rules ?? [],
  );
  const stagingEnv = environments[0];

  return (
    <>
      <PageHeader
        title={ruleSet.name}
        description={ruleSet.description || 'Falco rules files, versioned.'}
        actions={
          <div className={styles.toolbar}>
            <Link href="/rules" className="button button-ghost">
              All rule sets
            </Link>
            {canAuthor ? (
              <form
                className={styles.toolbar}
                onSubmit={(e) => {
                  e.preventDefault();
                  save.mutate({ ruleSetId, files, message: message.trim() || 'Edited rules' });
                }}
              >
                <input
                  className={`input ${styles.messageInput}`}
                  placeholder="Describe the change"
                  aria-label="Version message"
                  value={message}
                  onChange={(e) => setMessage(e.target.value)}
                  maxLength={500}
                />
                <button type="submit" className="button button-primary" disabled={!dirty || save.isPending}>
                  {save.isPending ? 'Saving…' : errors > 0 ? 'Save as draft' : 'Save version'}
                </button>
              </form>
            ) : null}
          </div>
        }
      />
      {/* Shown on the default rule set only, when this release ships newer default rules. */}
      <DefaultRulesUpdate
        ruleSetId={ruleSetId}
        canAuthor={canAuthor}
        onSaved={(saved) => {
          setNotice({
            kind: saved.status === 'valid' ? 'success' : 'warning',
            text:
              saved.status === 'valid'
                ? `Saved version ${saved.number} with Peregrine's current default rules. It runs nowhere yet: activate or promote it per environment.`
                : `Saved version ${saved.number} as a draft: with Peregrine's current default rules it does not compile, so it cannot be activated.`,
          });
          router.replace(`${pathname}?version=${saved.id}`, { scroll: false });
        }}
      />
      {save.error ? (
        <div className="alert-banner" role="alert">
          {errorText(save.error)}
        </div>
      ) : null}
      {notice ? (
        <div
          className={`${styles.notice} ${notice.kind === 'success' ? styles.noticeSuccess : styles.noticeWarning}`}
          role="status"
        >
          {notice.text}
        </div>
      ) : null}
      <div className={styles.workbench}>
        <div className={styles.side} style={{ gap: 12 }}>
          <section className={`panel ${styles.editorPanel}`}>
            <div className={styles.tabs} role="tablist" aria-label="Rules files">
              {files.map((f) => (
                <button
                  key={f.name}
                  type="button"
                  role="tab"
                  className={styles.tab}
                  aria-selected={f.name === activeFile}
                  onClick={() => setActiveFile(f.name)}
                >
                  <span className={styles.mono}>{f.name}</span>
                  {countFor(f.name) > 0 ? (
                    <span className={`${styles.tabCount} ${styles.error}`}>{countFor(f.name)}</span>
                  ) : null}
                </button>
              ))}
              {canAuthor && files.length > 1 ? (
                <button
                  type="button"
                  className={styles.tab}
                  title={`Remove ${activeFile} from the draft`}
                  onClick={() => {
                    if (!window.confirm(`Remove ${activeFile} from this draft?`)) return;
                    const rest = files.filter((f) => f.name !== activeFile);
                    setDraft((d) => (d ? { ...d, files: rest } : d));
                    setActiveFile(rest[0]?.name ?? '');
                  }}
                >
                  Remove file
                </button>
              ) : null}
              {canAuthor ? (
                newFile === null ? (
                  <button type="button" className={styles.tab} onClick={() => setNewFile('')}>
                    + File
                  </button>
                ) : (
                  <form
                    className={styles.tabStatus}
                    onSubmit={(e) => {
                      e.preventDefault();
                      const name = newFile.trim();
                      if (!FILE_NAME.test(name) || files.some((f) => f.name === name)) return;
                      const content = name.startsWith('tests/') ? TEST_FILE_TEMPLATE : '';
                      setDraft((d) => (d ? { ...d, files: [...d.files, { name, content }] } : d));
                      setActiveFile(name);
                      setNewFile(null);
                    }}
                  >
                    <input
                      className="input"
                      style={{ height: 26, width: 170 }}
                      placeholder="extra_rules.yaml"
                      aria-label="New file name"
                      value={newFile}
                      onChange={(e) => setNewFile(e.target.value)}
                      onKeyDown={(e) => {
                        if (e.key === 'Escape') setNewFile(null);
                      }}
                      // biome-ignore lint/a11y/noAutofocus: the field appears because the user asked to name a file
                      autoFocus
                    />
                    {newFile &&
                    (!FILE_NAME.test(newFile.trim()) || files.some((f) => f.name === newFile.trim())) ? (
                      <span className="field-error">Unique name ending in .yaml (tests/… for tests)</span>
                    ) : null}
                  </form>
                )
              ) : null}
              <span className={`${styles.tab} ${styles.tabSpacer}`} aria-hidden="true" />
              <div className={styles.tabStatus} data-testid="editor-status">
                {current ? (
                  <>
                    <span className={styles.mono}>v{current.number}</span>
                    <StatusBadge status={current.status} />
                    {dirty ? <span className={`${styles.badge} ${styles.accent}`}>Edited</span> : null}
                  </>
                ) : null}
                <span aria-live="polite">
                  {pending
                    ? 'Checking…'
                    : errors > 0
                      ? `${errors} error${errors === 1 ? '' : 's'}`
                      : warnings > 0
                        ? `Compiles · ${warnings} warning${warnings === 1 ? '' : 's'}`
                        : 'Compiles'}
                </span>
                {!pending && analysis?.tests && analysis.tests.total > 0 ? (
                  <span
                    data-testid="editor-tests"
                    className={`${styles.badge} ${analysis.tests.passed === analysis.tests.total ? '' : styles.accent}`}
                  >
                    Tests {analysis.tests.passed}/{analysis.tests.total} pass
                  </span>
                ) : null}
              </div>
            </div>
            <div className={styles.editorBody} data-testid="rules-editor">
              {draft ? (
                <LazyRulesEditor
                  draftKey={`${ruleSetId}/${draft.versionId}`}
                  files={files}
                  activeFile={activeFile}
                  analysis={analysis}
                  readOnly={!canAuthor}
                  reveal={reveal}
                  onCursorLine={(file, line) => setCursor({ file, line })}
                  onChange={(name, content) =>
                    setDraft((d) =>
                      d ? { ...d, files: d.files.map((f) => (f.name === name ? { ...f, content } : f)) } : d,
                    )
                  }
                />
              ) : (
                <div className={styles.emptyLine}>Loading version…</div>
              )}
            </div>
          </section>
          <section className={`panel ${styles.bottomPanel}`}>
            <div className={styles.tabs} role="tablist" aria-label="Draft tools">
              <button
                type="button"
                role="tab"
                className={styles.tab}
                aria-selected={bottom === 'problems'}
                onClick={() => setBottom('problems')}
              >
                Problems
                <span
                  className={`${styles.tabCount} ${errors ? styles.error : warnings ? styles.draft : styles.neutral}`}
                >
                  {errors + warnings}
                </span>
              </button>
              <button
                type="button"
                role="tab"
                className={styles.tab}
                aria-selected={bottom === 'test'}
                onClick={() => setBottom('test')}
              >
                Test events
              </button>
              <span className={`${styles.tab} ${styles.tabSpacer}`} aria-hidden="true" />
            </div>
            <div className={styles.scroll} style={{ minHeight: 0 }}>
              {bottom === 'problems' ? (
                <ProblemList
                  markers={markers}
                  onPick={(m) => {
                    setActiveFile(m.file);
                    setReveal({
                      file: m.file,
                      line: m.startLineNumber,
                      column: m.startColumn,
                      nonce: Date.now(),
                    });
                  }}
                />
              ) : (
                <TestPanel files={files} defaultSource={defaultSource} />
              )}
            </div>
          </section>
        </div>

        <aside className={styles.side}>
          <section className="panel" aria-label="Environments">
            <div className={styles.sideHeader}>
              <h2>Environments</h2>
              <span className={styles.faint}>Collectors poll for changes</span>
            </div>
            {environments.map((env, index) => {
              const next = environments[index + 1];
              const canActivateSelected =
                canPromoteInto(env.environmentId) &&
                current?.status === 'valid' &&
                env.active?.versionId !== current.id;
              const canPromoteNext =
                next &&
                env.active &&
                next.active?.versionId !== env.active.versionId &&
                canPromoteInto(next.environmentId);
              return (
                <div
                  className={styles.envRow}
                  key={env.environmentId}
                  data-testid={`env-${env.environmentName}`}
                >
                  <div className={styles.envLine}>
                    <EnvVersion env={env.environmentName} number={env.active?.number ?? null} />
                    <span className={styles.envName}>{env.environmentDisplayName}</span>
                    <span className={styles.grow} />
                    {env.active ? (
                      <span className={styles.faint}>
                        {env.active.action} <TimeAgo iso={env.active.activatedAt} />
                      </span>
                    ) : (
                      <span className={styles.faint}>nothing active</span>
                    )}
                  </div>
                  {canActivateSelected || canPromoteNext ? (
                    <div className={styles.envActions}>
                      {canActivateSelected && current ? (
                        <Link
                          className={`button ${styles.buttonSmall}`}
                          href={`/rules/${ruleSetId}/review?action=activate&version=${current.id}&to=${env.environmentId}`}
                        >
                          Activate v{current.number}…
                        </Link>
                      ) : null}
                      {canPromoteNext && next && env.active ? (
                        <Link
                          className={`button button-primary ${styles.buttonSmall}`}
                          href={`/rules/${ruleSetId}/review?action=promote&version=${env.active.versionId}&from=${env.environmentId}&to=${next.environmentId}`}
                        >
                          Promote v{env.active.number} to {next.environmentDisplayName}…
                        </Link>
                      ) : null}
                    </div>
                  ) : null}
                </div>
              );
            })}
            {!canPromoteAnywhere && stagingEnv ? (
              <div className={styles.envRow}>
                <span className={styles.faint}>
                  Only admins and an environment's promoters activate, promote and roll back.
                </span>
              </div>
            ) : null}
          </section>

          <RulesAsCodePanel
            ruleSetId={ruleSetId}
            version={current ? { id: current.id, number: current.number } : null}
            role={role}
            onVersionCreated={(id) => {
              setNotice(null);
              router.replace(`${pathname}?version=${id}`, { scroll: false });
            }}
          />
          {current ? (
            <BacktestLauncher
              key={current.id}
              version={{ id: current.id, number: current.number, status: current.status }}
              environments={environments}
              canRun={canAuthor}
              dirty={dirty}
            />
          ) : null}

          <section className="panel" aria-label="Versions">
            <div className={styles.sideHeader}>
              <h2>Versions</h2>
              <span className={styles.faint}>{versions.length} saved</span>
            </div>
            <ol className={styles.versions} data-testid="version-list">
              {versions.map((v) => {
                const activeIn = environments.filter((e) => e.active?.versionId === v.id);
                const rollbackTargets = environments.filter(
                  (e) =>
                    canPromoteInto(e.environmentId) &&
                    v.status === 'valid' &&
                    e.active &&
                    e.active.number > v.number,
                );
                return (
                  <li key={v.id}>
                    <div className={styles.version} aria-current={v.id === selectedId}>
                      <button
                        type="button"
                        className={styles.versionButton}
                        onClick={() => selectVersion(v.id)}
                      >
                        <span className={styles.versionTop}>
                          <span className={styles.versionNumber}>v{v.number}</span>
                          <StatusBadge status={v.status} />
                          {v.errorCount > 0 ? (
                            <span className={styles.faint}>
                              {v.errorCount} error{v.errorCount === 1 ? '' : 's'}
                            </span>
                          ) : null}
                          <span className={styles.versionEnvs}>
                            {activeIn.map((e) => (
                              <span key={e.environmentId} className={`${styles.badge} ${styles.neutral}`}>
                                <span className="env-dot" data-env={e.environmentName} aria-hidden="true" />
                                {e.environmentDisplayName}
                              </span>
                            ))}
                          </span>
                        </span>
                        <span className={styles.versionMessage} title={v.message}>
                          {v.message || 'No message'}
                        </span>
                        <span className={styles.faint}>
                          {v.author?.name ?? 'System'}
                          {v.author?.kind === 'api_key' ? ' (API key)' : ''} · <TimeAgo iso={v.createdAt} />
                          {v.gitCommit ? (
                            <>
                              {' · '}
                              <span
                                className={styles.gitCommit}
                                title={`Imported from Git commit ${v.gitCommit}`}
                              >
                                git {v.gitCommit.slice(0, 7)}
                              </span>
                            </>
                          ) : null}
                        </span>
                      </button>
                      {rollbackTargets.length > 0 ? (
                        <div className={styles.envActions}>
                          {rollbackTargets.map((e) => (
                            <Link
                              key={e.environmentId}
                              className={`button ${styles.buttonSmall}`}
                              href={`/rules/${ruleSetId}/review?action=rollback&version=${v.id}&to=${e.environmentId}`}
                            >
                              Roll back {e.environmentDisplayName} to v{v.number}…
                            </Link>
                          ))}
                        </div>
                      ) : null}
                    </div>
                  </li>
                );
              })}
            </ol>
          </section>
        </aside>
      </div>
    </>
  );
}

function ProblemList({ markers, onPick }: { markers: RuleMarker[]; onPick: (m: RuleMarker) => void }) {
  if (markers.length === 0)
    return <div className={styles.emptyLine}>No problems: the draft compiles cleanly.</div>;
  return (
    <ul className={styles.problems} data-testid="problems">
      {markers.map((m) => (
        <li key={`${m.file}:${m.startLineNumber}:${m.startColumn}:${m.code}:${m.message}`}>
          <button type="button" className={styles.problem} onClick={() => onPick(m)}>
            <span className={styles.problemIcon} data-severity={m.severity} title={m.severity}>
              <span className="visually-hidden">{m.severity}</span>
            </span>
            <span className={styles.problemMessage}>
              {m.message} <span className={styles.faint}>· {m.item}</span>
            </span>
            <span className={styles.problemWhere}>
              {m.file}:{m.startLineNumber}:{m.startColumn}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
