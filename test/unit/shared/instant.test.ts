import { expect } from 'chai';
import { isInstant } from '../../../src/shared/instant.js';

describe('isInstant', function () {
  const accepted = [
    '2030-01-09T12:00:00Z',
    '2030-01-09T12:00:00.123Z',
    '2030-01-09T12:00:00.123456789Z',
    '2030-01-09T12:00:00+02:00',
    '2030-01-09T12:00:00-00:00',
    '2028-02-29T12:00:00Z', // a leap year
    '2000-02-29T00:00:00Z', // divisible by 400
  ];
  const refused = [
    '2030-06-30T23:59:60Z', // a leap second: JavaScript cannot hold it
    '2030-02-29T12:00:00Z', // not a leap year
    '1900-02-29T12:00:00Z', // divisible by 100, not 400
    '2030-04-31T12:00:00Z',
    '2030-13-01T12:00:00Z',
    '2030-01-09T24:00:00Z',
    '2030-01-09T12:00:00', // no offset
    '2030-01-09T12:00:00+24:00',
    '2030-01-09 12:00:00Z',
    '2030-01-09t12:00:00z',
    '+102030-01-09T12:00:00Z',
    '2030-01-09T12:00:00.Z',
    'tomorrow',
    '',
  ];
  for (const s of accepted) it(`accepts ${s}`, () => expect(isInstant(s)).to.equal(true));
  for (const s of refused) it(`refuses ${JSON.stringify(s)}`, () => expect(isInstant(s)).to.equal(false));
});
