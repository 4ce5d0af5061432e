/** How a repository finding says where and how many. */
import type { FindingAt } from "../../../report/check.js";
import type { Place } from "../../source.js";

/** A finding's location in a repository file. */
export const at = (file: string, place: Place | undefined, message: string): FindingAt => ({
  artifact: file,
  ...(place ? { line: place.line, column: place.column } : {}),
  message,
});

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
