import { build } from "./build.js";
import { check } from "./check.js";
import type { Command } from "./command.js";
import { inspect } from "./inspect.js";
import { newCommand } from "./new.js";
import { p2p } from "./p2p.js";
import { plan } from "./plan.js";
import { verify } from "./verify.js";

/** Every command, in the order `--help` lists them. */
export const commands: readonly Command[] = [verify, inspect, check, newCommand, build, plan, p2p];
