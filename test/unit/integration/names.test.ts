import { expect } from 'chai';
import { MAX_IDENTIFIER_BYTES, newSpaceName, readableName, slug, suffixOf } from '../../../internal/integration/common/names.js';

describe('space names', function () {
  it('are unique: 10 000 fresh names never repeat', function () {
    const names = new Set(Array.from({ length: 10_000 }, newSpaceName));
    expect(names.size).to.equal(10_000);
  });

  const titles: { title: string; readable: RegExp }[] = [
    { title: 'orders › rejects a negative quantity', readable: /^pgs_orders_rejects_a_negative_quantity_[a-z2-7]{10}$/ },
    { title: `quotes ' " and \`backticks\``, readable: /^pgs_quotes_and_backticks_[a-z2-7]{10}$/ },
    { title: `'; DROP DATABASE postgres; --`, readable: /^pgs_drop_database_postgres_[a-z2-7]{10}$/ },
    { title: 'Ünïcödé café ✓', readable: /^pgs_unicode_cafe_[a-z2-7]{10}$/ },
    { title: '🐘🐘🐘', readable: /^pgs_[a-z2-7]{10}$/ },
    { title: 'x'.repeat(300), readable: /^pgs_x{48}_[a-z2-7]{10}$/ },
  ];
  for (const { title, readable } of titles) {
    it(`turns ${JSON.stringify(title.slice(0, 40))} into a safe, readable name`, function () {
      const name = newSpaceName();
      const kept = readableName(name, title);
      expect(kept).to.match(readable);
      expect(Buffer.byteLength(kept)).to.be.at.most(MAX_IDENTIFIER_BYTES);
      expect(suffixOf(kept)).to.equal(suffixOf(name));
    });
  }

  it('slugs never end in an underscore when cut', function () {
    expect(slug('ab cd', 3)).to.equal('ab');
  });
});
