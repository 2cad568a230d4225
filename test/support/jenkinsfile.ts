/**
 * What the Jenkinsfile relies on that Jenkins would only find out about mid-build: the make
 * targets its stages call, the build parameters it reads, the stashes it unstashes, and the
 * files it names. (The Groovy itself is parsed by npm-groovy-lint: `npm run lint:jenkinsfile`.)
 */

/** The targets a Makefile defines (`name: … ## help` or `name:` at the start of a line). */
export function makeTargets(makefile: string): Set<string> {
  return new Set([...makefile.matchAll(/^([A-Za-z0-9_.-]+):(?!=)/gm)].map((m) => m[1]!));
}

/** Everything the Jenkinsfile relies on that is missing or unused, one line each; [] when all is well. */
export function jenkinsfileProblems(jenkinsfile: string, makefile: string, exists: (file: string) => boolean): string[] {
  const problems: string[] = [];
  const code = jenkinsfile.replace(/^\s*\/\/.*$/gm, ''); // comments name things too
  const targets = makeTargets(makefile);
  // A command that starts with make (not `apk add make bash`).
  for (const [, target] of code.matchAll(/(?:['"]|&&|;|\|\|)\s*make\s+([A-Za-z0-9_.-]+)/g)) {
    if (!targets.has(target!)) problems.push(`make ${target}: the Makefile has no such target`);
  }
  const declared = new Set([...code.matchAll(/\b(?:string|booleanParam|choice|text|password)\(\s*name:\s*'([^']+)'/g)].map((m) => m[1]!));
  const read = new Set([...code.matchAll(/\bparams\.([A-Za-z0-9_]+)/g)].map((m) => m[1]!));
  for (const name of read) if (!declared.has(name)) problems.push(`params.${name}: no such build parameter`);
  for (const name of declared) if (!read.has(name)) problems.push(`parameter ${name} is declared but never read`);
  const stashed = new Set([...code.matchAll(/\bstash\s+name:\s*(?:'([^']+)'|([A-Za-z]\w*))/g)].map((m) => m[1] ?? `$${m[2]}`));
  for (const [, name] of code.matchAll(/\bunstash\s+['"]([^'"]+)['"]/g)) {
    // "coverage-${i}" is stashed under a variable built the same way.
    if (!stashed.has(name!) && !(name!.includes('${') && [...stashed].some((s) => s.startsWith('$'))))
      problems.push(`unstash ${name}: never stashed`);
  }
  for (const [, file] of code.matchAll(/configFile=([\w./-]+)/g)) if (!exists(file!)) problems.push(`${file}: no such file`);
  return problems;
}
