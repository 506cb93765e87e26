/**
 * A strict parser for the XML subset the JUnit renderer writes: one declaration, elements, attributes
 * in double quotes, text and the five predefined entities plus character references. It throws on
 * anything not well-formed in that subset (mismatched tags, a raw `<` or `&`, an unknown entity, a
 * duplicate attribute, a character XML 1.0 forbids), so a test can trust a document it accepts.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const FORBIDDEN = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

function decode(value: string, where: number): string {
  if (value.includes("<")) throw new Error(`raw < at ${where}`);
  return value.replace(/&([^;]*);|&/g, (match, name: string | undefined) => {
    if (name === undefined) throw new Error(`bare & at ${where}`);
    if (name in ENTITIES) return ENTITIES[name] ?? "";
    const code = /^#x[0-9a-f]+$/i.test(name)
      ? Number.parseInt(name.slice(2), 16)
      : /^#\d+$/.test(name)
        ? Number(name.slice(1))
        : -1;
    if (code < 0) throw new Error(`unknown entity ${match} at ${where}`);
    const character = String.fromCodePoint(code);
    if (FORBIDDEN.test(character)) throw new Error(`reference to a forbidden character ${match} at ${where}`);
    return character;
  });
}

export function parseXml(source: string): XmlElement {
  if (FORBIDDEN.test(source)) throw new Error("document contains a character XML 1.0 forbids");
  let position = 0;
  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>\s*/.exec(source);
  if (declaration) position = declaration[0].length;

  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"]*")*)\s*(\/?)>/y;
  const attribute = /\s+([A-Za-z_][\w.-]*)="([^"]*)"/g;

  while (position < source.length) {
    const current = stack.at(-1) as XmlElement;
    const next = source.indexOf("<", position);
    const text = source.slice(position, next === -1 ? source.length : next);
    current.text += decode(text, position);
    if (next === -1) break;

    tag.lastIndex = next;
    const match = tag.exec(source);
    if (!match) throw new Error(`malformed tag at ${next}: ${source.slice(next, next + 40)}`);
    const [whole, closing, name = "", attributeText = "", selfClosing] = match;
    position = next + whole.length;

    if (closing) {
      if (current.name !== name) throw new Error(`</${name}> at ${next} closes <${current.name}>`);
      stack.pop();
      continue;
    }
    const element: XmlElement = { name, attributes: {}, children: [], text: "" };
    for (const [, key = "", value = ""] of attributeText.matchAll(attribute)) {
      if (key in element.attributes) throw new Error(`duplicate attribute ${key} at ${next}`);
      element.attributes[key] = decode(value, next);
    }
    current.children.push(element);
    if (!selfClosing) stack.push(element);
  }

  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)?.name}>`);
  if (root.children.length !== 1 || root.text.trim() !== "")
    throw new Error("document must have exactly one root element");
  return root.children[0] as XmlElement;
}
