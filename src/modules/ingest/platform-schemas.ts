import { z } from 'zod';

/**
 * Text that Postgres stores exactly as sent: no NUL (text columns refuse it) and no lone UTF-16
 * surrogate (it would be stored as U+FFFD, so the stored id would differ from the sent one).
 * Any other Unicode, emoji and SQL-looking text included, is stored literally.
 */
// eslint-disable-next-line no-control-regex
const STORABLE = /^[^\u0000\p{Cs}]*$/u;

/** A regex check rather than a refine: cheaper per item on 5,000-item batches. */
export const storableText = (min: number, max: number) =>
  z.string().min(min).max(max).regex(STORABLE, 'must not contain NUL characters or unpaired surrogates');

/** An id of the payment platform (user, merchant or transaction): 1 to 128 characters. */
export const PlatformId = storableText(1, 128);
