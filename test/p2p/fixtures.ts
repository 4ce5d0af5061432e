import { readFileSync } from "node:fs";
import { join } from "node:path";

export const fixtureDir = join(import.meta.dirname, "fixtures");
export const fixture = (name: string): string => join(fixtureDir, name);
export const fixtureText = (name: string): string => readFileSync(fixture(name), "utf8");

/** The two published 8x RTX 4090 outputs and the probe's run on 2x H200. */
export const STOCK = "rtx4090-8x-stock.txt";
export const UNLOCKED = "rtx4090-8x-unlocked.txt";
export const H200 = "h200-x2.json";
