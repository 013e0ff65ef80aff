/**
 * The hash of the built engine's JavaScript, written into `dist/rules/build-id.js` by the build
 * (scripts/stamp-build-id.mjs): the code fingerprint of the compile cache. Undefined when the
 * engine runs from its sources (tests, benches), whose callers name their own fingerprint.
 */
export const ENGINE_BUILD_ID: string | undefined = undefined;
