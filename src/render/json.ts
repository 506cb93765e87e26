import type { RunResult } from "../run/result.js";

/**
 * Renders the run result as indented JSON, the document that schema/run-result.schema.json describes.
 * The trailing newline lets the CLI write every format the same way.
 */
export function renderJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** Characters per piece of renderJsonChunks: small enough to stay out of V8's large-object space. */
const CHUNK_CHARACTERS = 16_384;

/** Nesting depth down to which the top-level arrays' elements are split: a check, then its findings. */
const ELEMENT_SPLIT_DEPTH = 2;

/**
 * Renders the same text as renderJson in pieces of about 16,000 characters. The JSON report of a
 * large cluster runs to tens of megabytes. Written piece by piece, it never exists as one string,
 * and each piece is garbage as soon as it is written.
 */
export function* renderJsonChunks(result: RunResult): Generator<string> {
  const members = jsonMembers(result);
  if (members.length === 0) {
    yield "{}\n";
    return;
  }

  const chunks = new ChunkBuffer();
  chunks.add("{");
  for (const [index, [key, value]] of members.entries()) {
    chunks.add(`${index === 0 ? "" : ","}\n  ${JSON.stringify(key)}: `);
    if (Array.isArray(value) && value.length > 0) {
      // Top-level arrays, the checks above all, are rendered one element at a time.
      chunks.add("[");
      for (const [itemIndex, item] of value.entries()) {
        chunks.add(`${itemIndex === 0 ? "" : ","}\n    `);
        addJson(chunks, item, "    ", ELEMENT_SPLIT_DEPTH);
        yield* chunks.take();
      }
      chunks.add("\n  ]");
    } else {
      addJson(chunks, value, "  ", 1);
    }
    yield* chunks.take();
  }
  yield `${chunks.rest()}\n}\n`;
}

/** Collects text pieces into chunks of at least CHUNK_CHARACTERS. */
class ChunkBuffer {
  private buffered = "";
  private ready: string[] = [];

  add(piece: string): void {
    this.buffered += piece;
    if (this.buffered.length >= CHUNK_CHARACTERS) {
      this.ready.push(this.buffered);
      this.buffered = "";
    }
  }

  /** Returns the full chunks and empties the list. */
  take(): string[] {
    const ready = this.ready;
    this.ready = [];
    return ready;
  }

  /** Returns the text that has not filled a chunk yet. */
  rest(): string {
    return this.buffered;
  }
}

/** Returns the members JSON.stringify writes, which leaves out undefined, functions and symbols. */
function jsonMembers(value: object): Array<[string, unknown]> {
  return Object.entries(value).filter(
    ([, member]) => member !== undefined && typeof member !== "function" && typeof member !== "symbol",
  );
}

/**
 * Adds the text JSON.stringify(value, null, 2) writes for a value at a depth whose lines start
 * with `indent`. Objects and arrays down to `depth` levels are added member by member.
 */
function addJson(chunks: ChunkBuffer, value: unknown, indent: string, depth: number): void {
  const splittable =
    depth > 0 &&
    typeof value === "object" &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON !== "function";
  if (!splittable) {
    // JSON.stringify escapes newlines inside strings, so every raw newline is a line break.
    chunks.add((JSON.stringify(value, null, 2) ?? "null").replaceAll("\n", `\n${indent}`));
    return;
  }

  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      chunks.add("[]");
      return;
    }
    chunks.add("[");
    for (let index = 0; index < value.length; index++) {
      chunks.add(`${index === 0 ? "" : ","}\n${inner}`);
      addJson(chunks, value[index], inner, depth - 1);
    }
    chunks.add(`\n${indent}]`);
    return;
  }

  const members = jsonMembers(value);
  if (members.length === 0) {
    chunks.add("{}");
    return;
  }
  chunks.add("{");
  for (let index = 0; index < members.length; index++) {
    const [key, member] = members[index] as [string, unknown];
    chunks.add(`${index === 0 ? "" : ","}\n${inner}${JSON.stringify(key)}: `);
    addJson(chunks, member, inner, depth - 1);
  }
  chunks.add(`\n${indent}}`);
}
