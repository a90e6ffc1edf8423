import type { AST } from '@eslint-community/regexpp';

type Element = AST.Element;
type Node = AST.Node;
type Pattern = AST.Pattern;
type Quantifier = AST.Quantifier;

/**
 * Beyond these, a backtracking engine is not trusted with a pattern: the ways its fixed parts
 * (alternations, bounded repetitions) can be matched, and those ways times the characters one
 * attempt may test (`a{1000}b` is one way, but a thousand steps at each start of a retry).
 */
const MAX_WAYS = 16;
const MAX_WORK = 256;

interface Tally {
  /** Repetitions without an upper bound. */
  unbounded: number;
  /** An upper bound on the ways the rest can be matched from one position. */
  ways: number;
}

/**
 * Whether a backtracking engine (V8's) matches this anchored pattern in time linear in the input,
 * proven from its shape: no back-reference and no lookaround; every repetition repeats a single
 * character (a literal, a class, `.`, `\d`...), or is a bounded repetition of a group without one;
 * at most one repetition without an upper bound; the alternations and bounded repetitions multiply
 * to at most 16 ways, and those ways times the characters one attempt tests to at most 256.
 * Backtracking then retries at most 16 ways of at most 256 steps for each of the n + 1 lengths of
 * the one unbounded repetition: O(256 n).
 *
 * `/public/.*`, `<.+>`, `<[0-9]+>` qualify; `/wild/.*\/.*\/.*\.js` (three unbounded repetitions,
 * O(n^3)), `(a+)+` and `.*a{1000}b` do not, and are left to a linear-time engine.
 */
export function backtracksLinearly(pattern: Pattern): boolean {
  const tally: Tally = { unbounded: 0, ways: 1 };
  const width = visit(pattern, tally);
  return width !== undefined && tally.unbounded <= 1 && tally.ways <= MAX_WAYS && tally.ways * width <= MAX_WORK;
}

/** The most characters one attempt at `node` tests (a repetition without bound counting one), or undefined: not provable. */
function visit(node: Node, tally: Tally): number | undefined {
  switch (node.type) {
    case 'Pattern':
    case 'Group':
    case 'CapturingGroup': {
      if (node.type === 'Group' && node.modifiers) return undefined;
      tally.ways *= node.alternatives.length;
      let widest = 0;
      for (const alternative of node.alternatives) {
        let width = 0;
        for (const element of alternative.elements) {
          const own = visit(element, tally);
          if (own === undefined) return undefined;
          width += own;
        }
        widest = Math.max(widest, width);
      }
      return widest;
    }
    case 'Quantifier':
      return visitQuantifier(node, tally);
    case 'Character':
    case 'CharacterClass':
    case 'CharacterSet':
      return 1;
    case 'Assertion':
      // ^ $ \b \B cost nothing; lookarounds are searches of their own.
      return node.kind === 'start' || node.kind === 'end' || node.kind === 'word' ? 0 : undefined;
    default:
      // Back-references and anything this proof does not know.
      return undefined;
  }
}

function visitQuantifier(node: Quantifier, tally: Tally): number | undefined {
  if (matchesOneCharacter(node.element)) {
    if (node.max === Number.POSITIVE_INFINITY) {
      tally.unbounded++;
      return 1;
    }
    tally.ways *= node.max - node.min + 1;
    return node.max;
  }
  // A group repeated a bounded number of times (`(check)?`), with no unbounded repetition inside:
  // each count k of repetitions may be matched in inner^k ways.
  if (node.max === Number.POSITIVE_INFINITY || node.max > MAX_WORK) return undefined;
  const inner: Tally = { unbounded: 0, ways: 1 };
  const width = visit(node.element, inner);
  if (width === undefined || inner.unbounded > 0) return undefined;
  let ways = 0;
  for (let k = node.min; k <= node.max && ways <= MAX_WAYS; k++) ways += inner.ways ** k;
  tally.ways *= ways;
  return width * node.max;
}

/** An element that always consumes exactly one character. */
function matchesOneCharacter(element: Element): boolean {
  switch (element.type) {
    case 'Character':
      return true;
    case 'CharacterSet':
      // \p{RGI_Emoji} and other properties of strings match sequences.
      return !(element.kind === 'property' && element.strings);
    case 'CharacterClass':
      // A `v`-flag class may hold strings (\q{ab}).
      return !element.unicodeSets;
    default:
      return false;
  }
}
