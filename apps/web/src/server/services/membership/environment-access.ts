import 'server-only';
import {
  type EnvironmentGrantDto,
  type EnvironmentRef,
  environmentOf,
  listMemberEnvironmentGrants,
} from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';

/** One member's environment grants in an organisation. */
export function loadMemberGrants(input: {
  organizationId: string;
  userId: string;
}): Promise<EnvironmentGrantDto[]> {
  return withDbErrors(() => listMemberEnvironmentGrants(db(), input));
}

/** The organisation's environment that `ref` names or lives in (NOT_FOUND otherwise). */
export function resolveEnvironment(
  organizationId: string,
  ref: EnvironmentRef,
): Promise<{ id: string; name: string }> {
  return withDbErrors(() => environmentOf(db(), organizationId, ref));
}
