/**
 * The decision state on a card, from the viewer's side:
 * - `pending`: the viewer has not decided;
 * - `waiting`: the viewer liked and the match is open; whether the counterpart has not answered
 *   or passed is not told (a pass ends a match quietly);
 * - `liked`: the viewer liked and the match expired without a mutual like (again without telling
 *   whether the counterpart passed or never answered);
 * - `passed`: the viewer passed;
 * - `connected`: both liked; contact handles are exchanged in `/v1/me/connections`.
 * The counterpart's like is never shown before the viewer's own decision.
 */
export const DECISION_STATES = ['pending', 'liked', 'passed', 'waiting', 'connected'] as const;

/** One of {@link DECISION_STATES}. */
export type DecisionState = (typeof DECISION_STATES)[number];

/** A stored decision, or null when none was made. */
export type Decision = 'like' | 'pass' | null;

/**
 * The viewer's state (see {@link DECISION_STATES}) from both decisions and whether the match has
 * expired: viewer none → `pending`; viewer pass → `passed`; both like → `connected`; viewer like
 * otherwise → `liked` once expired, else `waiting`.
 */
export function decisionState(viewer: Decision, counterpart: Decision, expired: boolean): DecisionState {
  if (viewer === null) return 'pending';
  if (viewer === 'pass') return 'passed';
  if (counterpart === 'like') return 'connected';
  return expired ? 'liked' : 'waiting';
}
