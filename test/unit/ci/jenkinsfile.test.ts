import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { jenkinsfileProblems, makeTargets } from '../../support/jenkinsfile.js';
import { root } from '../../support/run-mocha.js';

// The Jenkinsfile is checked before Jenkins sees it: here, what it relies on in this repository;
// in CI, its Groovy too (npm run lint:jenkinsfile).

const jenkinsfile = readFileSync(path.join(root, 'Jenkinsfile'), 'utf8');
const makefile = readFileSync(path.join(root, 'Makefile'), 'utf8');
const exists = (file: string) => existsSync(path.join(root, file));

describe('the Jenkinsfile', function () {
  it('calls only make targets that exist, reads only parameters it declares (and every one), unstashes what it stashed', function () {
    expect(jenkinsfileProblems(jenkinsfile, makefile, exists)).to.deep.equal([]);
  });

  it('is checked: a misspelt target, an undeclared or unread parameter, a missing stash or file are each found', function () {
    const broken = jenkinsfile
      .replace('sh "make test SHARD', 'sh "make tset SHARD')
      .replace('params.SHARDS', 'params.SHARD_COUNT')
      .replace("unstash 'timings'", "unstash 'timing'")
      .replace('configFile=test/reporters.json', 'configFile=test/reporter.json');
    expect(jenkinsfileProblems(broken, makefile, exists)).to.deep.equal([
      'make tset: the Makefile has no such target',
      'params.SHARD_COUNT: no such build parameter',
      'parameter SHARDS is declared but never read',
      'unstash timing: never stashed',
      'test/reporter.json: no such file',
    ]);
  });

  it('reads the Makefile targets make lists', function () {
    expect([...makeTargets(makefile)]).to.include.members(['test', 'load', 'clean', 'local.infra', 'local.down']);
  });
});
