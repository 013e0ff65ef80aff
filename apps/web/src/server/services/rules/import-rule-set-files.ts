import 'server-only';
import { createRuleSetVersion, type SavedVersion } from './create-rule-set-version';
import { AppError } from '../../errors/app-error';
import type { RulesCaller } from './rules-shared';
import { ARCHIVE_LIMITS, readRulesArchive, rulesFromEntries, type UnpackedRules } from './rules-archive';

/** An upload: one `.zip`/`.tar.gz` archive, or the files of a folder the browser picked. */
export type RulesUpload =
  | { kind: 'archive'; name: string; base64: string }
  | { kind: 'folder'; name: string; files: { path: string; content: string }[] };

export interface ImportedVersion {
  version: SavedVersion;
  files: string[];
  skipped: UnpackedRules['skipped'];
}

/**
 * Makes a new version of the rule set from uploaded rules files. Names are checked (no
 * traversal, links or absolute paths; only `.yaml`/`.yml` at the top and in `tests/`), then the
 * engine judges the files as for any save: files that do not compile become a draft.
 */
export async function importRuleSetFiles(
  caller: RulesCaller,
  input: { ruleSetId: string; message: string; upload: RulesUpload },
): Promise<ImportedVersion> {
  const { upload } = input;
  let unpacked: UnpackedRules;
  if (upload.kind === 'archive') {
    const bytes = Buffer.from(upload.base64, 'base64');
    if (bytes.length === 0) throw new AppError('INVALID_INPUT', `${upload.name} is empty.`);
    unpacked = readRulesArchive(bytes, upload.name);
  } else {
    const encoder = new TextEncoder();
    let total = 0;
    unpacked = rulesFromEntries(
      upload.files.map((f) => {
        total += f.content.length;
        if (total > ARCHIVE_LIMITS.unpackedBytes)
          throw new AppError('INVALID_INPUT', 'The folder is too large to import.');
        return { name: f.path, kind: 'file' as const, data: encoder.encode(f.content) };
      }),
    );
  }
  const version = await createRuleSetVersion(caller, {
    ruleSetId: input.ruleSetId,
    files: unpacked.files,
    message: input.message,
    imported: { from: upload.kind, name: upload.name },
  });
  return { version, files: unpacked.files.map((f) => f.name), skipped: unpacked.skipped };
}
