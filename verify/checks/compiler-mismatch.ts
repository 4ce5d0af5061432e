import { parseCompiler } from "../../src/formats/elf/comment.js";
import { type Check, findingOf } from "../../src/report/check.js";
import type { VerifyModel } from "../model.js";

export const compilerMismatch: Check<VerifyModel> = {
  code: "TE2003",
  title: "Module built by another compiler than the kernel",
  severity: "warning",
  explain:
    "Kbuild picks flags for the compiler that builds the kernel (control-flow integrity, return thunks, stack " +
    "protector, LTO) and the kernel's code expects them of every module. Talos 1.13 kernels are built with Clang " +
    "and ThinLTO: an out-of-tree module built with gcc can be refused, or crash at its first indirect call where " +
    "the kernel checks call targets (kCFI).",
  fix:
    "Build the module with the kernel's compiler (for Talos 1.13, LLVM=1 with the toolchain of siderolabs/pkgs), " +
    "against that kernel's build tree, and sign it afterwards.",
  run(model) {
    const kernel = model.kernel;
    const built = kernel?.compiler === undefined ? undefined : parseCompiler(kernel.compiler);
    if (kernel === undefined || built === undefined) return [];
    return model.artifacts.flatMap((artifact) =>
      artifact.modules
        .filter((m) => !m.intree)
        .flatMap((m) => {
          const by = m.compilers.map(parseCompiler).find((c) => c !== undefined);
          if (by === undefined || by.family === built.family) return [];
          return [
            findingOf(this, {
              artifact: artifact.file,
              path: m.location,
              message:
                `${m.name} is built by ${by.family} ${by.version} ("${by.text}"); ` +
                `the kernel (${kernel.location}) by ${built.family} ${built.version} ("${built.text}")`,
            }),
          ];
        }),
    );
  },
};
