import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Table types of migrations/, written once and kept in step with them by hand. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;
/**
 * bigint columns come back from pg as strings (their range exceeds a JS number). Identity columns:
 * optional on insert, never updated. (`Generated<ColumnType<…>>` would nest and select as an object.)
 */
type Id = ColumnType<string, string | number | bigint | undefined, never>;
type RefId = ColumnType<string, string | number | bigint, string | number | bigint>;

export type Gender = 'woman' | 'man' | 'nonbinary';
export type ConsentPurpose = 'transactions' | 'matching';
export type RunStatus =
  'pending' | 'preparing' | 'scoring' | 'pairing' | 'publishing' | 'published' | 'failed';

export interface UsersTable {
  id: Id;
  external_id: string;
  verified: Generated<boolean>;
  trusted: Generated<boolean>;
  suspended_at: Date | null;
  /** The last reinstatement by an admin; reports before it no longer count towards a suspension. */
  reinstated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
  /** Kept by a trigger on consent_events (migration 20261122T0400); the ledger is the record. */
  transactions_consent: ColumnType<boolean, never, never>;
  matching_consent: ColumnType<boolean, never, never>;
}

export interface ProfilesTable {
  user_id: RefId;
  display_name: string;
  birth_year: number;
  gender: Gender;
  seeking: Gender[];
  age_min: number;
  age_max: number;
  city: string;
  timezone: string;
  contact_handle: string;
  only_verified: boolean;
  allow_guess_game: boolean;
  updated_at: Timestamp;
}

export interface ConsentEventsTable {
  id: Id;
  user_id: RefId;
  purpose: ConsentPurpose;
  action: 'grant' | 'withdraw';
  policy_version: string;
  at: CreatedAt;
}

export interface MerchantsTable {
  id: Id;
  external_id: string;
  name: string;
  category: string;
  city: string | null;
  lat: number | null;
  lng: number | null;
  updated_at: Timestamp;
}

export interface ApiClientsTable {
  id: Id;
  name: string;
  key_hash: Buffer;
  key_prefix: string;
  scopes: string[];
  created_at: CreatedAt;
  revoked_at: Date | null;
}

export interface TransactionIdsTable {
  client_id: RefId;
  transaction_id: string;
  received_at: CreatedAt;
}

export interface TransactionsTable {
  user_id: RefId;
  client_id: RefId;
  transaction_id: string;
  merchant_id: RefId;
  amount_cents: ColumnType<string, string | number | bigint, never>;
  currency: string;
  occurred_at: ColumnType<Date, Date | string, never>;
  received_at: CreatedAt;
}

export interface IdempotencyRecordsTable {
  client_id: RefId;
  key: string;
  request_hash: Buffer;
  state: 'in_flight' | 'done';
  response_status: number | null;
  response_body: Json<unknown> | null;
  created_at: CreatedAt;
  completed_at: Date | null;
}

export interface WeightSetsTable {
  id: Id;
  name: string;
  version: number;
  parent_id: RefId | null;
  params: Json<unknown>;
  note: string | null;
  created_by: string;
  created_at: CreatedAt;
}

export interface WeightSetActivationsTable {
  id: Id;
  weight_set_id: RefId;
  activated_by: string;
  activated_at: CreatedAt;
}

export interface ScoringRunsTable {
  id: Id;
  business_date: ColumnType<string, string, never>;
  status: RunStatus;
  weight_set_id: RefId;
  weight_params: Json<unknown>;
  triggered_by: string;
  stages: ColumnType<Record<string, unknown>, string | undefined, string>;
  eligible_users: number | null;
  paired_users: number | null;
  coverage: number | null;
  mean_score: number | null;
  error: string | null;
  created_at: CreatedAt;
  started_at: Date | null;
  finished_at: Date | null;
  published_at: Date | null;
}

export interface CandidatesTable {
  run_id: RefId;
  user_id: RefId;
  candidate_ids: string[];
  scores: number[];
  overlap_scores: number[];
  co_presences: number[];
  spend_levels: number[];
  shared_counts: number[];
}

export interface MatchesTable {
  user_id: RefId;
  match_date: ColumnType<string, string, never>;
  match_id: string;
  run_id: RefId;
  counterpart_id: RefId;
  alias: string;
  score: number;
  shared_bucket: '2' | '3-4' | '5+';
  top_categories: string[];
  crossed_paths: boolean;
  ended_at: Date | null;
  ended_reason: 'passed' | 'blocked' | 'reported' | 'consent_withdrawn' | 'deleted' | null;
  created_at: CreatedAt;
}

export interface DecisionsTable {
  match_id: string;
  user_id: RefId;
  decision: 'like' | 'pass';
  decided_at: CreatedAt;
}

export interface GuessesTable {
  id: Id;
  match_id: string;
  user_id: RefId;
  merchant_id: RefId;
  correct: boolean;
  created_at: CreatedAt;
}

export interface RevealsTable {
  user_id: RefId;
  merchant_id: RefId;
  created_at: CreatedAt;
}

export interface BlocksTable {
  blocker_id: RefId;
  blocked_id: RefId;
  created_at: CreatedAt;
}

export interface ReportsTable {
  id: Id;
  reporter_id: RefId;
  reported_id: RefId;
  match_id: string;
  reason: string;
  note: string | null;
  created_at: CreatedAt;
}

export interface AuditLogTable {
  id: Id;
  at: CreatedAt;
  actor: string;
  action: string;
  subject: string | null;
  request_id: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
}

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
export type EvaluationStatus = 'queued' | 'running' | 'completed' | 'failed';

/** An evaluation of a weight set (migration 20261122T0500); `report` holds aggregates only. */
export interface EvaluationsTable {
  id: ColumnType<string, string | undefined, never>;
  weight_set_id: ColumnType<string, string, never>;
  baseline_weight_set_id: ColumnType<string | null, string | null | undefined, never>;
  status: ColumnType<EvaluationStatus, EvaluationStatus | undefined, EvaluationStatus>;
  progress: ColumnType<number, number | undefined, number>;
  report: ColumnType<unknown, never, string | null>;
  error: string | null;
  requested_by: ColumnType<string, string, never>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

export interface Database {
  users: UsersTable;
  profiles: ProfilesTable;
  consent_events: ConsentEventsTable;
  merchants: MerchantsTable;
  api_clients: ApiClientsTable;
  transaction_ids: TransactionIdsTable;
  transactions: TransactionsTable;
  idempotency_records: IdempotencyRecordsTable;
  weight_sets: WeightSetsTable;
  weight_set_activations: WeightSetActivationsTable;
  scoring_runs: ScoringRunsTable;
  candidates: CandidatesTable;
  matches: MatchesTable;
  decisions: DecisionsTable;
  guesses: GuessesTable;
  reveals: RevealsTable;
  blocks: BlocksTable;
  reports: ReportsTable;
  audit_log: AuditLogTable;
  evaluations: EvaluationsTable;
}

export type UserRow = Selectable<UsersTable>;
export type ProfileRow = Selectable<ProfilesTable>;
export type NewProfile = Insertable<ProfilesTable>;
export type MerchantRow = Selectable<MerchantsTable>;
export type ApiClientRow = Selectable<ApiClientsTable>;
export type ScoringRunRow = Selectable<ScoringRunsTable>;
