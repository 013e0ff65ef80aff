import 'server-only';
import {
  type EnvironmentGrantDto,
  type EnvironmentRef,
  environmentOf,
  environmentsOfAlerts,
  listMemberEnvironmentGrants,
  organizationEnvironments,
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

/** The environments the organisation's alerts `ids` belong to. */
export function resolveAlertEnvironments(
  organizationId: string,
  ids: string[],
): Promise<{ id: string; name: string }[]> {
  return withDbErrors(() =>
    environmentsOfAlerts(
      db(),
      organizationId,
      ids.map((id) => BigInt(id)),
    ),
  );
}

/** Every environment of the organisation. */
export function listOrganizationEnvironments(
  organizationId: string,
): Promise<{ id: string; name: string }[]> {
  return withDbErrors(() => organizationEnvironments(db(), organizationId));
}
