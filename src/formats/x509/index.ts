/** `talos-ext/formats/x509`: X.509 certificates, with the fields module signatures name their signer by. */
export { type Certificate, parseCertificate } from "./certificate.js";
