/** Semantic versions as Falco's `sinsp_version` reads them (`x.y.z`, numbers only). */
export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

/**
 * The engine version Peregrine reports to `required_engine_version`: Falco 0.44's (spec §0.2),
 * whose language it implements (string-operator modifiers, multi-value transformers,
 * LOAD_UNKNOWN_KEY).
 */
export const ENGINE_VERSION: Semver = { major: 0, minor: 62, patch: 0 };

export function parseSemver(text: string): Semver | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const v = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
  if (![v.major, v.minor, v.patch].every(Number.isSafeInteger)) return undefined;
  return v;
}

export function formatSemver(v: Semver): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function compareSemver(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Falco's compatibility rule: same major and `have >= required`. */
export function isCompatible(have: Semver, required: Semver): boolean {
  return have.major === required.major && compareSemver(have, required) >= 0;
}
