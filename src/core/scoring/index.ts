/** The pure scoring core (design section 4): weight sets, features, exact candidates, re-ranking. */
export * from './weight-set.ts';
export * from './matrix.ts';
export * from './eligibility.ts';
export * from './filters.ts';
export * from './candidates.ts';
export * from './symmetric.ts';
export * from './rerank.ts';
export { TopK } from './top-k.ts';
