import { describe, expect, it } from "vitest";
import { imagerInputOrder, imagerStackOrder } from "../../src/talos/layer-order.js";

describe("the imager's layer order", () => {
  it("keeps the order given for up to 10 extensions", () => {
    for (let n = 0; n <= 10; n++) expect(imagerStackOrder(n)).toEqual([...Array(n).keys()]);
  });

  it("stacks directories 10 and 11 between 1 and 2, as a string sort of their names does", () => {
    expect(imagerStackOrder(12)).toEqual([0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The names Go's cmp.Compare orders: byte-wise, as `LC_ALL=C sort` does.
    expect(imagerStackOrder(21).map(String)).toEqual(
      [...Array(21).keys()].map(String).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
  });

  it("gives the input order whose stacking is the order wanted", () => {
    const wanted = ["glibc", "a", "b", "c", "d", "e", "f", "g", "h", "i", "nvidia-container-toolkit", "nvidia-p2p"];
    const input = imagerInputOrder(wanted);
    expect(imagerStackOrder(input.length).map((i) => input[i])).toEqual(wanted);
    expect(input.indexOf("glibc")).toBe(0);
    // Directories 10 and 11 stack third and fourth, so inputs 10 and 11 carry the third and fourth wanted.
    expect([input[10], input[11]]).toEqual(["b", "c"]);
    // The toolkit, wanted 11th of 12, is handed in ninth place (directory 8 sorts 11th).
    expect(input.indexOf("nvidia-container-toolkit")).toBe(8);
  });
});
