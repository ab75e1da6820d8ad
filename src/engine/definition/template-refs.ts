/**
 * Static analysis of a compiled expression: which scope names and which `steps.<name>` it reads.
 *
 * A regex over the text would be fooled by `input.items[*].steps.a` (a field of each item, not
 * the scope) or miss `$.steps.a` and `let $s = steps in $s.a`, so this walks the tree, tracking
 * what each sub-expression evaluates to: the scope, the `steps` object, or something else.
 */
import type { ExpressionNode } from "./template-parse";

/** Marker for an expression that reads `steps` as a whole (`keys(steps)`, `steps.*`, `@`). */
export const ALL_STEPS = "*";

type Value = "scope" | "steps" | "other";

export interface ExpressionAnalysis {
  /** Step names read as `steps.<name>`, plus ALL_STEPS when `steps` is used wholesale. */
  steps: Set<string>;
  /** Top-level scope names read (`input`, `steps`, `item`…). */
  roots: Set<string>;
  functions: Set<string>;
}

type Vars = ReadonlyMap<string, Value>;

export function analyzeExpression(ast: ExpressionNode, into?: ExpressionAnalysis): ExpressionAnalysis {
  const result = into ?? { steps: new Set(), roots: new Set(), functions: new Set() };
  const walker = new Walker(result);
  walker.consume(walker.visit(ast, "scope", new Map()));
  return result;
}

class Walker {
  constructor(private readonly result: ExpressionAnalysis) {}

  /** A value used as data (compared, passed to a function, returned): all of it is read. */
  consume(value: Value): void {
    if (value !== "other") this.result.steps.add(ALL_STEPS);
  }

  visit(node: ExpressionNode, current: Value, vars: Vars): Value {
    switch (node.type) {
      case "Field":
        return this.field(node.name, current);
      case "Current":
      case "Identity":
        return current;
      case "Root":
        return "scope";
      case "Variable":
        return vars.get(node.name) ?? "other";
      case "Subexpression":
      case "Pipe":
        return this.visit(node.right, this.visit(node.left, current, vars), vars);
      case "OrExpression":
      case "AndExpression":
        return this.merge(this.visit(node.left, current, vars), this.visit(node.right, current, vars));
      case "Ternary":
        this.consume(this.visit(node.condition, current, vars));
        return this.merge(this.visit(node.trueExpr, current, vars), this.visit(node.falseExpr, current, vars));
      case "LetExpression":
        return this.let(node, current, vars);
      default:
        return this.consumingNode(node, current, vars);
    }
  }

  private field(name: string, current: Value): Value {
    if (current === "scope") {
      this.result.roots.add(name);
      return name === "steps" ? "steps" : "other";
    }
    if (current === "steps") this.result.steps.add(name);
    return "other";
  }

  /** Nodes whose operands are used as data and whose result is never the scope or `steps`. */
  private consumingNode(node: ExpressionNode, current: Value, vars: Vars): Value {
    switch (node.type) {
      case "Projection":
      case "ValueProjection":
      case "FilterProjection": {
        // Elements of a projection are evaluated against each item, not the scope.
        this.consume(this.visit(node.left, current, vars));
        if (node.type === "FilterProjection") this.visit(node.condition, "other", vars);
        this.visit(node.right, "other", vars);
        return "other";
      }
      case "IndexExpression":
        this.consume(this.visit(node.left, current, vars));
        return "other";
      case "ExpressionReference":
        this.visit(node.child, "other", vars);
        return "other";
      case "Flatten":
      case "NotExpression":
        this.consume(this.visit(node.child, current, vars));
        return "other";
      case "Unary":
        this.consume(this.visit(node.operand, current, vars));
        return "other";
      case "Arithmetic":
      case "Comparator":
        this.consume(this.visit(node.left, current, vars));
        this.consume(this.visit(node.right, current, vars));
        return "other";
      case "Function":
        this.result.functions.add(node.name);
        for (const child of node.children) this.consume(this.visit(child, current, vars));
        return "other";
      case "MultiSelectList":
        for (const child of node.children) this.consume(this.visit(child, current, vars));
        return "other";
      case "MultiSelectHash":
        for (const pair of node.children) this.consume(this.visit(pair.value, current, vars));
        return "other";
      default:
        // Literal, Index, Slice: no operands.
        return "other";
    }
  }

  private let(node: Extract<ExpressionNode, { type: "LetExpression" }>, current: Value, vars: Vars): Value {
    const inner = new Map(vars);
    for (const binding of node.bindings) inner.set(binding.variable, this.visit(binding.reference, current, vars));
    return this.visit(node.expression, current, inner);
  }

  /** `a || b` yields either operand: keep what both could be, or give up precision. */
  private merge(a: Value, b: Value): Value {
    if (a === b || b === "other") return a;
    if (a === "other") return b;
    this.consume(a);
    this.consume(b);
    return "other";
  }
}
