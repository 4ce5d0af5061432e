import { MessageChannel } from "node:worker_threads";

/**
 * Frees `buffer`'s memory now; it is detached (length 0) afterwards. The collector frees a large buffer only at
 * a full collection, which a busy worker thread reaches late: a 66 MiB kernel payload outlived its use by a
 * second there. Node 20 has no ArrayBuffer.prototype.transfer, but a buffer moved into a message that both ends
 * of its channel drop is freed as the channel closes.
 */
export function release(buffer: ArrayBuffer): void {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, [buffer]);
  port1.close();
  port2.close();
}
