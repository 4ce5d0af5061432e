/** `talos-ext/formats/kernel`: a kernel image's release, payload, built-in certificates and configuration. */
export { type KernelConfig, parseKernelConfig } from "./ikconfig.js";
export { type KernelImage, readKernelImage } from "./image.js";
