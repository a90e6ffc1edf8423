import { parse, pathToRegexp, TokenData, type Token } from 'path-to-regexp';

/** A route template, parsed: what is the route's own text, and where each parameter goes. */
export type TemplateToken =
  | { type: 'text'; value: string }
  | { type: 'param'; name: string }
  | { type: 'wildcard'; name: string }
  /** Left out, whole, when a parameter inside is absent (Express 5's `{/:id}`, Fastify's `/:id?`). */
  | { type: 'group'; tokens: TemplateToken[] };

export type RouterSyntax = 'express' | 'fastify';

const parsed: Record<RouterSyntax, Map<string, TemplateToken[]>> = { express: new Map(), fastify: new Map() };

/** The template's tokens, parsed once per route (templates come from the code, never from requests). */
export function templateTokens(template: string, syntax: RouterSyntax): TemplateToken[] {
  const cache = parsed[syntax];
  let tokens = cache.get(template);
  if (!tokens) {
    tokens = syntax === 'express' ? (parse(template).tokens as TemplateToken[]) : fastifyTokens(template);
    cache.set(template, tokens);
  }
  return tokens;
}

/** Express templates with a group that holds no parameter: each of their variants, in Express's order. */
const variants = new Map<string, Array<{ tokens: TemplateToken[]; regexp: RegExp }> | null>();
/** path-to-regexp refuses more combinations than this. */
const MAX_VARIANTS = 256;

/**
 * The tokens of the variant of an Express template that the router matched `path` with. A group
 * that holds a parameter is there when its parameter is; one that holds none (`/export{.csv}`)
 * leaves no trace in the parameters, so the path is matched again against each variant, groups
 * first in and then out, as path-to-regexp orders them in the one expression the router tries:
 * the first that matches is the router's. Undefined when none does.
 */
export function matchedVariant(template: string, tokens: TemplateToken[], path: string): TemplateToken[] | undefined {
  if (!tokens.some(holdsTextOnlyGroup)) return tokens;
  let list = variants.get(template);
  if (list === undefined) {
    const flat: TemplateToken[][] = [];
    flatten(tokens, [], flat);
    list = flat.length > MAX_VARIANTS ? null : flat.map((variant) => ({
      tokens: variant,
      // Express's defaults: case-insensitive, a trailing slash allowed, the whole path.
      regexp: pathToRegexp(new TokenData(variant as Token[], template), { sensitive: false, trailing: true, end: true }).regexp,
    }));
    variants.set(template, list);
  }
  return list?.find((variant) => variant.regexp.test(path))?.tokens;
}

function holdsTextOnlyGroup(token: TemplateToken): boolean {
  if (token.type !== 'group') return false;
  return !token.tokens.some(function holdsParameter(inner: TemplateToken): boolean {
    return inner.type === 'param' || inner.type === 'wildcard' || (inner.type === 'group' && inner.tokens.some(holdsParameter));
  }) || token.tokens.some(holdsTextOnlyGroup);
}

/** Every sequence without groups, a group's tokens first in, then out (path-to-regexp's order). */
function flatten(tokens: readonly TemplateToken[], prefix: TemplateToken[], out: TemplateToken[][]): void {
  const at = tokens.findIndex((token) => token.type === 'group');
  if (at === -1) {
    out.push([...prefix, ...tokens]);
    return;
  }
  const group = tokens[at] as Extract<TemplateToken, { type: 'group' }>;
  const before = [...prefix, ...tokens.slice(0, at)];
  const after = tokens.slice(at + 1);
  flatten([...group.tokens, ...after], before, out);
  flatten(after, before, out);
}

/**
 * The template with each parameter's value in its place, each value confined to the place it
 * holds: a `/`, `\` or `%` inside a value is written percent-encoded, as are values `.` and `..`,
 * so that no byte of a parameter can add a segment, remove one, or pass for the route's own text.
 * A wildcard's value holds segments: each is confined. Throws when a required parameter is absent.
 */
export function fillTemplate(tokens: readonly TemplateToken[], params: Readonly<Record<string, unknown>>): string {
  let path = '';
  for (const token of tokens) {
    if (token.type === 'text') path += token.value;
    else if (token.type === 'group') path += fillGroup(token.tokens, params);
    else {
      const value = params[token.name];
      if (token.type === 'param' && typeof value === 'string') path += confined(value);
      else if (token.type === 'wildcard' && (typeof value === 'string' || Array.isArray(value))) path += confinedSegments(value);
      else throw new MissingParameter(token.name);
    }
  }
  return path;
}

class MissingParameter extends Error {}

function fillGroup(tokens: readonly TemplateToken[], params: Readonly<Record<string, unknown>>): string {
  try {
    return fillTemplate(tokens, params);
  } catch (error) {
    if (error instanceof MissingParameter) return '';
    throw error;
  }
}

/** One segment's value, as a segment that cannot be read as anything else. */
export function confined(value: string): string {
  if (value === '.' || value === '..') return value.replaceAll('.', '%2E');
  return value.replace(/[%/\\]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Express hands a wildcard over as its segments; Fastify as one string, already decoded. */
function confinedSegments(value: string | readonly unknown[]): string {
  const segments = typeof value === 'string' ? value.split('/') : value;
  if (segments.some((segment) => typeof segment !== 'string')) throw new MissingParameter('*');
  return (segments as string[]).map(confined).join('/');
}

/**
 * find-my-way's syntax, read as find-my-way reads it: `:name` up to `(`, `-`, `.` or `/`, with an
 * optional `(regex)` right after it (`:id(^\\d+)`, not part of the path); `::` for a literal colon;
 * `*` (the last character) for the rest of the path; a last `:name?` is optional (Fastify).
 */
function fastifyTokens(template: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let text = '';
  const flushText = () => {
    if (text) tokens.push({ type: 'text', value: text });
    text = '';
  };
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if (char === ':' && template[i + 1] === ':') {
      text += ':';
      i++;
    } else if (char === ':') {
      let end = i + 1;
      while (end < template.length && !'(-./'.includes(template[end]!)) end++;
      let name = template.slice(i + 1, end);
      if (template[end] === '(') end = closingParenthesis(template, end) + 1;
      if (name.endsWith('?') && end === template.length && text.endsWith('/')) {
        name = name.slice(0, -1);
        text = text.slice(0, -1);
        flushText();
        tokens.push({ type: 'group', tokens: [{ type: 'text', value: '/' }, { type: 'param', name }] });
      } else {
        flushText();
        tokens.push({ type: 'param', name });
      }
      i = end - 1;
    } else if (char === '*') {
      flushText();
      tokens.push({ type: 'wildcard', name: '*' });
    } else text += char;
  }
  flushText();
  return tokens;
}

/** As find-my-way finds the end of a parameter's regex: nested parentheses, `\` escaping one character. */
function closingParenthesis(template: string, open: number): number {
  let depth = 1;
  for (let i = open + 1; i < template.length; i++) {
    if (template[i] === '\\') i++;
    else if (template[i] === ')' && --depth === 0) return i;
    else if (template[i] === '(') depth++;
  }
  throw new SyntaxError(`unbalanced "(" in the route ${template}`);
}
