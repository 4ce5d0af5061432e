/**
 * The order in which the imager stacks the extensions it is given (Talos >= v1.5.0-beta.0, commit 87fe8f1a2 "implement
 * image generation profiles"; unchanged through v1.13 and v1.14). It unpacks extension i into a
 * directory named strconv.Itoa(i) (pkg/imager), then lists that tree sorted by name as strings
 * (internal/pkg/extensions/list.go: slices.SortFunc with cmp.Compare), compresses each to `<dir>.sqsh` and
 * writes extensions.yaml in that order, which init mounts with the last layer on top. So from 11 extensions on,
 * 10 sorts before 2. Before, internal/pkg/extensions/pull.go named them `%03d.<image>`, whose string order is
 * the numeric order (up to 1000 extensions).
 */

/** The input indices in the order the imager stacks them, bottom to top, for `count` extensions. */
export function imagerStackOrder(count: number): number[] {
  const names = Array.from({ length: count }, (_, i) => String(i));
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(Number);
}

/**
 * The order to hand the imager so that it stacks `wanted` (bottom to top) as given: the input whose index sorts
 * k-th must be wanted[k].
 */
export function imagerInputOrder<T>(wanted: readonly T[]): T[] {
  const out = new Array<T>(wanted.length);
  imagerStackOrder(wanted.length).forEach((input, k) => {
    out[input] = wanted[k] as T;
  });
  return out;
}
