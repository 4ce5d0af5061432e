import { type Check, findingOf } from "../../src/report/check.js";
import type { PeAssetFact, VerifyModel } from "../model.js";

const names = (a: PeAssetFact): string => a.signatures.map((s) => s.signer).join(", ");

export const bootSignature: Check<VerifyModel> = {
  code: "TE8002",
  title: "A Secure Boot asset is unsigned or its signature does not verify",
  severity: "error",
  explain:
    "With Secure Boot the firmware starts systemd-boot only if its Authenticode signature verifies against db, " +
    "and systemd-boot starts the UKI under the same rule. An image changed after signing, or one of the two left " +
    "unsigned while the other is signed, does not boot: the node stops at the firmware.",
  fix: "Sign the UKI and systemd-boot as the last step of the build (sbsign or the imager's secure boot signer), with the key enrolled in the node's db.",
  run(model) {
    return model.artifacts.flatMap((a) => {
      const assets = [a.boot?.uki, a.boot?.bootloader].filter((x): x is PeAssetFact => x !== undefined);
      const signed = assets.some((x) => x.signatures.length > 0);
      return assets.flatMap((x) => {
        const bad = x.signatures.filter((s) => !s.verifies);
        if (bad.length > 0) {
          const message = `the signature by ${bad.map((s) => s.signer).join(", ")} does not match the image (changed after signing)`;
          return [findingOf(this, { artifact: a.file, path: x.location, message })];
        }
        if (signed && x.signatures.length === 0) {
          const other = assets.find((y) => y.signatures.length > 0) as PeAssetFact;
          const message = `unsigned, while ${other.location} is signed by ${names(other)}: Secure Boot refuses it`;
          return [findingOf(this, { artifact: a.file, path: x.location, message })];
        }
        return [];
      });
    });
  },
};
