import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";
import { judgedServices } from "./utils/services.js";

export const serviceSpec: Check<VerifyModel> = {
  code: "TE5004",
  title: "Extension service spec that machined skips",
  severity: "error",
  explain:
    "machined reads every /usr/local/etc/containers/*.yaml at boot, decodes it and validates it (name, restart, " +
    "entrypoint, each dependency). A file that fails, or repeats a service name already loaded, is logged once " +
    "and skipped: the service never starts, and nothing on the console says why.",
  fix: "Correct the spec as the message says (restart: always, never or untilSuccess; an absolute path dependency; one dependency kind per entry), and give each service its own name.",
  run(model) {
    return model.artifacts.flatMap((artifact) =>
      judgedServices(artifact).flatMap(({ fact, issues, duplicateOf }) => [
        ...issues.map((i) =>
          findingOf(this, {
            artifact: artifact.file,
            path: fact.location,
            line: i.line,
            column: i.column,
            message: `${fact.path} (${fact.layer}): ${i.message}`,
          }),
        ),
        ...(duplicateOf === undefined
          ? []
          : [
              findingOf(this, {
                artifact: artifact.file,
                path: fact.location,
                message: `${fact.path} (${fact.layer}) names a service that ${duplicateOf.path} already defines: machined skips it`,
              }),
            ]),
      ]),
    );
  },
};
