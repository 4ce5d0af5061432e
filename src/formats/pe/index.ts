/** `talos-ext/formats/pe`: PE images: a UKI's sections as Talos extracts them, and Authenticode signatures. */
export {
  type AuthenticodeSignature,
  type AuthenticodeVerdict,
  authenticodeDigest,
  judgeAuthenticode,
  readAuthenticode,
  verifyAuthenticode,
} from "./authenticode.js";
export { type PeHeader, type PeSection, readPeHeader } from "./header.js";
export { readUki, type Uki } from "./uki.js";
