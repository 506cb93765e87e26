import { strict as assert } from "node:assert";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { JsonObjectScanner, readJsonObjectFile } from "../../src/collect/snapshot/json-pieces.js";

/** Feeds `text` to a scanner in chunks of `size` bytes and returns the parsed object. */
function scanInChunks(text: string, size: number): Record<string, unknown> {
  const bytes = Buffer.from(text, "utf8");
  const scanner = new JsonObjectScanner();
  // One buffer reused for every chunk, as a reader with a fixed read buffer would.
  const reused = Buffer.alloc(size);
  for (let offset = 0; offset < bytes.length; offset += size) {
    const length = bytes.copy(reused, 0, offset, Math.min(offset + size, bytes.length));
    scanner.push(reused.subarray(0, length));
    reused.fill(0x78);
  }
  return scanner.finish();
}

const VALID_TEXTS: Record<string, string> = {
  "kubectl List": JSON.stringify(
    {
      apiVersion: "v1",
      items: [
        { kind: "Pod", metadata: { name: "a", annotations: { status: '{"containers":["istio-proxy"]}' } } },
        { kind: "Pod", metadata: { name: "b" }, spec: { containers: [{ name: "app", args: ["a\\b", 'say "hi"'] }] } },
      ],
      kind: "List",
      metadata: { resourceVersion: "" },
    },
    null,
    4,
  ),
  "scalars and nesting":
    '{"a":1,"b":-2.5e3,"c":true,"d":false,"e":null,"f":"x","g":{"h":[1,[2,{"i":[]}]]},"j":[1,"two",null,{"k":{}}],"l":[]}',
  "empty object": "  {  }  ",
  "escapes at every place": '{"q\\"uote":"a\\\\","b":["\\\\","\\"",  "\\u00e9\\n"],"c":"\\\\\\""}',
  "multibyte text": '{"name":"café ✓ 日本語","items":["é","✓✓✓","𝄞"]}',
  "duplicate keys": '{"a":1,"a":[2],"b":[1],"b":3}',
  "repeated items of mixed kinds": JSON.stringify({
    items: [
      { kind: "Pod", image: "docker.io/istio/proxyv2:1.23.2", env: ["a long value one", "short"], n: 1 },
      { kind: "Service", image: "docker.io/istio/proxyv2:1.23.2", env: { x: "a long value one" } },
      { kind: "Pod", image: "docker.io/istio/proxyv2:1.23.2", env: ["a long value one", "a long value two"], n: 2 },
      { kind: "Pod", image: "registry.example.com/other:2.0.0", env: "a long value one" },
      "a plain string element",
      ["a long value one", { kind: "Pod" }],
    ],
  }),
  "whitespace everywhere": '\n\r\t{ "a" : [ 1 , 2 ] ,\n "b" : { } }\n',
};

describe("JsonObjectScanner", () => {
  for (const [name, text] of Object.entries(VALID_TEXTS)) {
    it(`matches JSON.parse: ${name}`, () => {
      const expected = JSON.parse(text);
      for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
        assert.deepStrictEqual(scanInChunks(text, size), expected, `chunk size ${size}`);
      }
    });
  }

  it("keeps __proto__ as an own property", () => {
    const item =
      '{"kind":"Pod","__proto__":"a string of more than ten characters","spec":{"__proto__":{"polluted":true}}}';
    const parsed = scanInChunks(`{"__proto__":{"polluted":true},"items":[${item},${item}]}`, 5);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(Object.keys(parsed), ["__proto__", "items"]);
    const items = parsed.items as Array<Record<string, unknown>>;
    for (const parsedItem of items) {
      assert.equal(Object.getPrototypeOf(parsedItem), Object.prototype);
      assert.equal(
        Object.getOwnPropertyDescriptor(parsedItem, "__proto__")?.value,
        "a string of more than ten characters",
      );
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("rejects a top-level array", () => {
    assert.throws(() => scanInChunks("[1,2]", 2));
  });

  it("counts lines before the object", () => {
    const scanner = new JsonObjectScanner();
    scanner.push(Buffer.from('\n\n  {"a":[1]}'));
    scanner.finish();
    assert.equal(scanner.line, 3);
  });

  const INVALID_TEXTS: Record<string, string> = {
    "trailing comma in an array": '{"items":[1,2,]}',
    "trailing comma in the object": '{"a":1,}',
    "missing colon": '{"a" 1}',
    "unquoted key": "{a:1}",
    "text after the object": '{"a":1} {"b":2}',
    "truncated array": '{"items":[{"a":1}',
    "truncated string": '{"a":"abc',
    "invalid element": '{"items":[{"a":01}]}',
    "empty text": "   ",
  };
  for (const [name, text] of Object.entries(INVALID_TEXTS)) {
    it(`rejects ${name}`, () => {
      assert.throws(() => JSON.parse(text), SyntaxError);
      for (const size of [1, 4, 1024]) {
        assert.throws(() => scanInChunks(text, size), `chunk size ${size}`);
      }
    });
  }
});

describe("readJsonObjectFile", () => {
  const folders: string[] = [];
  after(async () => {
    await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
  });

  async function fileWith(name: string, content: string | Buffer): Promise<string> {
    const folder = await mkdtemp(path.join(tmpdir(), "meshproof-json-pieces-"));
    folders.push(folder);
    const file = path.join(folder, name);
    await writeFile(file, content);
    return file;
  }

  const list = {
    apiVersion: "v1",
    kind: "List",
    items: Array.from({ length: 3000 }, (_, index) => ({
      kind: "Pod",
      apiVersion: "v1",
      metadata: { name: `pod-${index}`, namespace: "sre", labels: { app: `app-${index % 7}` } },
      status: { phase: "Running", note: "x".repeat(index % 500) },
    })),
  };

  it("reads a file larger than one chunk", async () => {
    const text = JSON.stringify(list, null, 4);
    assert.ok(text.length > 1 << 20, "the file must span several chunks");
    const result = await readJsonObjectFile(await fileWith("pods.json", text));
    assert.ok(result);
    assert.deepStrictEqual(result.value, list);
    assert.equal(result.line, 1);
  });

  it("reads gzip data and skips a byte order mark", async () => {
    const gzipped = await readJsonObjectFile(await fileWith("snapshot.json.gz", gzipSync(JSON.stringify(list))));
    assert.deepStrictEqual(gzipped?.value, list);

    const withBom = await readJsonObjectFile(await fileWith("bom.json", `\ufeff\n${JSON.stringify({ items: [1] })}`));
    assert.deepStrictEqual(withBom?.value, { items: [1] });
    assert.equal(withBom?.line, 2);
  });

  it("leaves other files to the general reader", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"items":[]}', "utf16le")]);
    assert.equal(await readJsonObjectFile(await fileWith("utf16.json", utf16)), undefined);
    assert.equal(await readJsonObjectFile(await fileWith("array.json", "[1]")), undefined);
    assert.equal(await readJsonObjectFile(await fileWith("broken.json", '{"items":[1,}')), undefined);
    assert.equal(
      await readJsonObjectFile(await fileWith("broken.json.gz", Buffer.from([0x1f, 0x8b, 1, 2, 3]))),
      undefined,
    );
    assert.equal(await readJsonObjectFile(path.join(tmpdir(), "meshproof-missing-file.json")), undefined);
  });
});
