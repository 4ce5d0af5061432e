/**
 * One copy of each string that thousands of modules repeat (their layer, vermagic, compiler, signer and key):
 * facts come back from the threads each with copies of their own, which were most of the strings a large tree
 * left on the main thread.
 */
import type { SignatureFact } from "./model.js";
import type { ReadModule } from "./modules.js";

export class SharedStrings {
  private readonly strings = new Map<string, string>();
  private readonly signatures = new Map<string, SignatureFact>();

  one(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

  /** `m`, fresh from its thread, with those strings (and its signature fact) replaced by shared ones. */
  module(m: ReadModule): ReadModule {
    let signature = m.signature;
    if (signature !== undefined) {
      const key = `${signature.signer}\n${signature.sigKey}\n${signature.hashAlgo}`;
      signature = this.signatures.get(key) ?? signature;
      this.signatures.set(key, signature);
    }
    return Object.assign(m, {
      layer: this.one(m.layer),
      layerLocation: this.one(m.layerLocation),
      compilers: m.compilers.map((c) => this.one(c)),
      ...(m.vermagic !== undefined ? { vermagic: this.one(m.vermagic) } : {}),
      ...(signature !== undefined ? { signature } : {}),
    });
  }
}
