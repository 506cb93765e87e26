import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";

/** Bytes read per chunk. Larger chunks cost memory without making the scan faster. */
const CHUNK_BYTES = 1 << 20;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const OTHER = 0;
const STRING_START = 1;
const OPENING = 2;
const CLOSING = 3;

/** The bytes that matter to the scan outside strings, by class; every other byte is OTHER. */
const BYTE_CLASS = new Uint8Array(256);
BYTE_CLASS[QUOTE] = STRING_START;
BYTE_CLASS[OPEN_BRACE] = OPENING;
BYTE_CLASS[OPEN_BRACKET] = OPENING;
BYTE_CLASS[CLOSE_BRACE] = CLOSING;
BYTE_CLASS[CLOSE_BRACKET] = CLOSING;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Position of the root scanner between pieces, in the grammar of one JSON object whose arrays are split. */
enum Expect {
  Root,
  KeyOrClose,
  Key,
  Colon,
  Value,
  ElementOrClose,
  Element,
  ElementSeparator,
  MemberSeparator,
  End,
}

/** Raised inside the scanner for text that is not one JSON object; the caller turns it into "not handled". */
class NotHandled extends Error {}

/**
 * Parses a JSON object that arrives in chunks. Each member value is parsed with JSON.parse on its
 * own, and each element of a member whose value is an array is parsed on its own, so the whole text
 * never exists as one string: memory contains the parsed values and one chunk. The result equals
 * JSON.parse of the whole text, including which of two equal keys wins (the later one).
 */
export class JsonObjectScanner {
  /** 1-based line of the opening brace. */
  line = 1;

  private readonly root: Record<string, unknown> = {};
  private readonly strings = new RepeatedStrings();
  private expect = Expect.Root;
  private key = "";
  private array: unknown[] | undefined;

  // The piece being collected: bytes of one key, member value or array element.
  private collecting = false;
  private pieceKind: "key" | "value" | "element" = "value";
  private parts: Buffer[] = [];
  private depth = 0;
  private inString = false;
  /** A backslash ended the previous chunk, so the next byte is escaped. */
  private escapePending = false;
  /** The piece is a number or literal, which ends at the first delimiter. */
  private bare = false;
  private pieceStart = 0;
  /**
   * Offset of the next backslash in the current chunk at or after the scan position, -1 when there
   * is none, -2 when not yet searched. Kept across pieces, so a chunk without backslashes is
   * searched once rather than once per piece.
   */
  private nextBackslash = -2;

  /** Scans one chunk. `chunk` may be reused by the caller after this returns. */
  push(chunk: Buffer): void {
    this.nextBackslash = -2;
    let index = 0;
    const length = chunk.length;
    while (index < length) {
      if (this.collecting) {
        index = this.collect(chunk, index);
        continue;
      }
      const byte = chunk[index] as number;
      if (isWhitespace(byte)) {
        if (byte === 0x0a && this.expect === Expect.Root) this.line++;
        index++;
        continue;
      }
      index = this.structure(chunk, index, byte);
    }
    if (this.collecting) {
      // The piece continues in the next chunk; keep a copy, because the caller may reuse `chunk`.
      this.parts.push(Buffer.from(chunk.subarray(this.pieceStart, length)));
      this.pieceStart = 0;
    }
  }

  /** Returns the parsed object once the whole text is pushed; throws NotHandled for anything else. */
  finish(): Record<string, unknown> {
    if (this.expect !== Expect.End || this.collecting) throw new NotHandled("the JSON text ended early");
    return this.root;
  }

  private structure(chunk: Buffer, index: number, byte: number): number {
    switch (this.expect) {
      case Expect.Root:
        if (byte !== OPEN_BRACE) throw new NotHandled("the text is not a JSON object");
        this.expect = Expect.KeyOrClose;
        return index + 1;
      case Expect.KeyOrClose:
      case Expect.Key:
        if (byte === CLOSE_BRACE && this.expect === Expect.KeyOrClose) {
          this.expect = Expect.End;
          return index + 1;
        }
        if (byte !== QUOTE) throw new NotHandled("expected a member name");
        return this.startPiece(chunk, index, "key");
      case Expect.Colon:
        if (byte !== COLON) throw new NotHandled("expected a colon");
        this.expect = Expect.Value;
        return index + 1;
      case Expect.Value:
        if (byte === OPEN_BRACKET) {
          this.array = [];
          this.assign(this.array);
          this.expect = Expect.ElementOrClose;
          return index + 1;
        }
        return this.startPiece(chunk, index, "value");
      case Expect.ElementOrClose:
      case Expect.Element:
        if (byte === CLOSE_BRACKET && this.expect === Expect.ElementOrClose) {
          this.expect = Expect.MemberSeparator;
          return index + 1;
        }
        return this.startPiece(chunk, index, "element");
      case Expect.ElementSeparator:
        if (byte === COMMA) this.expect = Expect.Element;
        else if (byte === CLOSE_BRACKET) this.expect = Expect.MemberSeparator;
        else throw new NotHandled("expected a comma or a closing bracket");
        return index + 1;
      case Expect.MemberSeparator:
        if (byte === COMMA) this.expect = Expect.Key;
        else if (byte === CLOSE_BRACE) this.expect = Expect.End;
        else throw new NotHandled("expected a comma or a closing brace");
        return index + 1;
      case Expect.End:
        throw new NotHandled("text follows the JSON object");
    }
  }

  private startPiece(chunk: Buffer, index: number, kind: "key" | "value" | "element"): number {
    const byte = chunk[index] as number;
    this.collecting = true;
    this.pieceKind = kind;
    this.pieceStart = index;
    this.parts = [];
    this.depth = 0;
    this.inString = false;
    this.escapePending = false;
    this.bare = byte !== QUOTE && byte !== OPEN_BRACE && byte !== OPEN_BRACKET;
    return index;
  }

  /** Advances through the current piece; returns where scanning continues. */
  private collect(chunk: Buffer, start: number): number {
    const length = chunk.length;
    let index = start;
    if (this.escapePending) {
      this.escapePending = false;
      index++;
    }
    if (this.bare) {
      while (index < length) {
        const byte = chunk[index] as number;
        if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isWhitespace(byte)) {
          this.endPiece(chunk, index);
          return index;
        }
        index++;
      }
      return length;
    }

    // Locals rather than fields in this loop, which runs once per byte outside strings.
    let depth = this.depth;
    let inString = this.inString;
    let nextBackslash = this.nextBackslash;
    let pieceEnd = -1;
    while (index < length) {
      if (inString) {
        const quote = chunk.indexOf(QUOTE, index);
        if (nextBackslash !== -1 && nextBackslash < index) nextBackslash = chunk.indexOf(BACKSLASH, index);
        if (nextBackslash !== -1 && (quote === -1 || nextBackslash < quote)) {
          if (nextBackslash + 1 >= length) {
            this.escapePending = true;
            index = length;
            break;
          }
          index = nextBackslash + 2;
          continue;
        }
        if (quote === -1) {
          index = length;
          break;
        }
        index = quote + 1;
        inString = false;
        if (depth === 0) {
          pieceEnd = index;
          break;
        }
        continue;
      }
      const byteClass = BYTE_CLASS[chunk[index] as number];
      index++;
      if (byteClass === OTHER) continue;
      if (byteClass === STRING_START) {
        inString = true;
      } else if (byteClass === OPENING) {
        depth++;
      } else if (--depth === 0) {
        pieceEnd = index;
        break;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.nextBackslash = nextBackslash;
    if (pieceEnd !== -1) this.endPiece(chunk, pieceEnd);
    return index;
  }

  private endPiece(chunk: Buffer, end: number): void {
    let text: string;
    if (this.parts.length === 0) {
      text = chunk.toString("utf8", this.pieceStart, end);
    } else {
      this.parts.push(chunk.subarray(this.pieceStart, end));
      text = Buffer.concat(this.parts).toString("utf8");
      this.parts = [];
    }
    this.collecting = false;

    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new NotHandled("a piece is not valid JSON");
    }
    if (this.pieceKind === "element") this.strings.share(value);
    switch (this.pieceKind) {
      case "key":
        this.key = value as string;
        this.expect = Expect.Colon;
        break;
      case "value":
        this.assign(value);
        this.expect = Expect.MemberSeparator;
        break;
      case "element":
        this.array?.push(value);
        this.expect = Expect.ElementSeparator;
        break;
    }
  }

  private assign(value: unknown): void {
    if (this.key === "__proto__") {
      // JSON.parse makes "__proto__" an own property; plain assignment would set the prototype.
      Object.defineProperty(this.root, this.key, { value, writable: true, enumerable: true, configurable: true });
    } else {
      this.root[this.key] = value;
    }
  }
}

/**
 * Makes each parsed item reuse the strings of the previous item of the same kind wherever both
 * hold equal strings at the same place. V8's JSON.parse shares string values of up to 10
 * characters but gives every longer one its own copy, so each pod would keep its own copy of its
 * image names, label values, paths and environment values. Items of one kind are listed together
 * and the pods of one workload sit side by side, so comparing with the previous item finds most
 * repeats without hashing every string. A string pool would find more, but it cost about three
 * times the CPU time when measured on the benchmark snapshot. On the benchmark's 50,000-pod snapshot this saves about a fifth of the parsed
 * objects' memory.
 */
class RepeatedStrings {
  private readonly previousByKind = new Map<unknown, unknown>();

  /** Replaces, in place, strings in `item` that equal those of the previous item of its kind. */
  share(item: unknown): void {
    if (typeof item !== "object" || item === null) return;
    const kind = (item as Record<string, unknown>).kind;
    reuseStrings(item as Record<string, unknown>, this.previousByKind.get(kind));
    this.previousByKind.set(kind, item);
  }
}

/** Strings of up to this length are shared by JSON.parse already. */
const SHARED_BY_PARSER = 10;

function reuseStrings(value: Record<string, unknown> | unknown[], previous: unknown): void {
  if (Array.isArray(value)) {
    const before = Array.isArray(previous) ? previous : undefined;
    for (let index = 0; index < value.length; index++) {
      const item = value[index];
      const old = before?.[index];
      if (typeof item === "string") {
        if (typeof old === "string" && item.length > SHARED_BY_PARSER && old === item) value[index] = old;
      } else if (typeof item === "object" && item !== null) {
        reuseStrings(item as Record<string, unknown>, old);
      }
    }
    return;
  }

  const before =
    typeof previous === "object" && previous !== null && !Array.isArray(previous)
      ? (previous as Record<string, unknown>)
      : undefined;
  for (const key in value) {
    const item = value[key];
    const old = before?.[key];
    if (typeof item === "string") {
      // Assigning "__proto__" would set the prototype instead of the own property JSON.parse made.
      if (typeof old === "string" && item.length > SHARED_BY_PARSER && old === item && key !== "__proto__")
        value[key] = old;
    } else if (typeof item === "object" && item !== null) {
      reuseStrings(item as Record<string, unknown>, old);
    }
  }
}

/**
 * Reads a `.json` or `.json.gz` file whose text is one JSON object, such as a `kind: List` from
 * `kubectl get -o json` or a meshproof snapshot, without building the text as one string (see
 * JsonObjectScanner). Returns undefined for anything it does not handle (UTF-16 or other
 * encodings, a top-level array, invalid JSON or gzip data), so the caller reads the file the usual
 * way and reports any error with its place. I/O errors are returned as undefined too, for the same
 * reason.
 */
export async function readJsonObjectFile(
  path: string,
): Promise<{ value: Record<string, unknown>; line: number } | undefined> {
  const gzipped = await startsWithGzipMagic(path);
  if (gzipped === undefined) return undefined;

  const scanner = new JsonObjectScanner();
  const fileStream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const source = gzipped ? fileStream.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : fileStream;
  if (gzipped) fileStream.on("error", (error) => source.destroy(error));
  try {
    let first = true;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let data = chunk;
      if (first) {
        first = false;
        if (data.length >= 2 && ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)))
          return undefined;
        if (data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
      }
      scanner.push(data);
    }
    return { value: scanner.finish(), line: scanner.line };
  } catch {
    // NotHandled, invalid gzip data or an I/O error: the usual reader reports each with its place.
    return undefined;
  } finally {
    fileStream.destroy();
    source.destroy();
  }
}

async function startsWithGzipMagic(path: string): Promise<boolean | undefined> {
  try {
    const handle = await open(path, "r");
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
