import type { Clock } from '../../clock.ts';
import { MAX_REVEALED_MERCHANTS, type CardMerchant } from '../../core/masking/index.ts';
import type { MerchantCategory } from '../../core/scoring/weight-set.ts';
import type { AuditRepository } from '../audit/audit.repository.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { MeService } from '../me/me.service.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import type { RevealsRepository, StoredReveal } from './reveals.repository.ts';
import type { RevealRefusal } from './reveals.schemas.ts';

type Deps = {
  users: Pick<UsersRepository, 'findByExternalId'>;
  reveals: Pick<RevealsRepository, 'list' | 'merchantIds'>;
  /** `GET /v1/me/merchants`'s query: own merchants of the window, each with its k-anonymity. */
  ownMerchants: Pick<MeService, 'merchants'>;
  transact: <T>(
    work: (store: {
      reveals: Pick<RevealsRepository, 'replace' | 'list'>;
      audit: AuditRepository;
    }) => Promise<T>,
  ) => Promise<T>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
};

export type RevealView = StoredReveal & { visible: boolean };

/**
 * Reveals (design sections 1 and 6.3): a user shows at most 5 merchants they bought from in the
 * active weight set's window, each passing k-anonymity. Eligibility is the one query of
 * `GET /v1/me/merchants` (its `revealable` flag), so the two can never disagree. It is checked when
 * a reveal is set and again whenever one is shown: a reveal whose merchant left the window or lost
 * its crowd stays stored but is hidden (`visible: false`) until it qualifies again.
 */
export function createRevealsService({ users, reveals, ownMerchants, transact, audit, clock }: Deps) {
  const revealableIds = async (externalId: string): Promise<Set<string>> => {
    const { merchants } = await ownMerchants.merchants(externalId);
    return new Set(merchants.filter((m) => m.revealable).map((m) => m.merchantId));
  };

  const withVisibility = async (externalId: string, stored: StoredReveal[]): Promise<RevealView[]> => {
    if (stored.length === 0) return [];
    const revealable = await revealableIds(externalId);
    return stored.map((r) => ({ ...r, visible: revealable.has(r.merchantId) }));
  };

  return {
    async list(externalId: string): Promise<RevealView[]> {
      const user = await users.findByExternalId(externalId);
      if (user === undefined) return [];
      return withVisibility(externalId, await reveals.list(user.id));
    },

    /**
     * What others may see of a user's reveals: name and category of the visible ones, in order.
     * Called for a counterpart (card, connections); `internalId` spares a lookup.
     */
    async visibleOf(externalId: string, internalId: string): Promise<CardMerchant[]> {
      const stored = await reveals.list(internalId);
      const views = await withVisibility(externalId, stored);
      return views
        .filter((r) => r.visible)
        .map((r) => ({ name: r.name, category: r.category as MerchantCategory }));
    },

    /**
     * Replaces the caller's reveals. Each id, in order and once: `unknown_merchant` when no such
     * merchant exists, `not_purchased` when it is not among the caller's merchants of the window,
     * `not_k_anonymous` when fewer than K_ANON consenting users bought there in the window,
     * `too_many` once 5 are accepted. The accepted ones replace the previous set (an empty list
     * clears it); the change is audited with counts only, never a merchant.
     */
    async set(
      externalId: string,
      merchantIds: readonly string[],
      context: { requestId: string },
    ): Promise<{ reveals: RevealView[]; refused: { merchantId: string; reason: RevealRefusal }[] }> {
      const wanted = [...new Set(merchantIds)];
      const [known, own] = await Promise.all([
        reveals.merchantIds(wanted),
        ownMerchants.merchants(externalId),
      ]);
      const purchased = new Set(own.merchants.map((m) => m.merchantId));
      const revealable = new Set(own.merchants.filter((m) => m.revealable).map((m) => m.merchantId));
      const accepted: string[] = [];
      const refused: { merchantId: string; reason: RevealRefusal }[] = [];
      for (const merchantId of wanted) {
        const internal = known.get(merchantId);
        const reason: RevealRefusal | undefined =
          internal === undefined
            ? 'unknown_merchant'
            : !purchased.has(merchantId)
              ? 'not_purchased'
              : !revealable.has(merchantId)
                ? 'not_k_anonymous'
                : accepted.length >= MAX_REVEALED_MERCHANTS
                  ? 'too_many'
                  : undefined;
        if (reason === undefined && internal !== undefined) accepted.push(internal);
        else if (reason !== undefined) refused.push({ merchantId, reason });
      }
      const user = await users.findByExternalId(externalId);
      // A caller never seen has no purchases, so nothing can have been accepted.
      if (user === undefined) return { reveals: [], refused };
      const stored = await transact(async (store) => {
        await store.reveals.replace(user.id, accepted, clock.now());
        await audit.record(
          {
            actor: { kind: 'user', id: externalId },
            subject: { kind: 'user', id: externalId },
            action: 'reveals.set',
            requestId: context.requestId,
            details: { revealed: accepted.length, refused: refused.length },
          },
          store.audit,
        );
        return store.reveals.list(user.id);
      });
      return { reveals: stored.map((r) => ({ ...r, visible: revealable.has(r.merchantId) })), refused };
    },
  };
}

export type RevealsService = ReturnType<typeof createRevealsService>;
