'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { Dialog, DialogFooter } from '@/features/shell/dialog';
import { useTRPC } from '@/trpc/client';
import styles from './rules.module.css';
import { errorText, TimeAgo } from './rules-ui';
import { withBasePath } from '@/lib/base-path';

type Notice = {
  kind: 'success' | 'warning' | 'error';
  text: string;
  skipped?: { name: string; reason: string }[];
};

/** Reads a picked file as base64 (the upload travels in the tRPC call). */
function base64Of(file: File): Promise<string> {
  return file.arrayBuffer().then((buffer) => {
    const bytes = new Uint8Array(buffer);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  });
}

const YAML = /\.ya?ml$/i;
const MAX_ARCHIVE_BYTES = 10 * 1024 * 1024;

/**
 * Rules as code on the rule set page: the selected version as a Falco rules folder (.zip,
 * .tar.gz), an archive or a folder imported as a new version, and the rule set's Git remote
 * (admins set it; authors push a version and import the branch head).
 */
export function RulesAsCodePanel({
  ruleSetId,
  version,
  role,
  onVersionCreated,
}: {
  ruleSetId: string;
  version: { id: string; number: number } | null;
  role: string;
  onVersionCreated: (versionId: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canAuthor = role === 'author' || role === 'admin';
  const isAdmin = role === 'admin';
  const [notice, setNotice] = useState<Notice | null>(null);
  const [editing, setEditing] = useState(false);
  const archiveInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const remote = useQuery(trpc.rules.getGit.queryOptions({ ruleSetId }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.rules.pathKey() });

  const importFiles = useMutation(
    trpc.rules.importFiles.mutationOptions({
      onSuccess: async (out) => {
        setNotice({
          kind: out.version.status === 'valid' ? 'success' : 'warning',
          text: `Imported ${out.files.length} file${out.files.length === 1 ? '' : 's'} as version ${out.version.number}${out.version.status === 'valid' ? '.' : ' (a draft: it does not compile).'}`,
          skipped: out.skipped,
        });
        await refresh();
        onVersionCreated(out.version.id);
      },
      onError: (error) => setNotice({ kind: 'error', text: errorText(error) }),
    }),
  );
  const push = useMutation(
    trpc.rules.pushVersion.mutationOptions({
      onSuccess: async (out) => {
        setNotice({
          kind: 'success',
          text: out.unchanged
            ? `The branch already holds these files (${out.commit.slice(0, 7)}): nothing to commit.`
            : `Pushed v${out.remote.lastSync?.versionNumber ?? ''} to ${out.remote.branch} as ${out.commit.slice(0, 7)}.`,
        });
        await refresh();
      },
      onError: async (error) => {
        setNotice({ kind: 'error', text: errorText(error) });
        await refresh();
      },
    }),
  );
  const importBranch = useMutation(
    trpc.rules.importBranch.mutationOptions({
      onSuccess: async (out) => {
        setNotice({
          kind: out.version.status === 'valid' ? 'success' : 'warning',
          text: `Imported ${out.commit.slice(0, 7)} as version ${out.version.number}${out.version.status === 'valid' ? '.' : ' (a draft: it does not compile).'}`,
          skipped: out.skipped,
        });
        await refresh();
        onVersionCreated(out.version.id);
      },
      onError: async (error) => {
        setNotice({ kind: 'error', text: errorText(error) });
        await refresh();
      },
    }),
  );

  const uploadArchive = async (file: File) => {
    setNotice(null);
    if (file.size > MAX_ARCHIVE_BYTES) {
      setNotice({ kind: 'error', text: `${file.name} is larger than 10 MiB.` });
      return;
    }
    importFiles.mutate({
      ruleSetId,
      message: `Imported ${file.name}`,
      upload: { kind: 'archive', name: file.name, base64: await base64Of(file) },
    });
  };
  const uploadFolder = async (list: FileList) => {
    setNotice(null);
    const picked = [...list];
    const top = picked[0]?.webkitRelativePath.split('/')[0] || 'folder';
    // Only YAML is read; the other names travel so the answer can say what was left out.
    const files = await Promise.all(
      picked.map(async (f) => ({
        path: f.webkitRelativePath || f.name,
        content: YAML.test(f.name) && f.size <= 2_000_000 ? await f.text() : '',
      })),
    );
    importFiles.mutate({
      ruleSetId,
      message: `Imported folder ${top}`,
      upload: { kind: 'folder', name: top, files },
    });
  };

  const git = remote.data;
  const busy = importFiles.isPending || push.isPending || importBranch.isPending;
  const exportHref = (format: 'zip' | 'tar.gz') =>
    version ? withBasePath(`/api/rules/export?versionId=${version.id}&format=${format}`) : undefined;

  return (
    <section className="panel" aria-label="Rules as code" data-testid="rules-as-code">
      <div className={styles.sideHeader}>
        <h2>Rules as code</h2>
        <span className={styles.faint}>Falco rules folder</span>
      </div>
      <div className={styles.envRow}>
        <div className={styles.envLine}>
          <span className={styles.envName}>Export{version ? ` v${version.number}` : ''}</span>
          <span className={styles.grow} />
          <a className={`button ${styles.buttonSmall}`} href={exportHref('zip')} download>
            .zip
          </a>
          <a className={`button ${styles.buttonSmall}`} href={exportHref('tar.gz')} download>
            .tar.gz
          </a>
        </div>
        {canAuthor ? (
          <div className={styles.envLine}>
            <span className={styles.envName}>Import</span>
            <span className={styles.grow} />
            <button
              type="button"
              className={`button ${styles.buttonSmall}`}
              disabled={busy}
              onClick={() => archiveInput.current?.click()}
            >
              Archive…
            </button>
            <button
              type="button"
              className={`button ${styles.buttonSmall}`}
              disabled={busy}
              onClick={() => folderInput.current?.click()}
            >
              Folder…
            </button>
            <input
              ref={archiveInput}
              type="file"
              hidden
              accept=".zip,.tar.gz,.tgz,application/zip,application/gzip"
              aria-label="Import an archive"
              data-testid="import-archive"
              onChange={(e) => {
                const file = e.target.files?.[0];
                e.target.value = '';
                if (file) void uploadArchive(file);
              }}
            />
            <input
              ref={folderInput}
              type="file"
              hidden
              multiple
              aria-label="Import a folder"
              data-testid="import-folder"
              // The browser's directory picker (not in React's attribute types).
              {...{ webkitdirectory: '' }}
              onChange={(e) => {
                const list = e.target.files;
                if (list?.length) void uploadFolder(list);
                e.target.value = '';
              }}
            />
          </div>
        ) : null}
      </div>

      <div className={styles.envRow} data-testid="git-sync">
        <div className={styles.envLine}>
          <span className={styles.envName}>Git</span>
          <span className={styles.grow} />
          {isAdmin ? (
            <button type="button" className={`button ${styles.buttonSmall}`} onClick={() => setEditing(true)}>
              {git ? 'Settings…' : 'Connect…'}
            </button>
          ) : null}
        </div>
        {git ? (
          <>
            <span className={`${styles.mono} ${styles.small}`} title={git.url} data-testid="git-remote">
              {git.url} · {git.branch}
            </span>
            {git.lastSync ? (
              <span
                className={`${styles.small} ${git.lastSync.error ? styles.errorText : styles.faint}`}
                data-testid="git-last-sync"
              >
                {git.lastSync.error
                  ? `${git.lastSync.action === 'push' ? 'Push' : 'Import'} failed: ${git.lastSync.error}`
                  : git.lastSync.action === 'push'
                    ? `Pushed v${git.lastSync.versionNumber} as ${git.lastSync.commit?.slice(0, 7)}`
                    : `Imported ${git.lastSync.commit?.slice(0, 7)} as v${git.lastSync.versionNumber}`}{' '}
                · <TimeAgo iso={git.lastSync.at} />
              </span>
            ) : (
              <span className={`${styles.small} ${styles.faint}`}>Not synced yet</span>
            )}
            {canAuthor ? (
              <div className={styles.envActions}>
                <button
                  type="button"
                  className={`button button-primary ${styles.buttonSmall}`}
                  disabled={busy || !version}
                  onClick={() => {
                    setNotice(null);
                    if (version) push.mutate({ ruleSetId, versionId: version.id });
                  }}
                >
                  {push.isPending ? 'Pushing…' : `Push v${version?.number ?? ''}`}
                </button>
                <button
                  type="button"
                  className={`button ${styles.buttonSmall}`}
                  disabled={busy}
                  onClick={() => {
                    setNotice(null);
                    importBranch.mutate({ ruleSetId });
                  }}
                >
                  {importBranch.isPending ? 'Importing…' : `Import from ${git.branch}`}
                </button>
              </div>
            ) : null}
          </>
        ) : (
          <span className={`${styles.small} ${styles.faint}`}>
            {isAdmin ? 'Sync this rule set with a Git repository.' : 'Not synced with a Git repository.'}
          </span>
        )}
      </div>
      {importFiles.isPending ? <div className={styles.envRow}>Importing…</div> : null}
      {notice ? (
        <div
          className={`${styles.notice} ${styles.sideNotice} ${
            notice.kind === 'success'
              ? styles.noticeSuccess
              : notice.kind === 'warning'
                ? styles.noticeWarning
                : styles.noticeError
          }`}
          role={notice.kind === 'error' ? 'alert' : 'status'}
          data-testid="rules-as-code-notice"
        >
          {notice.text}
          {notice.skipped?.length ? (
            <ul className={styles.skipped}>
              {notice.skipped.slice(0, 8).map((s) => (
                <li key={s.name}>
                  <span className={styles.mono}>{s.name}</span> left out: {s.reason}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {editing ? (
        <GitSettingsDialog
          ruleSetId={ruleSetId}
          current={git ?? null}
          onClose={() => setEditing(false)}
          onSaved={async () => {
            setEditing(false);
            setNotice({ kind: 'success', text: 'Git settings saved.' });
            await refresh();
          }}
        />
      ) : null}
    </section>
  );
}

function GitSettingsDialog({
  ruleSetId,
  current,
  onClose,
  onSaved,
}: {
  ruleSetId: string;
  current: { url: string; branch: string; username: string; hasToken: boolean } | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const trpc = useTRPC();
  const [url, setUrl] = useState(current?.url ?? '');
  const [branch, setBranch] = useState(current?.branch ?? 'main');
  const [username, setUsername] = useState(current?.username ?? '');
  const [token, setToken] = useState('');
  const [removeToken, setRemoveToken] = useState(false);
  const save = useMutation(trpc.rules.saveGit.mutationOptions({ onSuccess: onSaved }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({
      ruleSetId,
      url: url.trim(),
      branch: branch.trim(),
      username: username.trim(),
      ...(token.trim() ? { token: token.trim() } : removeToken ? { token: null } : {}),
    });
  };
  return (
    <Dialog
      title="Git repository"
      subtitle="Push versions as commits to a branch, and import its head as a new version."
      onClose={onClose}
      testId="git-settings"
    >
      <form onSubmit={submit} className={styles.form}>
        <label className="field">
          <span className="field-label">Repository URL (HTTPS)</span>
          <input
            className="input"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://github.com/acme/falco-rules.git"
            required
          />
        </label>
        <label className="field">
          <span className="field-label">Branch</span>
          <input className="input" value={branch} onChange={(e) => setBranch(e.target.value)} required />
        </label>
        <label className="field">
          <span className="field-label">User name</span>
          <input
            className="input"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            placeholder="any name for a token (GitHub, GitLab)"
            autoComplete="off"
          />
        </label>
        <label className="field">
          <span className="field-label">
            Token {current?.hasToken ? '(stored; leave empty to keep it)' : ''}
          </span>
          <input
            className="input"
            type="password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder={current?.hasToken ? '••••••••' : 'a token that may read and write the repository'}
            autoComplete="new-password"
          />
        </label>
        {current?.hasToken ? (
          <label className={styles.checkLine}>
            <input type="checkbox" checked={removeToken} onChange={(e) => setRemoveToken(e.target.checked)} />
            Remove the stored token
          </label>
        ) : null}
        <span className={`${styles.small} ${styles.faint}`}>
          The token is stored encrypted and never shown again. Loopback and private addresses are refused
          unless the operator allows them (PEREGRINE_OUTBOUND_ALLOW).
        </span>
        {save.error ? (
          <div className="alert-banner" role="alert">
            {errorText(save.error)}
          </div>
        ) : null}
        <DialogFooter>
          <button type="button" className="button button-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
