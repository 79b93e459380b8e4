import { expect } from 'chai';
import { exactDigits, isUnsafeInteger, marked, unmark } from '../../src/records/big-ids.js';

describe('big ids: integers past 2^53 read again from their text', () => {
  it('finds a top-level member’s digits, its last occurrence, skipping nested objects, strings and arrays', () => {
    const text = '{"name":"id \\"9\\"","nested":{"id":1},"list":[{"id":2}],"id":9007199254740993,"id":9007199254740995}';
    expect(exactDigits(text, 'id', undefined)).to.equal('9007199254740995');
    expect(exactDigits(' { "id" : -123456789012345678901 } ', 'id', undefined)).to.equal('-123456789012345678901');
  });

  it('looks inside the wrapper of a wrapped element, and takes the first item of a pair', () => {
    expect(exactDigits('{"appointment":{"id":9007199254740993}}', 'id', 'appointment')).to.equal('9007199254740993');
    expect(exactDigits('[9007199254740993, "Ann"]', 'id', undefined)).to.equal('9007199254740993');
  });

  it('gives nothing for a member that is missing or not an integer literal', () => {
    expect(exactDigits('{"id":1.5e20}', 'id', undefined)).to.equal(undefined);
    expect(exactDigits('{"id":"9007199254740993"}', 'id', undefined)).to.equal(undefined);
    expect(exactDigits('{"other":1}', 'id', undefined)).to.equal(undefined);
  });

  it('writes a marked id back as its digits when the record is serialised', () => {
    expect(isUnsafeInteger(2 ** 53)).to.equal(true);
    expect(isUnsafeInteger(2 ** 53 - 1)).to.equal(false);
    const json = JSON.stringify({ id: marked('9007199254740993'), note: 'x', parent: marked('-12345678901234567890') });
    expect(unmark(json)).to.equal('{"id":9007199254740993,"note":"x","parent":-12345678901234567890}');
    expect(unmark('{"id":1}')).to.equal('{"id":1}');
  });
});
