import type { Migration } from 'kysely';
import * as initial from './20261122T0000_initial.ts';
import * as pipeline from './20261122T0100_pipeline.ts';
import * as reinstatement from './20261122T0300_reinstatement.ts';
import * as consentState from './20261122T0400_consent_state.ts';
import * as evaluations from './20261122T0500_evaluations.ts';
import * as runPools from './20261122T0600_run_pools.ts';
import * as runPoolsMembership from './20261122T0700_run_pools_membership.ts';
import * as prepareParts from './20261207T0000_prepare_parts.ts';

/**
 * Every migration, by name, in order. A static list (not a directory scan) so that the migrator
 * works the same under tsx, vitest and a bundler.
 */
export const migrations: Record<string, Migration> = {
  '20261122T0000_initial': initial,
  '20261122T0100_pipeline': pipeline,
  '20261122T0300_reinstatement': reinstatement,
  '20261122T0400_consent_state': consentState,
  '20261122T0500_evaluations': evaluations,
  '20261122T0600_run_pools': runPools,
  '20261122T0700_run_pools_membership': runPoolsMembership,
  '20261207T0000_prepare_parts': prepareParts,
};
