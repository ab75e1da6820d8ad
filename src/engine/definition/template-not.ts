/**
 * Where `!` applies in a template.
 *
 * In the JMESPath grammar `!` binds tighter than `.`, `[?…]`, `[]` and `.*`, so the library
 * parses `!steps.check.output.ok` as `(!steps).check.output.ok`: a field of a boolean, null
 * whatever the step answered. Every author (and the issue that found it) reads it as
 * `!(steps.check.output.ok)`, as in JavaScript, and the dependency analysis rightly saw it read
 * `steps` as a whole.
 *
 * Decision: a `!` followed by a path applies to the whole path. The compiled tree is rewritten
 * so that a path step (a field, an index, a slice, a projection, a filter, a flatten) whose
 * input is a `!` moves inside it: `(!a).b` becomes `!(a.b)`. This changes no useful expression:
 * every rewritten node read a field, element or projection of a boolean, which is null whatever
 * the data, and only such nodes are rewritten (a function call, multi-select or pipe after the
 * `!` keeps the library's meaning). `!` still binds tighter than comparisons and arithmetic,
 * as in JavaScript: `!a.b == c` is `(!(a.b)) == c`.
 */
import type { compile } from "@jmespath-community/jmespath";

export type ExpressionNode = ReturnType<typeof compile>;

/** The tree with every `!` that precedes a path moved to cover the whole path. */
export function bindNotToPaths(node: ExpressionNode): ExpressionNode {
  return hoist(mapChildren(node, bindNotToPaths));
}

/** `node` with its children rewritten by `f` (a fresh object when any changed). */
function mapChildren(node: ExpressionNode, f: (child: ExpressionNode) => ExpressionNode): ExpressionNode {
  switch (node.type) {
    case "Subexpression":
    case "Pipe":
    case "OrExpression":
    case "AndExpression":
    case "IndexExpression":
    case "Projection":
    case "ValueProjection":
      return { ...node, left: f(node.left), right: f(node.right) };
    case "FilterProjection":
      return { ...node, left: f(node.left), right: f(node.right), condition: f(node.condition) };
    case "Comparator":
    case "Arithmetic":
      return { ...node, left: f(node.left), right: f(node.right) };
    case "NotExpression":
    case "Flatten":
    case "ExpressionReference":
      return { ...node, child: f(node.child) };
    case "Unary":
      return { ...node, operand: f(node.operand) };
    case "Ternary":
      return { ...node, condition: f(node.condition), trueExpr: f(node.trueExpr), falseExpr: f(node.falseExpr) };
    case "Function":
    case "MultiSelectList":
      return { ...node, children: node.children.map(f) };
    case "MultiSelectHash":
      return { ...node, children: node.children.map((pair) => ({ ...pair, value: f(pair.value) })) };
    case "LetExpression":
      return {
        ...node,
        bindings: node.bindings.map((binding) => ({ ...binding, reference: f(binding.reference) })),
        expression: f(node.expression),
      };
    case "Binding":
      return { ...node, reference: f(node.reference) };
    default:
      // Field, Literal, Index, Slice, Identity, Current, Root, Variable: no children.
      return node;
  }
}

/** A path step over a `!` (its children already rewritten) becomes a `!` over the path step. */
function hoist(node: ExpressionNode): ExpressionNode {
  switch (node.type) {
    case "Subexpression":
      // `(!a).b`: only when the right side is null on a boolean (not `(!a).length(@)`).
      if (node.left.type === "NotExpression" && nullOnScalar(node.right))
        return not({ ...node, left: node.left.child });
      return node;
    case "IndexExpression":
    case "Projection":
    case "ValueProjection":
    case "FilterProjection":
      // Indexing or projecting a boolean is null.
      if (node.left.type === "NotExpression") return not({ ...node, left: node.left.child });
      return node;
    case "Flatten":
      if (node.child.type === "NotExpression") return not({ ...node, child: node.child.child });
      return node;
    default:
      return node;
  }
}

/** The inner node may itself start with a `!` (`!!a.b`): hoist again. */
function not(inner: ExpressionNode): ExpressionNode {
  return { type: "NotExpression", child: hoist(inner) };
}

/** True when evaluating `node` against a boolean (or any non-object) always yields null. */
function nullOnScalar(node: ExpressionNode): boolean {
  switch (node.type) {
    case "Field":
    case "Index":
      return true;
    case "Subexpression":
    case "IndexExpression":
    case "Projection":
    case "ValueProjection":
    case "FilterProjection":
      return nullOnScalar(node.left);
    case "Flatten":
      return nullOnScalar(node.child);
    default:
      return false;
  }
}
