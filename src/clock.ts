/** The only source of "now" outside tests: injected so that tests can pin the day. */
export type Clock = { now: () => Date };

export const systemClock: Clock = { now: () => new Date() };

export const fixedClock = (at: Date | string): Clock => {
  const instant = new Date(at);
  return { now: () => new Date(instant) };
};
