/** `talos-ext/formats/cpio`: newc archives, read and written. */
export { type CpioEntry, type CpioMember, type CpioType, readCpio } from "./reader.js";
export { type CpioInput, writeCpio } from "./writer.js";
