import { boundedCache } from "./bounded-cache";

describe("boundedCache", () => {
  it("computes a key once, keeps at most its limit, drops the oldest first, and caches no failure", () => {
    const cache = boundedCache<string>(2);
    let computed = 0;
    const get = (key: string) =>
      cache(key, () => (computed++, key.toUpperCase()));
    expect([get("a"), get("a"), get("b")]).toEqual(["A", "A", "B"]);
    expect(computed).toBe(2);
    get("c"); // drops a
    get("b");
    expect(computed).toBe(3);
    get("a");
    expect(computed).toBe(4);
    expect(() =>
      cache("bad", () => {
        throw new Error("no");
      })
    ).toThrow("no");
    expect(cache("bad", () => "fine")).toBe("fine");
  });
});
