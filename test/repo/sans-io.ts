/**
 * The sans-IO rule (DESIGN.md, principle 1): nothing under worker/ except its
 * entry file touches real time, real randomness, the DOM or postMessage.
 *
 * The check parses each file with the TypeScript compiler and looks only at
 * code: comments, string literals, template text and regular expressions never
 * reach it (a stronger form of "strip comments and strings, then match"). It
 * also knows a property named `window` (the TCP header field!) or `document`
 * from the global of that name, so `repr.window` and `{ window: 65535 }` are fine.
 *
 * What counts as a use:
 * - a member of a real clock or random source: Date.now, performance.now,
 *   Math.random, crypto.getRandomValues, crypto.randomUUID, and `new Date()` /
 *   `Date()` without arguments (both read the wall clock);
 * - the host's timers and messaging: setTimeout, setInterval, setImmediate,
 *   requestAnimationFrame, queueMicrotask as globals, and postMessage anywhere
 *   (`port.postMessage` is the worker talking to the outside directly);
 * - DOM globals: document, window, localStorage, navigator, fetch, WebSocket,
 *   RTCPeerConnection.
 * Globals count whether written bare or through globalThis/self/window. A name
 * the file declares itself (an injected `setTimeout` parameter, say) is local,
 * not the global.
 */

import ts from 'typescript';

export interface SansIoViolation {
  file: string;
  line: number;
  column: number;
  /** What was used, e.g. 'Date.now' or 'setTimeout'. */
  name: string;
  /** The source line, trimmed, for the failure message. */
  text: string;
}

const CLOCK_AND_RANDOM_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  Date: ['now'],
  performance: ['now'],
  Math: ['random'],
  crypto: ['getRandomValues', 'randomUUID'],
};

const HOST_FUNCTIONS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'requestAnimationFrame', 'queueMicrotask', 'postMessage']);

/** Banned even as a property of any object. */
const BANNED_MEMBER_NAMES = new Set(['postMessage']);

const DOM_GLOBALS = new Set(['document', 'window', 'localStorage', 'navigator', 'fetch', 'WebSocket', 'RTCPeerConnection']);

/** Objects through which a global can be reached: globalThis.setTimeout, self.fetch, window.document. */
const GLOBAL_OBJECTS = new Set(['globalThis', 'self', 'window', 'global']);

const BANNED_GLOBALS = new Set([...HOST_FUNCTIONS, ...DOM_GLOBALS]);

export function findSansIoViolations(file: string, source: string): SansIoViolation[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const declared = declaredNames(sourceFile);
  const violations: SansIoViolation[] = [];
  const lines = source.split(/\r?\n/);

  const report = (node: ts.Node, name: string): void => {
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    violations.push({ file, line: line + 1, column: character + 1, name, text: (lines[line] ?? '').trim() });
  };

  /** True for a bare identifier that refers to the global (not a local of the same name). */
  const isGlobalIdentifier = (node: ts.Node, name: string): boolean =>
    ts.isIdentifier(node) && node.text === name && !declared.has(name);

  /** The global an expression denotes: `X` or `globalThis.X` / `self.X` / `window.X`; else undefined. */
  const globalName = (node: ts.Expression): string | undefined => {
    if (ts.isIdentifier(node)) return declared.has(node.text) ? undefined : node.text;
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && ts.isIdentifier(node.name)) {
      const base = node.expression.text;
      if (GLOBAL_OBJECTS.has(base) && !declared.has(base)) return node.name.text;
    }
    return undefined;
  };

  const visit = (node: ts.Node): void => {
    // Date.now, performance.now, Math.random, crypto.* (also through globalThis).
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const member = memberName(node);
      const owner = globalName(node.expression);
      if (member !== undefined && owner !== undefined && CLOCK_AND_RANDOM_MEMBERS[owner]?.includes(member)) {
        report(node, `${owner}.${member}`);
      } else if (member !== undefined && BANNED_MEMBER_NAMES.has(member)) {
        report(node, member);
      } else if (member !== undefined && BANNED_GLOBALS.has(member) && owner !== undefined && GLOBAL_OBJECTS.has(owner)) {
        report(node, `${owner}.${member}`);
      }
    }

    // new Date() / Date() with no arguments: the current wall-clock time.
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && (node.arguments?.length ?? 0) === 0) {
      if (isGlobalIdentifier(node.expression, 'Date')) report(node, ts.isNewExpression(node) ? 'new Date()' : 'Date()');
    }

    // Bare references to banned globals: setTimeout(...), document.x, typeof window, let s: WebSocket.
    if (ts.isIdentifier(node) && BANNED_GLOBALS.has(node.text) && !declared.has(node.text) && isReference(node)) {
      report(node, node.text);
    }

    ts.forEachChild(node, visit);
  };
  visit(sourceFile);

  return violations;
}

function memberName(node: ts.PropertyAccessExpression | ts.ElementAccessExpression): string | undefined {
  if (ts.isPropertyAccessExpression(node)) return ts.isIdentifier(node.name) ? node.name.text : undefined;
  const argument = node.argumentExpression;
  return ts.isStringLiteralLike(argument) ? argument.text : undefined;
}

/**
 * Is this identifier a reference to a binding (as opposed to a property name,
 * a declaration's own name, a label, ...)? Only references can mean a global.
 */
function isReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (parent === undefined) return true;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false; // x.window
  if (ts.isQualifiedName(parent) && parent.right === id) return false; // A.window (types)
  if (ts.isShorthandPropertyAssignment(parent)) return true; // { window } reads a binding named window
  if (ts.isBindingElement(parent) && parent.propertyName === id) return false; // const { window: w } = x
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) return false;
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent) ||
      ts.isEnumMember(parent)) &&
    parent.name === id
  ) {
    return false; // { window: 5 }, interface X { window: number }, class { window = 0 }
  }
  if (isDeclarationName(id)) return false;
  return true;
}

function isDeclarationName(id: ts.Identifier): boolean {
  const parent = id.parent;
  return (
    (ts.isVariableDeclaration(parent) ||
      ts.isParameter(parent) ||
      ts.isBindingElement(parent) ||
      ts.isFunctionDeclaration(parent) ||
      ts.isFunctionExpression(parent) ||
      ts.isClassDeclaration(parent) ||
      ts.isClassExpression(parent) ||
      ts.isInterfaceDeclaration(parent) ||
      ts.isTypeAliasDeclaration(parent) ||
      ts.isEnumDeclaration(parent) ||
      ts.isModuleDeclaration(parent) ||
      ts.isTypeParameterDeclaration(parent) ||
      ts.isImportClause(parent) ||
      ts.isNamespaceImport(parent) ||
      ts.isImportEqualsDeclaration(parent)) &&
    parent.name === id
  );
}

/** Every name the file binds itself (variables, parameters, functions, classes, imports...). */
function declaredNames(sourceFile: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.parent !== undefined && isDeclarationName(node)) names.add(node.text);
    if (ts.isImportSpecifier(node)) names.add(node.name.text);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return names;
}

export function formatViolations(violations: readonly SansIoViolation[]): string {
  return violations.map((v) => `  ${v.file}:${v.line}:${v.column}  ${v.name}    ${v.text}`).join('\n');
}
