/** `talos-ext/formats/kmod-sig`: the signature appended to a kernel module, and its verification. */
export { moduleSource } from "./module-source.js";
export {
  MARKER,
  type ModinfoSignature,
  type ModuleSignature,
  modinfoSignature,
  namesCertificate,
  readModuleSignature,
  rsaSignature,
  type SignerId,
  signedDigest,
  verifyModuleDigest,
  verifyModuleSignature,
} from "./signature.js";
