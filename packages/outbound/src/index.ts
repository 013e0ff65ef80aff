/** The outbound policy of tenant-configured requests, shared by the collector and the console. */
export {
  createOutboundPolicy,
  embeddedIpv4,
  forbiddenReason,
  type OutboundPolicy,
  type OutboundPolicyOptions,
  OutboundRefusedError,
  type OutboundRequestInit,
  outboundAllowProblem,
} from './outbound-policy.js';
export { type Deadline, deadline } from './deadline.js';
