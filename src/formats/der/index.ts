/** `talos-ext/formats/der`: ASN.1 DER, as far as certificates and PKCS#7 signatures need it. */
export { COMMON_NAME, child, commonName, type Der, nameAttributes, oid, parseDer, TAG } from "./parse.js";
