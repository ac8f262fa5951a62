import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * A parsed XML element with case-insensitive access: r_keeper and the FarCards bridges are not
 * consistent about case (`Unpay` / `unpay`, `ROOT` / `Root`), so names are compared lower-cased.
 * Attribute values stay strings: card numbers are Int64 and must never pass through a float.
 */
export interface XmlNode {
  /** The element name as written. */
  name: string;
  /** Attributes keyed by their lower-cased name. */
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Text content directly inside the element (trimmed, concatenated). */
  text: string;
}

export type ParsedXml = { ok: true; root: XmlNode } | { ok: false; reason: string };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function build(item: Ordered): XmlNode | undefined {
  const name = Object.keys(item).find((k) => k !== ':@');
  if (!name || name === '#text' || name === '#comment' || name === '#cdata') return undefined;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(item[':@'] ?? {})) attrs[k.toLowerCase()] = String(v);
  const children: XmlNode[] = [];
  let text = '';
  for (const c of (item[name] as Ordered[]) ?? []) {
    if ('#text' in c) text += String(c['#text']);
    else if ('#cdata' in c) text += ((c['#cdata'] as Ordered[]) ?? []).map((t) => String(t['#text'] ?? '')).join('');
    else {
      const n = build(c);
      if (n) children.push(n);
    }
  }
  return { name, attrs, children, text: text.trim() };
}

/**
 * Decodes the bytes of an XML body: UTF-8 unless the declaration names windows-1251 (older
 * Windows-side bridges write their native code page); a UTF-8 BOM is dropped.
 */
export function decodeXml(body: Buffer): string {
  const head = body.subarray(0, 200).toString('latin1');
  const m = /<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_-]+)["']/i.exec(head);
  const enc = m?.[1]?.toLowerCase();
  if (enc && /^(windows-1251|cp1251)$/.test(enc)) return new TextDecoder('windows-1251').decode(body);
  return new TextDecoder('utf-8').decode(body).replace(/^\uFEFF/, '');
}

/**
 * Parses one XML document. Refuses what r_keeper never sends and what would be unsafe to expand:
 * a DOCTYPE (entity definitions), an empty body, more than one root, or malformed markup.
 */
export function parseXml(text: string): ParsedXml {
  const src = text.trim();
  if (!src) return { ok: false, reason: 'empty body' };
  if (/<!DOCTYPE|<!ENTITY/i.test(src)) return { ok: false, reason: 'DOCTYPE and entity declarations are not accepted' };
  const valid = XMLValidator.validate(src);
  if (valid !== true) return { ok: false, reason: `${valid.err.msg} (line ${valid.err.line})` };
  let items: Ordered[];
  try {
    items = parser.parse(src) as Ordered[];
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const roots = items.map(build).filter((n): n is XmlNode => !!n);
  if (roots.length !== 1) return { ok: false, reason: roots.length ? 'more than one root element' : 'no root element' };
  return { ok: true, root: roots[0]! };
}

const lc = (s: string) => s.toLowerCase();

/** The attribute's value (case-insensitive name), or undefined. */
export function attr(node: XmlNode | undefined, name: string): string | undefined {
  return node?.attrs[lc(name)];
}

/** The first child element with this name (case-insensitive). */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((c) => lc(c.name) === lc(name));
}

/** Every child element with this name (case-insensitive). */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  return node?.children.filter((c) => lc(c.name) === lc(name)) ?? [];
}

/** Depth-first search for the first element with this name (the node itself included). */
export function find(node: XmlNode | undefined, name: string): XmlNode | undefined {
  if (!node) return undefined;
  if (lc(node.name) === lc(name)) return node;
  for (const c of node.children) {
    const f = find(c, name);
    if (f) return f;
  }
  return undefined;
}

// ------------------------------------------------------------------ writing

/** An element to write: attributes in the given order (undefined ones are left out). */
export interface XmlOut {
  name: string;
  attrs?: [string, string | number | undefined][];
  children?: XmlOut[];
}

const escapeAttr = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');

function write(e: XmlOut): string {
  const attrs = (e.attrs ?? [])
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join('');
  if (!e.children?.length) return `<${e.name}${attrs}/>`;
  return `<${e.name}${attrs}>${e.children.map(write).join('')}</${e.name}>`;
}

/** Serializes a document (UTF-8 declaration, attribute values escaped, newlines kept as character references). */
export function toXml(root: XmlOut): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${write(root)}\n`;
}
