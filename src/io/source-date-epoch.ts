/**
 * SOURCE_DATE_EPOCH (reproducible-builds.org): the one time every written timestamp takes, or undefined when
 * unset. A value that is not whole seconds fitting the 32 bits SquashFS and tar headers hold is refused, not
 * ignored: a build that silently stops being reproducible is the failure it exists to prevent.
 */
export function sourceDateEpoch(): number | undefined {
  const v = process.env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === "") return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 0xffff_ffff) {
    throw new RangeError(`SOURCE_DATE_EPOCH must be whole seconds that fit 32 bits, not ${JSON.stringify(v)}`);
  }
  return Number(v);
}
