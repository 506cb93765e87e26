/**
 * Locates the first syntax error in JSON text. V8's JSON.parse messages on Node 20 often give no
 * position and quote the surrounding text, which may be a Secret's value, so the reader runs this
 * scanner after JSON.parse has failed and reports only its offset and reason.
 */
export interface JsonSyntaxError {
  /** Offset in UTF-16 code units from the start of the text. */
  offset: number;
  reason: string;
}

class JsonSyntaxFailure extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Returns the first syntax error in `text`, or undefined when the text is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new JsonScanner(text);
  try {
    scanner.scanDocument();
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxFailure) {
      return { offset: error.offset, reason: error.reason };
    }
    // A RangeError from nesting deeper than the call stack allows: JSON.parse rejected the text,
    // but the scanner cannot locate the error.
    return undefined;
  }
}

class JsonScanner {
  private position = 0;

  constructor(private readonly text: string) {}

  scanDocument(): void {
    this.scanValue();
    this.skipWhitespace();
    if (this.position < this.text.length) {
      this.fail("unexpected text after the end of the JSON value (one .json file holds one document)");
    }
  }

  private scanValue(): void {
    this.skipWhitespace();
    const character = this.text[this.position];
    switch (character) {
      case undefined:
        this.fail("unexpected end of input");
        break;
      case "{":
        this.scanObject();
        break;
      case "[":
        this.scanArray();
        break;
      case '"':
        this.scanString();
        break;
      case "t":
        this.scanLiteral("true");
        break;
      case "f":
        this.scanLiteral("false");
        break;
      case "n":
        this.scanLiteral("null");
        break;
      default:
        if (character === "-" || isDigit(character)) {
          this.scanNumber();
        } else {
          this.fail(`unexpected character ${JSON.stringify(character)}`);
        }
    }
  }

  private scanObject(): void {
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === "}") {
      this.position++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') {
        this.failAtCharacter("expected a property name in double quotes");
      }
      this.scanString();
      this.skipWhitespace();
      if (this.text[this.position] !== ":") {
        this.failAtCharacter("expected ':' after a property name");
      }
      this.position++;
      this.scanValue();
      this.skipWhitespace();
      const separator = this.text[this.position];
      if (separator === "}") {
        this.position++;
        return;
      }
      if (separator !== ",") {
        this.failAtCharacter("expected ',' or '}' after a property value");
      }
      this.position++;
    }
  }

  private scanArray(): void {
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === "]") {
      this.position++;
      return;
    }
    for (;;) {
      this.scanValue();
      this.skipWhitespace();
      const separator = this.text[this.position];
      if (separator === "]") {
        this.position++;
        return;
      }
      if (separator !== ",") {
        this.failAtCharacter("expected ',' or ']' after an array element");
      }
      this.position++;
    }
  }

  private scanString(): void {
    const start = this.position;
    this.position++;
    for (;;) {
      const code = this.text.charCodeAt(this.position);
      if (Number.isNaN(code)) {
        this.fail("unterminated string", start);
      }
      if (code === 0x22) {
        this.position++;
        return;
      }
      if (code < 0x20) {
        this.fail("control character in a string (write it as an escape such as \\n)");
      }
      if (code === 0x5c) {
        this.scanEscape();
      } else {
        this.position++;
      }
    }
  }

  private scanEscape(): void {
    const escaped = this.text[this.position + 1];
    if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) {
      this.position += 2;
      return;
    }
    if (escaped === "u" && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.position + 2, this.position + 6))) {
      this.position += 6;
      return;
    }
    this.fail("invalid escape sequence in a string");
  }

  private scanNumber(): void {
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = this.position;
    const found = match.exec(this.text);
    const end = found ? this.position + found[0].length : this.position;
    // A number must not run straight into more number characters, as in `01` or `1.`.
    if (!found || /[0-9.eE+-]/.test(this.text[end] ?? "")) {
      this.fail("invalid number");
    }
    this.position = end;
  }

  private scanLiteral(literal: string): void {
    if (this.text.startsWith(literal, this.position)) {
      this.position += literal.length;
      return;
    }
    this.fail(`invalid literal (expected ${literal})`);
  }

  private skipWhitespace(): void {
    for (;;) {
      const code = this.text.charCodeAt(this.position);
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) {
        this.position++;
      } else {
        return;
      }
    }
  }

  private failAtCharacter(expectation: string): never {
    const character = this.text[this.position];
    const found = character === undefined ? "the end of input" : JSON.stringify(character);
    this.fail(`${expectation}, found ${found}`);
  }

  private fail(reason: string, offset: number = this.position): never {
    throw new JsonSyntaxFailure(offset, reason);
  }
}

function isDigit(character: string): boolean {
  return character >= "0" && character <= "9";
}
