/** Pure parts of the offline evaluation: ranking metrics and seeded sampling. */
export * from './metrics.ts';
export * from './random.ts';
