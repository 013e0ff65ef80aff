/** Field registry and extractors of every event source (public API of src/fields). */
export type * from './types.js';
export type { BoundField, FieldSpec, SourceSpec } from './define.js';
export { defineSource } from './define.js';
export { FieldError, type FieldErrorCode, unknownFieldError } from './errors.js';
export { flatConverter, isIntegerType } from './flat.js';
export { createDefaultRegistry, createRegistry, type FieldRegistry, getSource } from './registry.js';
export { formatIp, parseIp, parseNet, textToBytes, toInteger } from './values.js';
export { numberedPluginEvent, type PluginEnvelope, rfc3339ToNs } from '../sources/plugin/common.js';
export { createAwsCloudtrailSource } from '../sources/aws-cloudtrail/source.js';
export { createGcpAuditlogSource } from '../sources/gcp-auditlog/source.js';
export { createGithubSource } from '../sources/github/source.js';
export { createJsonSource } from '../sources/json/source.js';
export { createK8sAuditSource } from '../sources/k8s-audit/source.js';
export { createOktaSource } from '../sources/okta/source.js';
export { createSyscallSource } from '../sources/syscall/source.js';
export {
  ALL_EVENT_CODES,
  EVENTS,
  type EventInfo,
  eventTypeCodes,
  eventTypeName,
  isKnownEventType,
  isKnownParam,
  paramNamesOf,
} from '../sources/syscall/event-types.js';
