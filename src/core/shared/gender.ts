/** The genders of the API contract (design section 3), in contract order. */
export const GENDERS = ['woman', 'man', 'nonbinary'] as const;

/** One gender of {@link GENDERS}. */
export type Gender = (typeof GENDERS)[number];
