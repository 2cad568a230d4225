import { expect } from 'chai';
import { messageOf } from '../../../internal/integration/common/errors.js';
import { traceError } from '../../../internal/integration/trace/recorder.js';
import { ODD_VALUES } from '../../fixtures/odd/values.js';

// What a test throws reaches the helper's failure handling in the runner's own hooks, where a
// throw hangs mocha or adds an error to the test: these must be total, whatever the value.
describe('reading a failure value', function () {
  const expected: Record<string, string> = {
    'a null-prototype object with a message': 'no prototype here',
    'an empty null-prototype object': '{}',
    'a Proxy that throws on every trap': 'a value that throws when inspected (a Proxy?)',
    'an Error from another realm': 'from another realm',
    'a Symbol': 'Symbol(thrown symbol)',
    'a BigInt': '10n',
    'a cyclic object': 'a cyclic failure',
    undefined: 'undefined',
    'a frozen Error': 'frozen',
  };
  for (const [name, make] of Object.entries(ODD_VALUES)) {
    it(`never throws on ${name}, and says what it was`, function () {
      const value = make();
      expect(messageOf(value)).to.equal(expected[name]);
      expect(traceError(value).message).to.equal(expected[name]);
      expect(() => JSON.stringify(traceError(value))).to.not.throw();
    });
  }

  it('keeps expected and actual, cyclic ones as text', function () {
    const error = traceError(ODD_VALUES['a cyclic object']!());
    expect(error.actual).to.equal('1');
    expect(error.expected).to.equal('[object Object]');
  });

  it('shows a null-prototype error the way Vitest hands it over: message, stack, expected, actual', function () {
    const vitestError = Object.assign(Object.create(null) as object, {
      message: 'expected 1 to be 2',
      stack: 'AssertionError: expected 1 to be 2\n    at x',
      expected: '2',
      actual: '1',
    });
    expect(traceError(vitestError)).to.deep.equal({
      message: 'expected 1 to be 2',
      stack: 'AssertionError: expected 1 to be 2\n    at x',
      expected: '2',
      actual: '1',
    });
  });
});
