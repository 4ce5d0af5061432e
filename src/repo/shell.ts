/**
 * A static reading of the bash snippets in a pkg.yaml step: the simple commands, their words with quotes
 * removed, and their redirections, each with the line it starts on. Nothing is executed and nothing is
 * expanded except brace expansion (`/rootfs/{etc,usr/{bin,lib}}`) and quote removal: `$VAR`, `${VAR}` and
 * `$(…)` stay as written, so a path holding one is compared as text. Heredoc bodies are skipped.
 */

export interface Word {
  readonly text: string;
  /** Part of the word was quoted or escaped: no brace expansion or globbing applies there. */
  readonly quoted: boolean;
}

export interface Redirect {
  readonly op: string;
  readonly target: string;
}

export interface SimpleCommand {
  readonly words: readonly string[];
  readonly redirects: readonly Redirect[];
  /** 0-based line of the script the command starts on. */
  readonly line: number;
}

const KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

/** Bash brace expansion of one unquoted word: `a{b,c}d` → abd acd, nested; `{x}` and `${x}` stay. */
export function expandBraces(word: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if (c === "{" && word[i - 1] !== "$") {
      if (depth === 0) open = i;
      depth++;
    } else if (c === "}" && depth > 0) {
      depth--;
      if (depth === 0 && open >= 0) {
        const inner = word.slice(open + 1, i);
        const parts = splitTopLevel(inner);
        if (parts.length > 1) {
          const head = word.slice(0, open);
          const tail = word.slice(i + 1);
          return parts.flatMap((p) => expandBraces(head + p + tail));
        }
        open = -1;
      }
    }
  }
  return [word];
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}") depth--;
    else if (s[i] === "," && depth === 0) {
      out.push(s.slice(last, i));
      last = i + 1;
    }
  }
  out.push(s.slice(last));
  return out;
}

/** Reads `script` into simple commands; never throws (unbalanced quotes end at the end of the script). */
export function parseShell(script: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let line = 0;
  let words: Word[] = [];
  let redirects: Redirect[] = [];
  let commandLine = 0;
  let current = "";
  let quoted = false;
  let inWord = false;
  let pendingRedirect: string | undefined;
  const heredocs: { delimiter: string; stripTabs: boolean }[] = [];
  let pendingHeredoc: { stripTabs: boolean } | undefined;

  const endWord = () => {
    if (!inWord) return;
    const word: Word = { text: current, quoted };
    if (pendingHeredoc !== undefined) {
      heredocs.push({ delimiter: current, stripTabs: pendingHeredoc.stripTabs });
      pendingHeredoc = undefined;
    } else if (pendingRedirect !== undefined) {
      redirects.push({ op: pendingRedirect, target: current });
      pendingRedirect = undefined;
    } else {
      if (words.length === 0 && redirects.length === 0) commandLine = line;
      words.push(word);
    }
    current = "";
    quoted = false;
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    pendingRedirect = undefined;
    let start = 0;
    while (start < words.length) {
      const w = words[start] as Word;
      if (!w.quoted && (KEYWORDS.has(w.text) || ASSIGNMENT.test(w.text))) start++;
      else break;
    }
    const rest = words.slice(start);
    // A `for NAME in …` header or a `case … in` line is not a command.
    const head = rest[0];
    if (head !== undefined && !head.quoted && (head.text === "for" || head.text === "case")) {
      words = [];
      redirects = [];
      return;
    }
    const expanded = rest.flatMap((w) => (w.quoted ? [w.text] : expandBraces(w.text)));
    if (expanded.length > 0 || redirects.length > 0) {
      commands.push({ words: expanded, redirects, line: commandLine });
    }
    words = [];
    redirects = [];
  };
  /** Copies a balanced `$(…)`, `${…}` or backquoted span starting at `i`; returns the index after it. */
  const span = (i: number): number => {
    const open = script[i + 1];
    if (script[i] === "`") {
      const close = script.indexOf("`", i + 1);
      return close < 0 ? script.length : close + 1;
    }
    const [o, c] = open === "(" ? ["(", ")"] : ["{", "}"];
    let depth = 0;
    for (let j = i + 1; j < script.length; j++) {
      const ch = script[j];
      if (ch === "\\") j++;
      else if (ch === "'" && o === "(") {
        const close = script.indexOf("'", j + 1);
        j = close < 0 ? script.length : close;
      } else if (ch === o) depth++;
      else if (ch === c && --depth === 0) return j + 1;
      else if (ch === "\n") line++;
    }
    return script.length;
  };

  let i = 0;
  while (i < script.length) {
    const c = script[i] as string;
    if (c === "\n") {
      endCommand();
      line++;
      i++;
      // Heredoc bodies start on the line after their command.
      while (heredocs.length > 0) {
        const doc = heredocs.shift() as { delimiter: string; stripTabs: boolean };
        for (;;) {
          const eol = script.indexOf("\n", i);
          const text = script.slice(i, eol < 0 ? script.length : eol);
          i = eol < 0 ? script.length : eol + 1;
          line++;
          if ((doc.stripTabs ? text.replace(/^\t+/, "") : text) === doc.delimiter || eol < 0) break;
        }
      }
      continue;
    }
    if (c === "\\") {
      if (script[i + 1] === "\n") {
        line++;
        i += 2;
        continue;
      }
      current += script[i + 1] ?? "";
      quoted = true;
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "#" && !inWord) {
      const eol = script.indexOf("\n", i);
      i = eol < 0 ? script.length : eol;
      continue;
    }
    if (c === "'") {
      const close = script.indexOf("'", i + 1);
      const end = close < 0 ? script.length : close;
      const text = script.slice(i + 1, end);
      line += text.split("\n").length - 1;
      current += text;
      quoted = true;
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < script.length && script[j] !== '"') {
        const ch = script[j] as string;
        if (ch === "\\" && '$`"\\\n'.includes(script[j + 1] ?? "")) {
          if (script[j + 1] === "\n") line++;
          else current += script[j + 1];
          j += 2;
        } else if ((ch === "$" && (script[j + 1] === "(" || script[j + 1] === "{")) || ch === "`") {
          const end = span(j);
          current += script.slice(j, end);
          j = end;
        } else {
          if (ch === "\n") line++;
          current += ch;
          j++;
        }
      }
      quoted = true;
      inWord = true;
      i = j + 1;
      continue;
    }
    if ((c === "$" && (script[i + 1] === "(" || script[i + 1] === "{")) || c === "`") {
      const end = span(i);
      current += script.slice(i, end);
      inWord = true;
      i = end;
      continue;
    }
    if (c === " " || c === "\t") {
      endWord();
      i++;
      continue;
    }
    if (c === ";" || c === "&" || c === "|" || c === "(" || c === ")") {
      // `>&`/`&>` belong to redirections, handled below; `2>&1` was consumed there.
      endCommand();
      i++;
      continue;
    }
    if (c === ">" || c === "<") {
      // A word of digits right before the operator is a file descriptor (`2>`), not an argument.
      if (inWord && /^[0-9]+$/.test(current) && !quoted) {
        current = "";
        inWord = false;
      } else endWord();
      let op = c;
      let j = i + 1;
      while (j < script.length && (script[j] === ">" || script[j] === "<" || script[j] === "&" || script[j] === "-")) {
        op += script[j];
        j++;
      }
      i = j;
      if (op.startsWith("<<") && !op.startsWith("<<<")) {
        pendingHeredoc = { stripTabs: op.endsWith("-") };
        continue;
      }
      // `>&2`, `2>&1`: a duplication, no file.
      if (op.endsWith("&")) {
        while (i < script.length && /[0-9-]/.test(script[i] as string)) i++;
        continue;
      }
      pendingRedirect = op;
      continue;
    }
    current += c;
    inWord = true;
    i++;
  }
  endCommand();
  return commands;
}
