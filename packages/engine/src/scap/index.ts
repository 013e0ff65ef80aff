/** Falco/sysdig `.scap` captures: reader, libsinsp-like state, writer. Pure TypeScript, no I/O. */
export {
  scapEventCodes,
  scapEventSchema,
  type ScapEventSchema,
  type ScapParamSchema,
} from './event-schema.js';
export {
  BLOCK,
  PPM_AF,
  PPM_CL,
  PPM_O,
  SCAP_FD,
  SCAP_L4,
  ScapFormatError,
  type ScapErrorCode,
} from './format.js';
export {
  decodeParam,
  encodeParam,
  type ScapParamInput,
  type ScapSockaddr,
  type ScapSocktuple,
  type ScapValue,
} from './params.js';
export {
  isGzip,
  isScap,
  readScap,
  ScapReader,
  type ScapEventRecord,
  type ScapFd,
  type ScapGroup,
  type ScapInterface,
  type ScapMachineRecord,
  type ScapReaderOptions,
  type ScapRecord,
  type ScapThread,
  type ScapUser,
} from './read-scap.js';
export { ScapState, type ScapStateOptions, scapSyscallEvents } from './scap-state.js';
export { type ScapEventInput, type ScapThreadInput, ScapWriter } from './write-scap.js';
export { type SampleCaptureOptions, writeSampleCapture } from './sample-capture.js';
