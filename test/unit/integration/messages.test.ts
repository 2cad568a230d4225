import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// What the package says is read by people who installed it (npm install pgspace): every string in
// its source (the messages among them) must name what they have — pgspace/vitest-setup,
// PGSPACE_ADMIN_URL, npx pgspace clean — never this repository's own files and commands.

const pkg = fileURLToPath(new URL('../../../internal/integration', import.meta.url));

/** What only this repository has: its make targets, compose files, scripts and TypeScript sources. */
const REPOSITORY_ONLY: [RegExp, string][] = [
  [/\bmake (local\.|test|clean|load)/, 'a make target'],
  [/docker-compose|compose\.ya?ml|Makefile|Dockerfile/, 'a Docker file of the repository'],
  [/npm run (spaces|trace|test|bench|load)/, 'an npm script of the repository'],
  [/internal\/integration|runners\/[\w-]+\.ts|(?:^|[\s"'`(])\.{1,3}\/[\w./-]*\.ts\b/, "a path of the repository's sources"],
  [/src\/(trainings|users)|config\.d\/(trainings|users)/, 'a file of the example service'],
];

/** Every .ts and .js source file of the package, relative to it. */
function sources(): string[] {
  return readdirSync(pkg, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name) && !e.parentPath.includes('node_modules') && !e.parentPath.includes('dist'))
    .map((e) => path.relative(pkg, path.join(e.parentPath, e.name)));
}

/** The text of every string and template literal in `file` outside import and export specifiers, with its line. */
function stringsOf(file: string): { line: number; text: string }[] {
  const text = readFileSync(path.join(pkg, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { line: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isImportDeclaration(node) ||
      ts.isExportDeclaration(node) ||
      (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
    )
      return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
      found.push({ line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: node.text });
    if (ts.isTemplateExpression(node)) {
      // The literal parts joined, each substitution standing as `…`.
      const whole = [node.head.text, ...node.templateSpans.map((s) => `…${s.literal.text}`)].join('');
      found.push({ line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: whole });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("the package's messages", function () {
  const files = sources();

  it('are read from every source file of the package, the CLI included', function () {
    expect(files).to.include.members(['session/session.ts', 'embedded/binaries.ts', 'bin/pgspace.js', 'cli/spaces.ts']);
    expect(stringsOf('session/session.ts').some((s) => s.text.includes('newSpace() needs'))).to.equal(true);
  });

  it("name what a package user has, not this repository's files and commands", function () {
    const found = files.flatMap((file) =>
      stringsOf(file).flatMap(({ line, text }) =>
        REPOSITORY_ONLY.filter(([re]) => re.test(text)).map(([, what]) => `${file}:${line}: ${what}: ${JSON.stringify(text)}`),
      ),
    );
    expect(found).to.deep.equal([]);
  });

  it('catch each thing the check looks for', function () {
    const said = [
      'Start it with `make local.infra`',
      'docker-compose.yml sets it with `-c max_connections=`',
      'npm run spaces:clean drops them',
      '`globalSetup: [".../runners/vitest-setup.ts"]`',
      'internal/integration/runners/mocha.ts',
      'see src/trainings/migrations',
    ];
    for (const text of said)
      expect(
        REPOSITORY_ONLY.some(([re]) => re.test(text)),
        text,
      ).to.equal(true);
    const fine = [
      '`globalSetup: ["pgspace/vitest-setup"]`',
      'cannot load pgspace.config.ts',
      'set PGSPACE_ADMIN_URL',
      'npx pgspace clean',
      "extensions: ['.ts']",
    ];
    for (const text of fine)
      expect(
        REPOSITORY_ONLY.some(([re]) => re.test(text)),
        text,
      ).to.equal(false);
  });
});
