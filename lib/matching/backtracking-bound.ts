import type { Alternative, Element, Node, Pattern, Quantifier } from '@eslint-community/regexpp/ast';

/**
 * How many ways a pattern's fixed parts (alternations, bounded repetitions) may be matched at most,
 * beyond which a backtracking engine is not trusted with it.
 */
const MAX_WAYS = 16;

/**
 * Whether a backtracking engine (V8's) matches this anchored pattern in time linear in the input,
 * proven from its shape: no back-reference and no lookaround; every repetition repeats a single
 * character (a literal, a class, `.`, `\d`...), or is a bounded repetition of a group without one;
 * at most one repetition without an upper bound; and the alternations and bounded repetitions
 * multiply to at most 16 ways. Backtracking then tries at
 * most 16 ways for each of the n + 1 lengths of the one unbounded repetition: O(16 n).
 *
 * `/public/.*`, `<.+>`, `<[0-9]+>` qualify; `/wild/.*\/.*\/.*\.js` (three unbounded repetitions,
 * O(n^3)) and `(a+)+` do not, and are left to a linear-time engine.
 */
export function backtracksLinearly(pattern: Pattern): boolean {
  const tally = { unbounded: 0, ways: 1 };
  return visit(pattern, tally) && tally.unbounded <= 1 && tally.ways <= MAX_WAYS;
}

function visit(node: Node, tally: { unbounded: number; ways: number }): boolean {
  switch (node.type) {
    case 'Pattern':
    case 'Group':
    case 'CapturingGroup':
      if (node.type === 'Group' && node.modifiers) return false;
      tally.ways *= node.alternatives.length;
      return node.alternatives.every((alternative: Alternative) => alternative.elements.every((element) => visit(element, tally)));
    case 'Quantifier':
      return visitQuantifier(node, tally);
    case 'Character':
    case 'CharacterClass':
    case 'CharacterSet':
      return true;
    case 'Assertion':
      // ^ $ \b \B cost nothing; lookarounds are searches of their own.
      return node.kind === 'start' || node.kind === 'end' || node.kind === 'word';
    default:
      // Back-references and anything this proof does not know.
      return false;
  }
}

function visitQuantifier(node: Quantifier, tally: { unbounded: number; ways: number }): boolean {
  if (matchesOneCharacter(node.element)) {
    if (node.max === Number.POSITIVE_INFINITY) tally.unbounded++;
    else tally.ways *= node.max - node.min + 1;
    return true;
  }
  // A group repeated a bounded number of times (`(check)?`), with no unbounded repetition inside:
  // each count k of repetitions may be matched in inner^k ways.
  if (node.max === Number.POSITIVE_INFINITY) return false;
  const inner = { unbounded: 0, ways: 1 };
  if (!visit(node.element, inner) || inner.unbounded > 0) return false;
  let ways = 0;
  for (let k = node.min; k <= node.max && ways <= MAX_WAYS; k++) ways += inner.ways ** k;
  tally.ways *= ways;
  return true;
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
