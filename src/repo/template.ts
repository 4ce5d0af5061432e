/**
 * The part of Go's text/template that siderolabs/extensions uses, evaluated the way bldr evaluates
 * `pkg.yaml`, `vars.yaml` and `*.tmpl` files (siderolabs/bldr internal/pkg/types: `template.New(...).
 * Funcs(sprig.HermeticTxtFuncMap()).Parse(...)`, executed over a `map[string]string`):
 *  - `{{ .NAME }}`: a variable; a missing one prints `<no value>` without any error (the default
 *    `missingkey` option), which is why every reference is checked against the variables in scope;
 *  - `{{ if … }}`, `{{ else if … }}`, `{{ else }}`, `{{ end }}` with `eq` and `ne`;
 *  - the sprig functions seen upstream: `substr START END S` and `replace OLD NEW S`, also in pipelines;
 *  - `{{-` / `-}}` whitespace trimming and `{{/* comments *\/}}`.
 * Anything else (range, with, define, variables, other functions) is reported as not evaluated rather than
 * guessed. The output keeps a map back to the source, so that positions in the rendered YAML can be reported
 * in the file the user edits.
 */

export interface TemplateIssue {
  /** Source offset (UTF-16 code units) of the construct at fault. */
  readonly offset: number;
  readonly kind: "syntax" | "unsupported";
  readonly message: string;
}

/** A `.NAME` reference in an action, wherever it sits (taken or untaken branch). */
export interface VariableRef {
  readonly name: string;
  readonly offset: number;
}

export interface Rendered {
  readonly text: string;
  /** Source offset of an output offset: exact in literal text, the action's start inside a substitution. */
  sourceOffset(outputOffset: number): number;
}

export interface TemplateResult {
  /** Absent when the template cannot be rendered (syntax error or an unsupported control structure). */
  readonly rendered?: Rendered;
  readonly refs: readonly VariableRef[];
  readonly issues: readonly TemplateIssue[];
}

type TokenKind = "field" | "string" | "number" | "ident" | "pipe" | "other";

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly value: string;
  readonly offset: number;
}

interface Action {
  /** Offset of `{{`. */
  readonly start: number;
  /** Offset just after `}}`. */
  readonly end: number;
  readonly trimLeft: boolean;
  readonly trimRight: boolean;
  readonly comment: boolean;
  readonly tokens: readonly Token[];
}

class TemplateSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r" || c === "\n";

/** Go string literal escapes (strconv.Unquote), enough for the literals templates hold. */
function unquote(raw: string, offset: number): string {
  let out = "";
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i] as string;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = raw[++i];
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", "'": "'", a: "\x07" };
    if (e !== undefined && e in simple) out += simple[e];
    else if (e === "x" && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
      out += String.fromCharCode(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new TemplateSyntaxError(offset, `unknown escape sequence \\${e ?? ""} in string`);
  }
  return out;
}

function tokenize(src: string, from: number, to: number): Token[] {
  const tokens: Token[] = [];
  let i = from;
  while (i < to) {
    const c = src[i] as string;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      i++;
      while (i < to && src[i] !== '"') i += src[i] === "\\" ? 2 : 1;
      if (i >= to) throw new TemplateSyntaxError(start, "unterminated quoted string");
      i++;
      const text = src.slice(start, i);
      tokens.push({ kind: "string", text, value: unquote(text, start), offset: start });
    } else if (c === "`") {
      const close = src.indexOf("`", i + 1);
      if (close < 0 || close >= to) throw new TemplateSyntaxError(start, "unterminated raw quoted string");
      i = close + 1;
      tokens.push({ kind: "string", text: src.slice(start, i), value: src.slice(start + 1, close), offset: start });
    } else if (c === "|") {
      i++;
      tokens.push({ kind: "pipe", text: "|", value: "|", offset: start });
    } else if (c === "." || /[A-Za-z_$]/.test(c)) {
      i++;
      while (i < to && /[A-Za-z0-9_.$]/.test(src[i] as string)) i++;
      const text = src.slice(start, i);
      const kind: TokenKind = text.startsWith(".")
        ? "field"
        : /^[A-Za-z_][A-Za-z0-9_]*$/.test(text)
          ? "ident"
          : "other";
      tokens.push({ kind, text, value: text.slice(kind === "field" ? 1 : 0), offset: start });
    } else if (/[-+0-9]/.test(c)) {
      i++;
      while (i < to && /[0-9A-Za-z_.]/.test(src[i] as string)) i++;
      const text = src.slice(start, i);
      tokens.push({ kind: /^[-+]?[0-9]+$/.test(text) ? "number" : "other", text, value: text, offset: start });
    } else {
      i++;
      tokens.push({ kind: "other", text: c, value: c, offset: start });
    }
  }
  return tokens;
}

/** Splits a template into literal text and actions, as text/template's lexer does. */
function lex(src: string): { texts: { start: number; end: number }[]; actions: Action[] } {
  const texts: { start: number; end: number }[] = [];
  const actions: Action[] = [];
  let pos = 0;
  for (;;) {
    const open = src.indexOf("{{", pos);
    if (open < 0) {
      texts.push({ start: pos, end: src.length });
      break;
    }
    texts.push({ start: pos, end: open });
    let inner = open + 2;
    const trimLeft = src[inner] === "-" && isSpace(src[inner + 1]);
    if (trimLeft) inner += 2;
    while (isSpace(src[inner])) inner++;
    if (src.startsWith("/*", inner)) {
      const close = src.indexOf("*/", inner + 2);
      if (close < 0) throw new TemplateSyntaxError(open, "unclosed comment");
      let after = close + 2;
      while (isSpace(src[after])) after++;
      const trimRight = src[after] === "-" && src.startsWith("}}", after + 1);
      const end = trimRight ? after + 3 : after + 2;
      if (!src.startsWith("}}", trimRight ? after + 1 : after)) {
        throw new TemplateSyntaxError(open, "comment ends before closing delimiter");
      }
      actions.push({ start: open, end, trimLeft, trimRight, comment: true, tokens: [] });
      pos = end;
      continue;
    }
    // The action ends at the first `}}` outside a string literal.
    let j = inner;
    let closeAt = -1;
    while (j < src.length) {
      const c = src[j];
      if (c === '"') {
        j++;
        while (j < src.length && src[j] !== '"' && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
        j++;
      } else if (c === "`") {
        const close = src.indexOf("`", j + 1);
        j = close < 0 ? src.length : close + 1;
      } else if (src.startsWith("}}", j)) {
        closeAt = j;
        break;
      } else j++;
    }
    if (closeAt < 0) throw new TemplateSyntaxError(open, "unclosed action");
    let innerEnd = closeAt;
    const trimRight = src[closeAt - 1] === "-" && isSpace(src[closeAt - 2]);
    if (trimRight) innerEnd = closeAt - 1;
    const tokens = tokenize(src, inner, innerEnd);
    actions.push({ start: open, end: closeAt + 2, trimLeft, trimRight, comment: false, tokens });
    pos = closeAt + 2;
  }
  // Apply trim markers to the neighbouring text.
  for (let k = 0; k < actions.length; k++) {
    const a = actions[k] as Action;
    const before = texts[k] as { start: number; end: number };
    const after = texts[k + 1] as { start: number; end: number };
    if (a.trimLeft) while (before.end > before.start && isSpace(src[before.end - 1])) before.end--;
    if (a.trimRight) while (after.start < after.end && isSpace(src[after.start])) after.start++;
  }
  return { texts, actions };
}

type Value =
  | { readonly kind: "string"; readonly s: string }
  | { readonly kind: "bool"; readonly b: boolean }
  | { readonly kind: "number"; readonly n: number }
  | { readonly kind: "missing" }
  | { readonly kind: "unknown" };

const show = (v: Value): string =>
  v.kind === "string"
    ? v.s
    : v.kind === "bool"
      ? String(v.b)
      : v.kind === "number"
        ? String(v.n)
        : v.kind === "missing"
          ? "<no value>"
          : "";

const truthy = (v: Value): boolean =>
  v.kind === "string" ? v.s !== "" : v.kind === "bool" ? v.b : v.kind === "number" ? v.n !== 0 : false;

const same = (a: Value, b: Value): boolean =>
  a.kind === b.kind && show(a) === show(b) && a.kind !== "missing" && a.kind !== "unknown";

class Unsupported extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a template reads its variables from. */
export interface Vars {
  get(name: string): string | undefined;
}

function operand(t: Token, vars: Vars): Value {
  switch (t.kind) {
    case "field": {
      if (t.value === "" || t.value.includes(".")) throw new Unsupported(t.offset, `field chain ${t.text}`);
      const v = vars.get(t.value);
      return v === undefined ? { kind: "missing" } : { kind: "string", s: v };
    }
    case "string":
      return { kind: "string", s: t.value };
    case "number":
      return { kind: "number", n: Number(t.value) };
    default:
      throw new Unsupported(t.offset, `operand ${t.text}`);
  }
}

function stringArg(v: Value): string | undefined {
  return v.kind === "string" ? v.s : v.kind === "missing" ? "<no value>" : undefined;
}

function call(fn: Token, args: Value[]): Value {
  const at = fn.offset;
  switch (fn.value) {
    case "eq":
    case "ne": {
      if (args.length < 2) throw new TemplateSyntaxError(at, `wrong number of args for ${fn.value}`);
      if (args.some((a) => a.kind === "unknown")) return { kind: "unknown" };
      const [first, ...rest] = args as [Value, ...Value[]];
      const equal = rest.some((a) => same(first, a));
      return { kind: "bool", b: fn.value === "eq" ? equal : !equal };
    }
    case "substr": {
      const [start, end, s] = args;
      if (args.length !== 3 || start?.kind !== "number" || end?.kind !== "number") {
        throw new TemplateSyntaxError(at, "substr takes START END STRING");
      }
      const text = s === undefined ? undefined : stringArg(s);
      if (text === undefined) return { kind: "unknown" };
      // sprig: a negative start keeps the head, an end past the string keeps the tail.
      if (start.n < 0) return { kind: "string", s: text.slice(0, end.n) };
      if (end.n < 0 || end.n > text.length) return { kind: "string", s: text.slice(start.n) };
      return { kind: "string", s: text.slice(start.n, end.n) };
    }
    case "replace": {
      if (args.length !== 3) throw new TemplateSyntaxError(at, "replace takes OLD NEW STRING");
      const [from, to, s] = args.map(stringArg);
      if (from === undefined || to === undefined || s === undefined) return { kind: "unknown" };
      return { kind: "string", s: s.replaceAll(from, to) };
    }
    default:
      throw new Unsupported(at, `function ${fn.value}`);
  }
}

/** Evaluates `cmd | cmd …`, each command an operand or a function call; a piped value is the last argument. */
function pipeline(tokens: readonly Token[], vars: Vars, at: number): Value {
  if (tokens.length === 0) throw new TemplateSyntaxError(at, "missing value for command");
  const commands: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === "pipe") commands.push([]);
    else (commands[commands.length - 1] as Token[]).push(t);
  }
  let piped: Value | undefined;
  for (const cmd of commands) {
    const [head, ...rest] = cmd;
    if (head === undefined) throw new TemplateSyntaxError(at, "missing command in pipeline");
    if (head.kind === "ident") {
      const args = rest.map((t) => operand(t, vars));
      if (piped !== undefined) args.push(piped);
      piped = call(head, args);
    } else {
      if (rest.length > 0 || piped !== undefined) {
        throw new TemplateSyntaxError(head.offset, `can't give argument to non-function ${head.text}`);
      }
      piped = operand(head, vars);
    }
  }
  return piped as Value;
}

type Node =
  | { readonly kind: "text"; readonly start: number; readonly end: number }
  | { readonly kind: "output"; readonly action: Action }
  | {
      readonly kind: "if";
      readonly branches: readonly { readonly cond?: Action; readonly condTokens: readonly Token[]; body: Node[] }[];
    };

const CONTROL = new Set(["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"]);

/** Builds the tree of text, output actions and if/else chains. */
function parse(texts: { start: number; end: number }[], actions: Action[]): Node[] {
  const root: Node[] = [];
  type Open = { node: Extract<Node, { kind: "if" }>; action: Action };
  const stack: Open[] = [];
  const current = (): Node[] => {
    const top = stack[stack.length - 1];
    if (top === undefined) return root;
    return (top.node.branches[top.node.branches.length - 1] as { body: Node[] }).body;
  };
  const pushText = (t: { start: number; end: number }) => {
    if (t.end > t.start) current().push({ kind: "text", start: t.start, end: t.end });
  };
  pushText(texts[0] as { start: number; end: number });
  for (let k = 0; k < actions.length; k++) {
    const a = actions[k] as Action;
    const [head, ...rest] = a.tokens;
    if (a.comment) {
      // nothing to output
    } else if (head === undefined) {
      throw new TemplateSyntaxError(a.start, "missing value for command");
    } else if (head.kind === "ident" && CONTROL.has(head.value)) {
      switch (head.value) {
        case "if": {
          const node: Extract<Node, { kind: "if" }> = {
            kind: "if",
            branches: [{ cond: a, condTokens: rest, body: [] }],
          };
          current().push(node);
          stack.push({ node, action: a });
          break;
        }
        case "else": {
          const top = stack[stack.length - 1];
          if (top === undefined) throw new TemplateSyntaxError(a.start, "unexpected {{else}}");
          const branches = top.node.branches as { cond?: Action; condTokens: readonly Token[]; body: Node[] }[];
          if (branches[branches.length - 1]?.cond === undefined) {
            throw new TemplateSyntaxError(a.start, "expected end; found {{else}}");
          }
          if (rest[0]?.kind === "ident" && rest[0].value === "if") {
            branches.push({ cond: a, condTokens: rest.slice(1), body: [] });
          } else if (rest.length === 0) {
            branches.push({ condTokens: [], body: [] });
          } else throw new TemplateSyntaxError(a.start, "unexpected tokens after else");
          break;
        }
        case "end":
          if (stack.pop() === undefined) throw new TemplateSyntaxError(a.start, "unexpected {{end}}");
          break;
        default:
          throw new Unsupported(head.offset, `{{${head.value}}}`);
      }
    } else {
      current().push({ kind: "output", action: a });
    }
    pushText(texts[k + 1] as { start: number; end: number });
  }
  const open = stack.pop();
  if (open !== undefined) throw new TemplateSyntaxError(open.action.start, "unexpected EOF: {{if}} without {{end}}");
  return root;
}

class Output {
  text = "";
  private readonly outStarts: number[] = [];
  private readonly srcStarts: number[] = [];
  private readonly literal: boolean[] = [];

  add(text: string, srcStart: number, literal: boolean): void {
    if (text === "") return;
    this.outStarts.push(this.text.length);
    this.srcStarts.push(srcStart);
    this.literal.push(literal);
    this.text += text;
  }

  sourceOffset(out: number): number {
    let lo = 0;
    let hi = this.outStarts.length - 1;
    if (hi < 0) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.outStarts[mid] as number) <= out) lo = mid;
      else hi = mid - 1;
    }
    const base = this.srcStarts[lo] as number;
    return this.literal[lo] ? base + (out - (this.outStarts[lo] as number)) : base;
  }
}

/** Every `.NAME` in every action, taken branches or not. */
export function variableRefs(src: string): VariableRef[] {
  try {
    return lex(src)
      .actions.flatMap((a) => a.tokens.filter((t) => t.kind === "field" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.value)))
      .map((t) => ({ name: t.value, offset: t.offset }));
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return [];
    throw err;
  }
}

/** Renders `src` with `vars`; never throws for bad input. */
export function renderTemplate(src: string, vars: Vars): TemplateResult {
  const issues: TemplateIssue[] = [];
  let nodes: Node[];
  try {
    const { texts, actions } = lex(src);
    nodes = parse(texts, actions);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) {
      return { refs: [], issues: [{ offset: err.offset, kind: "syntax", message: err.message }] };
    }
    if (err instanceof Unsupported) {
      return {
        refs: variableRefs(src),
        issues: [{ offset: err.offset, kind: "unsupported", message: `${err.message} is not evaluated` }],
      };
    }
    throw err;
  }
  const out = new Output();
  let failed = false;
  const walk = (list: readonly Node[]): void => {
    for (const n of list) {
      if (n.kind === "text") {
        out.add(src.slice(n.start, n.end), n.start, true);
      } else if (n.kind === "output") {
        try {
          out.add(show(pipeline(n.action.tokens, vars, n.action.start)), n.action.start, false);
        } catch (err) {
          if (err instanceof Unsupported) {
            issues.push({ offset: err.offset, kind: "unsupported", message: `${err.message} is not evaluated` });
          } else if (err instanceof TemplateSyntaxError) {
            issues.push({ offset: err.offset, kind: "syntax", message: err.message });
            failed = true;
          } else throw err;
        }
      } else {
        for (const b of n.branches) {
          let take = true;
          if (b.cond !== undefined) {
            try {
              take = truthy(pipeline(b.condTokens, vars, b.cond.start));
            } catch (err) {
              if (err instanceof Unsupported) {
                issues.push({ offset: err.offset, kind: "unsupported", message: `${err.message} is not evaluated` });
                take = false;
              } else if (err instanceof TemplateSyntaxError) {
                issues.push({ offset: err.offset, kind: "syntax", message: err.message });
                failed = true;
                take = false;
              } else throw err;
            }
          }
          if (take) {
            walk(b.body);
            break;
          }
        }
      }
    }
  };
  walk(nodes);
  const refs = variableRefs(src);
  if (failed) return { refs, issues };
  return { rendered: { text: out.text, sourceOffset: (o) => out.sourceOffset(o) }, refs, issues };
}
